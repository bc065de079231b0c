"""Waiting for many account assignment creations at once, with one status listing for all of them.

Polling each request (DescribeAccountAssignmentCreationStatus) costs a call per request per poll, and Identity
Center's 20 calls a second are shared by creations and status reads (identity_center/pace.py): at two polls a
request, two of every three calls would be polls. Instead, the threads waiting for their requests share one
listing of the instance's requests still in progress (ListAccountAssignmentCreationStatus, Filter IN_PROGRESS, 100
a page: at most 15 creations are outstanding, so usually one page), made every `interval` while anyone waits.
https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_ListAccountAssignmentCreationStatus.html
A request no longer listed has SUCCEEDED or FAILED: which one, the caller learns afterwards (per_account's
assignments listing, and DescribeAccountAssignmentCreationStatus for a request that did not succeed).

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
# A listing costs one of the 20 calls a second: about three a second leave 17 for creations, and a request that has
# finished frees its slot (one of 15) within about 0.3 s. With 15 slots, that wait bounds the creations a second to
# 15 / (AWS's own time + ~0.45 s) more tightly than the calls the listings take.
LISTING_INTERVAL = 0.3
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
        max_wait: float = MAX_WAIT,
    ) -> None:
        self._sso = sso
        self._instance_arn = instance_arn
        self._interval = interval
        self._max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        # When the next listing may be sent: `interval` after the last one was, start to start, so the time a
        # listing takes is not added to the wait.
        self._next_at = float("-inf")
        self._changed = threading.Condition()
        self._sent = 0  # listings sent so far
        self._latest = 0  # the number of the latest listing answered
        self._in_progress: frozenset[str] = frozenset()
        self._listing = False

    def wait(self, request_id: str) -> None:
        """Return once a listing sent after this call no longer shows `request_id` in progress.

        One waiting thread at a time makes the listing (`interval` after the one before), the others wait for its answer.
        """
        with self._changed:
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
                    now = self._clock()
                    self._sleep(max(self._next_at - now, 0.0))
                    with self._changed:
                        self._sent += 1
                        number = self._sent
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

    def _list(self) -> frozenset[str]:
        kwargs: dict[str, object] = {
            "InstanceArn": self._instance_arn,
            "Filter": {"Status": "IN_PROGRESS"},
            "MaxResults": 100,
        }
        seen: set[str] = set()
        found: set[str] = set()
        while True:
            page = self._sso.list_account_assignment_creation_status(**kwargs)  # type: ignore[arg-type]
            for status in items(page, "AccountAssignmentsCreationStatus", what=WHAT):
                if isinstance(status, dict) and status.get("Status") == "IN_PROGRESS":
                    found.add(str(require(status, "RequestId", what=WHAT)))
            token = next_token(page, "NextToken", seen, what=WHAT)
            if token is None:
                return frozenset(found)
            kwargs["NextToken"] = token
