"""Identity Center's throttle limits, kept on the client side while assignments are made in many accounts.

AWS documents two limits (https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html, "IAM Identity
Center throttle limits"):
- the IAM Identity Center APIs have a collective throttle limit of 20 transactions a second: a creation and every
  status read of it share those 20;
- CreateAccountAssignment has a limit of 15 outstanding asynchronous calls, which cannot be increased.
A fan-out over a thousand accounts keeps to both here: every request its client sends waits for its turn (token
buckets holding one token each, refilled 20 times a second in all, shared by every thread), and a creation holds one
of 15 slots from before it is sent until it has left IN_PROGRESS. botocore's adaptive retry mode learns the rate from
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

from hsm_setup.identity_center.creation_watch import LISTING, LISTING_INTERVAL, CreationWatch

if TYPE_CHECKING:  # pragma: no cover - typing only
    from mypy_boto3_sso_admin.client import SSOAdminClient

    from hsm_setup.aws.clients import AwsSession

REQUESTS_PER_SECOND = 20.0
OUTSTANDING_CREATIONS = 15


class TokenBucket:
    """At most `rate` turns a second for all the threads that share it, one at a time (no burst)."""

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
        self._next = float("-inf")
        self._lock = threading.Lock()

    def take(self) -> None:
        """Wait for this caller's turn: each turn is booked under the lock, then waited for outside it."""
        with self._lock:
            now = self._clock()
            turn = max(now, self._next)
            self._next = turn + self._interval
        if turn > now:
            self._sleep(turn - now)


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
        # The status listings (creation_watch.py: at most one every LISTING_INTERVAL) have turns of their own: a
        # listing, which frees the slots of the creations that finished, never queues behind creations waiting to be
        # sent. Every other call shares what is left of the 20.
        listings = 1 / LISTING_INTERVAL
        self.listing_turns = TokenBucket(listings, sleep=sleep, clock=clock)
        self.turns = TokenBucket(rate - listings, sleep=sleep, clock=clock)
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
        (self.listing_turns if event_name.endswith(f".{LISTING}") else self.turns).take()
