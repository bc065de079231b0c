"""Keeping the wizard quick to draw and smooth while the account answers.

Everything that is about when to draw rather than what lives here:
- the first frame: work that would compete with it waits until it is on the terminal;
- the garbage collector: no full collection while botocore and the clients load;
- engine events: drawn once per burst rather than one by one.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from textual.app import App
    from textual.timer import Timer

# Seconds the views wait for more engine events before they are redrawn (see RedrawBatcher).
EVENT_BATCH = 0.05


class FirstPaint:
    """Runs callbacks once the current screen has been drawn on the terminal.

    While the app starts, Textual batches repaints until its Ready event, and
    call_after_refresh would run a callback before anything is drawn; so until Ready
    the callbacks wait for it.
    """

    def __init__(self, app: App[int]) -> None:
        self._app = app
        self._painted = False
        self._waiting: list[Callable[[], object]] = []

    def then(self, callback: Callable[[], object]) -> None:
        if self._painted:
            self._app.screen.call_after_refresh(callback)
        else:
            self._waiting.append(callback)

    def ready(self) -> None:
        """Call from the app's on_ready."""
        freeze_heap()
        self._painted = True
        waiting, self._waiting = self._waiting, []
        for callback in waiting:
            self._app.screen.call_after_refresh(callback)


class RedrawBatcher:
    """Redraw the views once for a burst of engine events.

    Results come in bursts: the answers to requests sent together arrive together,
    and the engine's threads then parse them and send the next requests (botocore
    takes ~7 ms of the interpreter per call). Drawing in the middle of that burst
    shared the interpreter with them and took two to three times as long; a short
    wait lets the burst pass and draws every result of it at once.
    """

    def __init__(self, app: App[int], redraw: Callable[[], None]) -> None:
        self._app = app
        self._redraw = redraw
        self._timer: Timer | None = None

    @property
    def pending(self) -> bool:
        """A redraw is waiting for the burst to pass."""
        return self._timer is not None

    def soon(self) -> None:
        if self._timer is None:
            self._timer = self._app.set_timer(EVENT_BATCH, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._redraw()


def freeze_heap() -> None:
    """Exempt everything alive now from the garbage collector's full collections.

    A full collection scans every tracked object while holding the interpreter; with
    Textual, botocore's models and the clients loaded it took 70-200 ms, a visible
    freeze of the wizard whichever thread started it. What is alive at the first
    frame and on connecting lives as long as the app anyway.
    """
    gc.freeze()


@contextmanager
def loading() -> Iterator[None]:
    """No collections while a worker loads botocore and builds clients (tens of thousands
    of long-lived objects: each collection would scan them, freezing the wizard), then
    freeze what was loaded."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        freeze_heap()
        if was_enabled:
            gc.enable()
