"""Waiting on Identity Center's asynchronous requests, and retrying what a concurrent change refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from hsm_setup.errors import HsmSetupError, is_code, known_status, require
from hsm_setup.identity_center.instance import StepWork

# Polling an asynchronous Identity Center request: 0.5, 1, 2, 4, 8, 15, 15... seconds, at most ~5 minutes.
FIRST_POLL_DELAY = 0.5
MAX_POLL_DELAY = 15.0
MAX_POLL_WAIT = 300.0
# ConflictException while another change to the same permission set is in flight: 2, 4, 8, 16, 32 s.
CONFLICT_ATTEMPTS = 6
FIRST_CONFLICT_DELAY = 2.0
# The statuses of an asynchronous Identity Center request; any other stops the wait with an explanation.
REQUEST_STATUSES = ("IN_PROGRESS", "FAILED", "SUCCEEDED")

T = TypeVar("T")


def retry_on_conflict(work: StepWork, call: Callable[[], T], what: str) -> T:
    """Retry a call AWS refuses with ConflictException while another change to the permission set runs."""
    delay = FIRST_CONFLICT_DELAY
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            return call()
        except Exception as exc:
            if not is_code(exc, "ConflictException") or attempt == CONFLICT_ATTEMPTS:
                raise
            work.progress(
                f"{what}: another change to this permission set is in progress; "
                f"trying again in {delay:.0f} s (attempt {attempt + 1} of {CONFLICT_ATTEMPTS})"
            )
            work.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


def wait_for(
    work: StepWork,
    first: dict[str, object],
    describe: Callable[[str], dict[str, object]],
    what: str,
    calls: tuple[str, str] = ("sso-admin", "sso-admin"),
) -> dict[str, object]:
    """Poll an asynchronous request until SUCCEEDED; FAILED raises with AWS's reason.

    `first` is the status the starting call returned; `describe(request_id)` reads it again.
    `calls` names the call that gave `first` and the one `describe` makes, for a status
    hsm-setup does not know.
    """
    answered_by = calls[0]
    status = first
    delay = FIRST_POLL_DELAY
    waited = 0.0
    while True:
        # Only SUCCEEDED is success; a status hsm-setup does not know stops the wait rather than polling on.
        state = known_status(
            status.get("Status") if isinstance(status, dict) else None, REQUEST_STATUSES, what=answered_by
        )
        if state == "SUCCEEDED":
            return status
        if state == "FAILED":
            reason = status.get("FailureReason") or "AWS gave no reason"
            raise HsmSetupError(
                f"{what} failed: {reason}", "Fix the cause AWS gives and run apply again; progress is kept."
            )
        if waited >= MAX_POLL_WAIT:
            raise HsmSetupError(
                f"{what} is still {str(state).lower().replace('_', ' ')} after {waited:.0f} s (request {status.get('RequestId')}).",
                "Run `hsm-setup check` in a few minutes: hsm-setup remembers the request and checks it.",
            )
        work.progress(f"{what}: {str(state).lower().replace('_', ' ')}; checking again in {delay:.0f} s")
        work.sleep(delay)
        waited += delay
        delay = min(delay * 2, MAX_POLL_DELAY)
        status = describe(str(require(status, "RequestId", what=answered_by)))
        answered_by = calls[1]
