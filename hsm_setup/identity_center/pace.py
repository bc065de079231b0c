"""Identity Center's throttle limits, kept on the client side while assignments are made in many accounts.

AWS documents two limits (https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html, "IAM Identity
Center throttle limits"):
- the IAM Identity Center APIs have a collective throttle limit of 20 transactions a second: a creation and every
  status read of it share those 20;
- CreateAccountAssignment has a limit of 15 outstanding asynchronous calls, which cannot be increased.
A fan-out over a thousand accounts keeps to both here: every request its client sends waits for its turn (at most
20 in any second, shared by every thread; the status listings first), and a creation takes one of 15 slots in the
same moment as its turn and holds it until it has left IN_PROGRESS. A creation waiting for its turn holds no slot:
the 15 are AWS's outstanding calls, and a slot held in the queue for a turn (about 0.4 s of the 0.9 s a creation
held one, 300 accounts on the practice account) left fewer of them for the calls AWS has. botocore's adaptive retry
mode learns the rate from throttling instead, and after each ThrottlingException sends more slowly than AWS allows
for a while. Throttling that still happens (someone else using the same instance at the same time) is retried by
the client's standard retry mode, and those retries are paced too.
The limits apply in each Region the instance is enabled in, so there is one pace per Region.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from hsm_setup.identity_center.creation_watch import LISTING, CreationWatch

if TYPE_CHECKING:  # pragma: no cover - typing only
    from mypy_boto3_sso_admin.client import SSOAdminClient

    from hsm_setup.aws.clients import AwsSession

REQUESTS_PER_SECOND = 20.0
OUTSTANDING_CREATIONS = 15
# A turn's window is a second and this much more: AWS counts a request when it arrives, which may be a few
# milliseconds after the client took its turn, and later for one request than for the next.
WINDOW_SLACK = 0.01
# Turns come no closer than this fraction of the even spacing (no burst of 20 at once; 25 a second at most).
MIN_GAP = 0.8
CREATION = "CreateAccountAssignment"


class Turns:
    """At most `rate` turns in any window of a second (and WINDOW_SLACK) for all the threads that share them, one
    at a time and never two closer than MIN_GAP of the even spacing; a caller that says it is urgent goes before
    those that are not.

    Why a window rather than evenly spaced turns: a thread takes its turn a little after it is due (it has to get
    the interpreter lock back from whichever thread holds it), and with each turn counted from the one before, that
    lateness was lost at every turn, 1.5 ms of each 50 ms on an idle machine and more on a busy one. Counted from
    the turn `rate` turns back, a late turn delays none of the next ones, and the limit AWS states per second is
    still never exceeded.
    """

    def __init__(
        self,
        rate: float,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_window = max(1, int(rate))
        self._window = self._per_window / rate + WINDOW_SLACK
        self._gap = MIN_GAP / rate
        self._sleep = sleep
        self._clock = clock
        self._taken: deque[float] = deque(maxlen=self._per_window)  # when the latest turns were taken
        self._urgent = 0  # urgent callers waiting for a turn
        self._lock = threading.Lock()

    def _due(self) -> float:
        """The earliest time of the next turn."""
        if not self._taken:
            return float("-inf")
        due = self._taken[-1] + self._gap
        if len(self._taken) == self._per_window:
            due = max(due, self._taken[0] + self._window)
        return due

    def take(self, *, urgent: bool = False, slots: Slots | None = None) -> None:
        """Wait for this caller's turn. No turn is booked ahead: each waiter sleeps until the next turn is due
        and the first to find it free takes it, so an urgent caller that arrives later still goes first.

        With `slots`, the turn is taken only together with one of them: a caller finding its turn due and no slot
        free waits for one without taking the turn, which stays for the next caller (a listing, say)."""
        with self._lock:
            self._urgent += urgent
        try:
            while True:
                no_slot = False
                with self._lock:
                    now = self._clock()
                    due = self._due()
                    if now >= due and (urgent or not self._urgent):
                        if slots is None or slots.try_take():
                            self._taken.append(now)
                            return
                        no_slot = True
                    # An urgent caller is owed this turn: look again a little after it is due.
                    wait = max(due - now, 0.0) + (0.0 if urgent or not self._urgent else self._gap / 4)
                if no_slot:
                    slots.wait_free()  # type: ignore[union-attr]
                else:
                    self._sleep(wait)
        finally:
            with self._lock:
                self._urgent -= urgent


class Slots:
    """A number of slots, taken without waiting and given back; a caller may wait until one is free."""

    def __init__(self, count: int) -> None:
        self._count = count
        self._free = count
        self._changed = threading.Condition()

    def try_take(self) -> bool:
        with self._changed:
            if self._free == 0:
                return False
            self._free -= 1
            return True

    def all_taken(self) -> bool:
        with self._changed:
            return self._free == 0

    def wait_free(self) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._free > 0)

    def give_back(self) -> None:
        with self._changed:
            if self._free == self._count:
                raise RuntimeError("a slot was given back that was not taken")
            self._free += 1
            # One waiter is enough: it takes the slot, or finds it gone and waits again (wait_for looks first).
            self._changed.notify()

    @contextmanager
    def held(self) -> Iterator[None]:
        """One slot from when it is free until the block ends."""
        while not self.try_take():
            self.wait_free()
        try:
            yield
        finally:
            self.give_back()


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
        # One set of turns for every call. The status listings (creation_watch.py: one for every 7 or 8 creations,
        # or every LISTING_INTERVAL) go first: a listing frees the slots of the creations that finished, so it never
        # queues behind creations waiting to be sent; the turns the listings do not take are the creations'.
        self.turns = Turns(rate, sleep=sleep, clock=clock)
        self.sleep = sleep
        self.clock = clock
        # Taken with a CreateAccountAssignment's turn (creating(), _turn) and held until its request has left
        # IN_PROGRESS; a request followed from a stopped run holds one while it is waited for.
        self.creation_slots = Slots(outstanding)
        self._creating = threading.local()  # per thread: whether its creation has taken a slot yet
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
                    sso, instance_arn, sleep=self.sleep, clock=self.clock, all_taken=self.creation_slots.all_taken
                )
            return watch

    @contextmanager
    def creating(self) -> Iterator[None]:
        """The block in which this thread sends one CreateAccountAssignment and waits for its request: the first
        sending takes a slot with its turn (a retry of it only a turn), and the slot is given back as the block ends."""
        self._creating.active, self._creating.holds = True, False
        try:
            yield
        finally:
            holds = self._creating.holds
            self._creating.active, self._creating.holds = False, False
            if holds:
                self.creation_slots.give_back()

    def _turn(self, event_name: str = "", **_: Any) -> None:
        # A before-send handler that returned something would stand in for AWS's answer: it returns None.
        if (
            event_name.endswith(f".{CREATION}")
            and getattr(self._creating, "active", False)
            and not self._creating.holds
        ):
            self.turns.take(slots=self.creation_slots)
            self._creating.holds = True
            return
        self.turns.take(urgent=event_name.endswith(f".{LISTING}"))
