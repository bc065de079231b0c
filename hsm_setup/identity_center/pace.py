"""Identity Center's throttle limits, kept on the client side while assignments are made in many accounts.

AWS documents two limits (https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html, "IAM Identity
Center throttle limits"):
- the IAM Identity Center APIs have a collective throttle limit of 20 transactions a second: a creation and every
  status read of it share those 20;
- CreateAccountAssignment has a limit of 15 outstanding asynchronous calls, which cannot be increased.
A fan-out over a thousand accounts keeps to both here: every request its client sends waits for its turn (a token
bucket holding one token, refilled 20 times a second, shared by every thread; the status listings first), and a
creation holds one of 15 slots from before it is sent until it has left IN_PROGRESS. botocore's adaptive retry mode learns the rate from
throttling instead, and after each ThrottlingException sends more slowly than AWS allows for a while. Throttling
that still happens (someone else using the same instance at the same time) is retried by the client's standard
retry mode, and those retries are paced too.
The limits apply in each Region the instance is enabled in, so there is one pace per Region.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hsm_setup.identity_center.creation_watch import LISTING, CreationWatch

if TYPE_CHECKING:  # pragma: no cover - typing only
    from mypy_boto3_sso_admin.client import SSOAdminClient

    from hsm_setup.aws.clients import AwsSession

REQUESTS_PER_SECOND = 20.0
OUTSTANDING_CREATIONS = 15


class TokenBucket:
    """At most `rate` turns a second for all the threads that share it, one at a time (no burst); a caller that
    says it is urgent goes before those that are not."""

    def __init__(
        self,
        rate: float,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = 1.0 / rate
        self._sleep = sleep
        self._clock = clock
        self._next = float("-inf")  # the earliest time of the next turn
        self._urgent = 0  # urgent callers waiting for a turn
        self._lock = threading.Lock()

    def take(self, *, urgent: bool = False) -> None:
        """Wait for this caller's turn. No turn is booked ahead: each waiter sleeps until the next turn is due
        and the first to find it free takes it, so an urgent caller that arrives later still goes first."""
        with self._lock:
            self._urgent += urgent
        try:
            while True:
                with self._lock:
                    now = self._clock()
                    if now >= self._next and (urgent or not self._urgent):
                        self._next = max(now, self._next) + self._interval
                        return
                    # An urgent caller is owed this turn: look again a little after it is due.
                    wait = max(self._next - now, 0.0) + (0.0 if urgent or not self._urgent else self._interval / 4)
                self._sleep(wait)
        finally:
            with self._lock:
                self._urgent -= urgent


class IdentityCenterPace:
    """Identity Center's limits in one Region: a paced sso-admin client and the slots for outstanding creations."""

    def __init__(
        self,
        aws: AwsSession,
        region: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rate: float = REQUESTS_PER_SECOND,
        outstanding: int = OUTSTANDING_CREATIONS,
    ) -> None:
        self.region = region
        # One bucket for every call. The status listings (creation_watch.py: at most one every LISTING_INTERVAL) go
        # first: a listing frees the slots of the creations that finished, so it never queues behind creations
        # waiting to be sent; the turns the listings do not take are the creations'.
        self.turns = TokenBucket(rate, sleep=sleep, clock=clock)
        self.sleep = sleep
        self.clock = clock
        # Held from before a CreateAccountAssignment is sent until its request has left IN_PROGRESS.
        self.creation_slots = threading.BoundedSemaphore(outstanding)
        self._aws = aws
        self._client: SSOAdminClient | None = None
        self._watches: dict[str, CreationWatch] = {}
        self._lock = threading.Lock()

    @property
    def sso(self) -> SSOAdminClient:
        """This Region's sso-admin client whose every request, retries included, waits for its turn first."""
        with self._lock:
            if self._client is None:
                client = self._aws.new_client("sso-admin", self.region)
                client.meta.events.register("before-send.sso-admin", self._turn)
                self._client = client
            return self._client

    def watch(self, instance_arn: str) -> CreationWatch:
        """The instance's creations in progress, one listing for every fan-out waiting on one of them."""
        sso = self.sso
        with self._lock:
            watch = self._watches.get(instance_arn)
            if watch is None:
                watch = self._watches[instance_arn] = CreationWatch(
                    sso, instance_arn, sleep=self.sleep, clock=self.clock
                )
            return watch

    def _turn(self, event_name: str = "", **_: Any) -> None:
        # A before-send handler that returned something would stand in for AWS's answer: it returns None.
        self.turns.take(urgent=event_name.endswith(f".{LISTING}"))
