"""What a seat tells the facilitator's board: each step's status and the first step not done.

Pushed over the seat's channel rather than written to a status file for the server
to read: the channel is already open, the board hears of a change the moment it
happens (no polling of 20 folders), nothing is fsync'd on every change of a view
that changes many times a second while a step is checked, and a file left by an
earlier wizard process cannot be mistaken for the live one. The server keeps the
last report, so a seat whose tab is closed still shows where it stopped.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .control import SeatLink

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hsm_setup.session.view import SessionView

Status = dict[str, object]


def seat_status(view: SessionView) -> Status | None:
    """The board's row for this view, or None before the account has answered (nothing to say yet)."""
    if not view.connected or not view.steps:
        return None
    return {
        "steps": {step.id: step.state.value for step in view.steps},
        # Where the attendee is in the setup: the step a half-finished setup resumes at.
        "current": view.first_undone(),
    }


class StatusReporter:
    """Sends the newest status on its own thread: the wizard's event loop never waits on the server.

    Only the latest report matters, so one that arrives while another is being sent replaces
    any still waiting; an unchanged status is not sent again.
    """

    def __init__(self, link: SeatLink) -> None:
        self.link = link
        self._changed = threading.Condition()
        self._waiting: Status | None = None
        self._last: Status | None = None
        self._sending = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="hsm-setup-seat-status", daemon=True)
        self._thread.start()

    def report(self, status: Status | None) -> None:
        if status is None:
            return
        with self._changed:
            if status in (self._last, self._waiting):
                return
            self._waiting = status
            self._changed.notify_all()

    def flush(self, timeout: float) -> bool:
        """Wait (up to `timeout` s) until every report so far has reached the server."""
        with self._changed:
            return self._changed.wait_for(lambda: self._waiting is None and not self._sending, timeout)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._waiting is not None or self._closed)
                if self._waiting is None:
                    return
                status, self._waiting, self._sending = self._waiting, None, True
            try:
                self.link.call("status", status)
            except Exception:
                status = None
            with self._changed:
                self._sending = False
                if status is not None:
                    self._last = status
                self._changed.notify_all()
