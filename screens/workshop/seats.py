"""The room: who holds a seat, each seat's practice account, its progress, and when a seat is let go.

A seat outlives its browser connection: textual-serve starts a wizard process per
connection and ends it when the socket closes, so whatever must survive a reconnect
lives here, in the server's process: the seat's practice account (one child process
per seat, started here and stopped only when the seat is released) and the seat's
folder (its saved answers and progress, HSM_SETUP_STATE_DIR for the wizard). A seat
with no connection for longer than the idle limit is released and its place freed.

Nothing here knows about HTTP or Textual: the server (server.py) and the control
channel (control.py) call these methods, from the event loop or from worker threads.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from hsm_setup.errors import HsmSetupError
from hsm_setup.session.practice import PracticeAccount, StartPractice
from hsm_setup.state.files import private_folder

from .names import STEP_IDS, name_problem, tidy_name

# Starting a practice account costs a second or two of a core. When a room arrives at
# once, starting every seat's together would starve the wizards' first frames of the
# two cores this is sized for: at most this many start at a time, the rest queue.
PRACTICE_STARTS_AT_ONCE = 2
PRACTICE_NICENESS = 10
NOT_CHECKED = "not checked"


class RoomFull(HsmSetupError):
    """Every seat is taken."""


def utc_iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Seat:
    """One attendee's place: a number, a secret that names it in their browser, and what survives a reconnect."""

    number: int
    key: str = field(repr=False)  # the browser's cookie; a secret
    folder: Path
    generated_name: str
    name: str | None = None
    practice: Future[PracticeAccount] | None = None
    steps: dict[str, str] = field(default_factory=lambda: dict.fromkeys(STEP_IDS, NOT_CHECKED))
    # The first step not done (None once every step is done), and since when it has been.
    current: str | None = STEP_IDS[0]
    since: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    connections: int = 0
    # time.monotonic() of the last disconnect (or of the claim, before any connection).
    left_at: float = field(default_factory=time.monotonic)

    @property
    def id(self) -> str:
        return f"seat-{self.number}"

    @property
    def shown_name(self) -> str:
        return self.name or self.generated_name

    @property
    def state_dir(self) -> Path:
        """HSM_SETUP_STATE_DIR for the seat's wizard: its answers, progress and journal."""
        return self.folder / "state"

    @property
    def home(self) -> Path:
        """HOME for the seat's wizard: anything it writes for the person (AWS config, reports) stays in the seat."""
        return self.folder / "home"

    @property
    def control_path(self) -> Path:
        return self.folder / "control.sock"

    @property
    def done(self) -> bool:
        return self.current is None and all(status in ("done", "skipped") for status in self.steps.values())


@dataclass(frozen=True)
class BoardRow:
    """One seat as the facilitator's board shows it (and /board.json serves it)."""

    seat: str
    id: str
    steps: Mapping[str, str]
    current: str | None
    since: str
    stuck: bool
    connected: bool
    done: bool

    def to_json(self) -> dict[str, object]:
        return {
            "seat": self.seat,
            "id": self.id,
            "steps": dict(self.steps),
            "current": self.current,
            "since": self.since,
            "stuck": self.stuck,
            "connected": self.connected,
            "done": self.done,
        }


class SeatManager:
    """Hands out at most `capacity` seats, starts each one's practice account, and releases idle ones.

    Up to `ready` practice accounts are started before anyone asks (never more than the seats still free):
    a room arrives at once, and an attendee who has typed their name should see their first step checked,
    not wait behind the other nineteen accounts starting two at a time. Each new seat takes one that is
    ready (or still starting) and another starts in its place while seats remain free.

    Thread-safe: the server's event loop and the practice accounts' starting threads both call it.
    """

    def __init__(
        self,
        root: Path,
        *,
        capacity: int,
        scenario: str,
        start_practice: StartPractice,
        ready: int = 0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.root = root
        self.capacity = capacity
        self.scenario = scenario
        self._start_practice = start_practice
        self._clock = clock
        self._now = now
        self._lock = threading.Lock()
        self._seats: dict[str, Seat] = {}  # by key
        self.ready = max(0, min(ready, capacity))
        self._ready: deque[Future[PracticeAccount]] = deque()  # started for the next seats, oldest first
        self._starter = ThreadPoolExecutor(
            max_workers=PRACTICE_STARTS_AT_ONCE,
            thread_name_prefix="hsm-setup-seat-practice",
            initializer=_yield_to_wizards,
        )
        private_folder(root)
        self._top_up()

    # -- seats ---------------------------------------------------------------------------
    def find(self, key: str | None) -> Seat | None:
        if not key:
            return None
        with self._lock:
            # compare_digest: the cookie is a secret; looking it up must not tell how much of it matched.
            return next((seat for k, seat in self._seats.items() if secrets.compare_digest(k, key)), None)

    def claim(self, key: str | None = None) -> Seat:
        """The seat this browser holds (by its key), else a new one. Raises RoomFull when none is free."""
        seat = self.find(key)
        if seat is not None:
            return seat
        with self._lock:
            if len(self._seats) >= self.capacity:
                raise RoomFull(
                    f"Every one of the {self.capacity} seats is taken.",
                    "Ask the facilitator: a seat frees up when its attendee has been away for a while.",
                )
            taken = {s.number for s in self._seats.values()}
            number = next(n for n in range(1, self.capacity + 1) if n not in taken)
            folder = self.root / f"seat-{number}"
            shutil.rmtree(folder, ignore_errors=True)  # a released seat's folder, if removing it failed then
            for path in (folder, folder / "state", folder / "home"):
                private_folder(path)
            seat = Seat(
                number,
                secrets.token_urlsafe(24),
                folder,
                generated_name=f"Attendee {number}",
                since=self._now(),
                left_at=self._clock(),
            )
            self._seats[seat.key] = seat
            if self._ready:
                seat.practice = self._ready.popleft()
        self.practice_future(seat)
        self._top_up()
        return seat

    def seats(self) -> list[Seat]:
        with self._lock:
            return sorted(self._seats.values(), key=lambda s: s.number)

    def set_name(self, seat: Seat, name: str) -> str:
        """Record the attendee's name (blank: the generated one); returns the name the board shows."""
        name = tidy_name(name)
        problem = name_problem(name)
        if problem:
            raise HsmSetupError(problem, "Type a shorter name, or press Enter alone to use the one offered.")
        with self._lock:
            seat.name = name or seat.generated_name
            return seat.name

    # -- the seat's practice account ---------------------------------------------------------
    def practice_future(self, seat: Seat) -> Future[PracticeAccount]:
        with self._lock:
            running = seat.practice
            if running is None or (running.done() and running.exception() is not None):
                # Never started, or starting failed: (re)start it. Queued behind other seats' starts.
                running = seat.practice = self._starter.submit(self._start_practice, self.scenario)
            return running

    def practice(self, seat: Seat, timeout: float | None = None) -> PracticeAccount:
        """The seat's practice account, once started (blocks; raises what starting it raised)."""
        return self.practice_future(seat).result(timeout)

    # -- connections -------------------------------------------------------------------------
    def connected(self, seat: Seat) -> None:
        with self._lock:
            seat.connections += 1

    def disconnected(self, seat: Seat) -> None:
        with self._lock:
            seat.connections = max(0, seat.connections - 1)
            seat.left_at = self._clock()

    def release_idle(self, idle_seconds: float) -> list[Seat]:
        """Release every seat nobody has been connected to for `idle_seconds`: its account stops, its folder goes."""
        now = self._clock()
        with self._lock:
            idle = [s for s in self._seats.values() if s.connections == 0 and now - s.left_at >= idle_seconds]
            for seat in idle:
                del self._seats[seat.key]
        for seat in idle:
            self._let_go(seat)
        if idle:
            self._top_up()
        return idle

    def ready_now(self) -> int:
        """How many practice accounts are started and waiting for the next attendees."""
        with self._lock:
            return sum(1 for practice in self._ready if practice.done() and practice.exception() is None)

    def _top_up(self) -> None:
        """Start practice accounts until `ready` wait for the seats still free."""
        with self._lock:
            wanted = min(self.ready, self.capacity - len(self._seats)) - len(self._ready)
            for _ in range(max(0, wanted)):
                self._ready.append(self._starter.submit(self._start_practice, self.scenario))

    def _let_go(self, seat: Seat) -> None:
        if seat.practice is not None:
            _stop_when_started(seat.practice)
        shutil.rmtree(seat.folder, ignore_errors=True)

    def close(self) -> None:
        """Stop every seat's practice account (the server is stopping)."""
        with self._lock:
            seats = list(self._seats.values())
            self._seats.clear()
            ready = list(self._ready)
            self._ready.clear()
            self.ready = 0  # nothing more starts
        self._starter.shutdown(wait=False, cancel_futures=True)
        for seat in seats:
            self._let_go(seat)
        for practice in ready:
            _stop_when_started(practice)

    # -- progress ----------------------------------------------------------------------------
    def record_status(self, seat: Seat, steps: Mapping[str, str], current: str | None) -> None:
        """The seat's wizard reports its step statuses and the first step not done."""
        known = {step: str(status) for step, status in steps.items() if step in STEP_IDS}
        if current is not None and current not in STEP_IDS:
            current = None
        with self._lock:
            seat.steps = {**dict.fromkeys(STEP_IDS, NOT_CHECKED), **known}
            if current != seat.current:
                # Kept across reconnects: a seat that comes back to the same step has been on it all along.
                seat.current, seat.since = current, self._now()

    def board(self, stuck_after: dt.timedelta) -> list[BoardRow]:
        now = self._now()
        rows = []
        for seat in self.seats():
            with self._lock:
                rows.append(
                    BoardRow(
                        seat=seat.shown_name,
                        id=seat.id,
                        steps=dict(seat.steps),
                        current=seat.current,
                        since=utc_iso(seat.since),
                        stuck=seat.current is not None and now - seat.since >= stuck_after,
                        connected=seat.connections > 0,
                        done=seat.done,
                    )
                )
        return rows


def _yield_to_wizards() -> None:
    """Lower this starting thread's priority, and so its practice accounts' (a child inherits the nice
    value of the thread that started it, on Linux): the attendees' screens are drawn first."""
    # Where the system has no such call, the accounts start at the server's priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PRACTICE_NICENESS)


def _stop_when_started(practice: Future[PracticeAccount]) -> None:
    # A start still queued is cancelled; one under way is stopped once it is up.
    if not practice.cancel():
        practice.add_done_callback(_stop_started)


def _stop_started(started: Future[PracticeAccount]) -> None:
    if not started.cancelled() and started.exception() is None:
        started.result().stop()
