"""Waiting for many account assignment creations at once, with one status listing for all of them.

Polling each request (DescribeAccountAssignmentCreationStatus) costs a call per request per poll, and Identity
Center's 20 calls a second are shared by creations and status reads (identity_center/pace.py): at two polls a
request, two of every three calls would be polls. Instead, the threads waiting for their requests share one
listing of the instance's requests still in progress (ListAccountAssignmentCreationStatus, Filter IN_PROGRESS, 100
a page: at most 15 creations are outstanding, so usually one page), made once `batch` requests have begun waiting
since the one before, or every `interval` while anyone waits.
https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_ListAccountAssignmentCreationStatus.html
A request no longer listed has SUCCEEDED or FAILED: which one, the caller learns afterwards from one listing of the
instance's FAILED requests (requests_with_status), and DescribeAccountAssignmentCreationStatus for AWS's reason.

A waiter trusts only a listing sent after it started waiting (after its CreateAccountAssignment answered), so a
request is never taken for finished because a listing made before it existed did not show it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from hsm_setup.errors import HsmSetupError, items, next_token, require

if TYPE_CHECKING:  # pragma: no cover - typing only
    from mypy_boto3_sso_admin.client import SSOAdminClient

LISTING = "ListAccountAssignmentCreationStatus"
WHAT = f"sso-admin {LISTING}"
# When a listing is sent. A listing costs one of the 20 calls a second, and a request is known to have finished (its
# slot, one of 15, free again) only at the first listing after it has. A request is listed at least once in progress
# (as soon as AWS has it: the practice account answers so), so each spans two listings, and 15 slots hold two
# groups, 7 and 8: a listing is sent once 7 requests have begun waiting since the one before and every slot is taken
# (or 8 wait), which lists each group just after it is sent and frees the group before at the same time. Creations
# quicker than that go in turn with listings, 15 to 2 (17.6 creations a second at most); slower ones are listed every
# LISTING_INTERVAL while any waits. Listing as soon as 7 waited, groups stayed at 7 (a listing for every 6.9
# creations over 2,000, against 7.5 this way); listing every 0.3 s, slots freed at a listing were taken by creations
# sent just after it, each then held until the second listing after: 16.7 creations a second at most.
LISTING_INTERVAL = 0.5
LISTING_BATCH = 7
# How often the thread that will send the next listing looks whether a batch has begun waiting.
BATCH_LOOK = 0.02
# How long a request may stay IN_PROGRESS before the wait for it gives up (a later run follows it).
MAX_WAIT = 300.0


class CreationWatch:
    """The instance's creation requests in progress, listed for every thread waiting on one of them."""

    def __init__(
        self,
        sso: SSOAdminClient,
        instance_arn: str,
        *,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        interval: float = LISTING_INTERVAL,
        batch: int = LISTING_BATCH,
        max_wait: float = MAX_WAIT,
        all_taken: Callable[[], bool] = lambda: True,
    ) -> None:
        self._sso = sso
        self._instance_arn = instance_arn
        self._interval = interval
        self._batch = batch
        self._max_wait = max_wait
        # Whether every slot for an outstanding creation is taken: a batch waits for the last one to be.
        self._all_taken = all_taken
        self._sleep = sleep
        self._clock = clock
        # When the next listing may be sent: `interval` after the last one was, start to start, so the time a
        # listing takes is not added to the wait.
        self._next_at = float("-inf")
        self._changed = threading.Condition()
        self._sent = 0  # listings sent so far
        self._latest = 0  # the number of the latest listing answered
        self._fresh = 0  # requests that began waiting since the latest listing was sent
        self._in_progress: frozenset[str] = frozenset()
        self._listing = False

    def wait(self, request_id: str) -> None:
        """Return once a listing sent after this call no longer shows `request_id` in progress.

        One waiting thread at a time makes the listing (once `batch` requests have begun waiting since the one before,
        or `interval` after it), the others wait for its answer.
        """
        with self._changed:
            self._fresh += 1
            wanted = self._sent + 1
            started = self._clock()
            while True:
                if self._latest >= wanted:
                    if request_id not in self._in_progress:
                        return
                    if self._clock() - started >= self._max_wait:
                        raise HsmSetupError(
                            f"Assignment request {request_id} is still in progress after {self._max_wait:.0f} s.",
                            "Run apply again later: it follows the same request.",
                        )
                    wanted = self._latest + 1
                if self._listing:
                    self._changed.wait()
                    continue
                self._listing = True
                self._changed.release()
                try:
                    self._until_due()
                    with self._changed:
                        self._sent += 1
                        number = self._sent
                        self._fresh = 0
                    self._next_at = self._clock() + self._interval
                    found = self._list()
                except BaseException:
                    self._changed.acquire()
                    self._listing = False
                    self._changed.notify_all()
                    raise
                self._changed.acquire()
                self._listing = False
                self._in_progress, self._latest = found, number
                self._changed.notify_all()

    def _until_due(self) -> None:
        """Sleep until the next listing is due: a batch of requests waiting, or the interval gone."""
        while not self._batch_waits():
            left = self._next_at - self._clock()
            if left <= 0:
                return
            self._sleep(min(left, BATCH_LOOK))

    def _batch_waits(self) -> bool:
        # Read without the lock: a stale count only delays the look by BATCH_LOOK.
        fresh = self._fresh
        return fresh > self._batch or (fresh == self._batch and self._all_taken())

    def _list(self) -> frozenset[str]:
        return requests_with_status(self._sso, self._instance_arn, "IN_PROGRESS")


def requests_with_status(sso: SSOAdminClient, instance_arn: str, status: str) -> frozenset[str]:
    """The ids of the instance's creation requests AWS lists with `status`, 100 a page."""
    kwargs: dict[str, object] = {"InstanceArn": instance_arn, "Filter": {"Status": status}, "MaxResults": 100}
    seen: set[str] = set()
    found: set[str] = set()
    while True:
        page = sso.list_account_assignment_creation_status(**kwargs)  # type: ignore[arg-type]
        for listed in items(page, "AccountAssignmentsCreationStatus", what=WHAT):
            if isinstance(listed, dict) and listed.get("Status") == status:
                found.add(str(require(listed, "RequestId", what=WHAT)))
        token = next_token(page, "NextToken", seen, what=WHAT)
        if token is None:
            return frozenset(found)
        kwargs["NextToken"] = token
