"""Helpers for the wizard's tests: the app on the practice account, and bounded waits."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

# Checks and applies run in thread workers against the practice account's server;
# these bounds only keep a broken build from hanging CI, they are not timings.
WAIT_SECONDS = 60.0


async def wait_for(pilot: Any, predicate: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting for {what}; {describe(pilot.app)}")
        await pilot.pause(0.05)


async def wait_for_screen(pilot: Any, screen_type: type, what: str, timeout: float = WAIT_SECONDS) -> Any:
    """Wait until a screen of that type is on top and composed (a pushed dialog has no widgets for a moment)."""

    def ready() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, screen_type) and screen.is_mounted and bool(screen.children)

    await wait_for(pilot, ready, what, timeout)
    await pilot.pause()
    return pilot.app.screen


def describe(app: Any) -> str:
    """The app's state in one line, for failure messages."""
    view = app.view()
    statuses = {s.id: s.state.value for s in view.steps}
    progress = {s.id: s.progress for s in view.steps if s.progress}
    dialog = ""
    if app.screen.query("#error-text"):
        dialog = visible_text(app.screen.query_one("#error-text"))
    return (
        f"screen={type(app.screen).__name__} busy={view.busy} statuses={statuses} dialog={dialog!r} progress={progress}"
    )


def settled(app: Any) -> bool:
    """Connected, every step checked against the current answers, nothing running, and all of it drawn."""
    view = app.view()
    return view.connected and view.checked and view.busy is None and not app.redraws.pending


def state_of(app: Any, step_id: str) -> str:
    """A step's state as the wizard words it (done, to do, needs you...)."""
    return app.view().step(step_id).state.value


async def wait_settled(pilot: Any, what: str = "every check to finish") -> None:
    await wait_for(pilot, lambda: settled(pilot.app), what)
    await pilot.pause()


@pytest.fixture(scope="module")
def shared_practice() -> Any:
    """One practice account per test module: starting one takes seconds, resetting it a moment.

    Module scope (not session): other test folders start their own practice
    accounts in the same worker process, and only one may run at a time.
    """
    from hsm_setup.sandbox import PracticeAccount

    account = PracticeAccount("fresh")
    account.start()
    yield account
    account.stop()


@pytest.fixture
def practice(shared_practice: Any) -> Any:
    """The shared practice account with no faults and the usual caller; the app resets its scenario."""
    shared_practice.clear_faults()
    shared_practice.caller = "user"
    yield shared_practice
    shared_practice.clear_faults()
    shared_practice.caller = "user"


@pytest.fixture
def practice_app(practice: Any) -> Callable[..., Any]:
    """practice_app(scenario, **make_app options): the wizard on the shared practice account, with no real waits."""
    from hsm_setup.aws.connection import Connection
    from hsm_setup_screens.app import make_app

    def build(scenario: str = "fresh", **kwargs: Any) -> Any:
        kwargs.setdefault("watch_interval", None)
        kwargs.setdefault("sleep", lambda seconds: None)
        return make_app(Connection(sandbox=True), scenario=scenario, practice=practice, **kwargs)

    return build


def memory_keyring_backend() -> Any:
    # The same in-memory keyring the unit tests use: inspectable, never the OS's.
    from tests.unit.test_secrets import MemoryKeyring

    return MemoryKeyring()


@pytest.fixture(autouse=True)
def keyring_backend() -> Any:
    """Every wizard test gets an in-memory OS keyring, so no test waits on (or writes to) a real one."""
    import keyring

    from hsm_setup.secrets.store import reset_default_store

    before = keyring.get_keyring()
    backend = memory_keyring_backend()
    keyring.set_keyring(backend)
    reset_default_store()
    yield backend
    keyring.set_keyring(before)
    reset_default_store()


def sidebar_text(app: Any) -> dict[str, str]:
    """What the step list says for each step, as the person reads it."""
    from hsm_setup_screens.sidebar import StepList

    steps = app.screen.query_one(StepList)
    return {step_id: steps.prompt(step_id).plain for step_id in steps.step_ids}


def visible_text(widget: Any) -> str:
    """The text a Static shows."""
    return str(widget.render())


def drawn_text(widget: Any) -> str:
    """The lines a widget draws on the terminal (for content that is not plain text, such as Markdown)."""
    from textual.geometry import Region

    return "\n".join(strip.text.rstrip() for strip in widget.render_lines(Region(0, 0, *widget.size)))


@pytest.fixture(autouse=True)
def _no_browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url) or True)
    return opened


def run_async(test: Callable[..., Any]) -> Callable[..., Any]:
    """Run an async test on a fresh event loop, without an async pytest plugin."""
    import functools

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(test(*args, **kwargs))

    return wrapper


# Active member accounts of the practice account's `org` scenario (hsm_setup.sandbox.organization).
NINE_MEMBERS = tuple(f"{200_000_000_000 + n:012d}" for n in range(9))


class Stages:
    """Holds a fan-out's accounts back in stages of `size`, so each count is on screen before the next comes."""

    def __init__(self, size: int, stages: int) -> None:
        self.size = size
        self.gates = [threading.Event() for _ in range(stages)]
        self.gates[0].set()
        self._arrived = 0
        self._lock = threading.Lock()

    def wrap(self, work: Callable[[str], Any]) -> Callable[[str], Any]:
        def staged(account: str) -> Any:
            with self._lock:
                stage = min(self._arrived // self.size, len(self.gates) - 1)
                self._arrived += 1
            self.gates[stage].wait(WAIT_SECONDS)  # bounded: a failed test never leaves a thread behind
            return work(account)

        return staged

    def release(self, stage: int) -> None:
        self.gates[stage].set()

    def release_all(self) -> None:
        for gate in self.gates:
            gate.set()

    def release_when_closed(self, app: Any) -> None:
        """Let the held accounts go as the wizard closes: its worker threads are waited for when the event loop
        ends, after the test (or the snapshot) is done with the screen."""
        close = app.controller.close

        def closing() -> None:
            self.release_all()
            close()

        app.controller.close = closing


@pytest.fixture
def staged_fanout(monkeypatch: pytest.MonkeyPatch) -> Any:
    """An apply across accounts reports a count every third account (rather than every hundredth), and each stage
    of three accounts is held until the test releases it: each count is on screen before the next comes."""
    from hsm_setup.organizations import apply_accounts

    stages = Stages(3, 3)
    across = apply_accounts.across_accounts

    def staged(accounts: list[str], work: Callable[[str], Any], **kwargs: Any) -> Any:
        return across(accounts, stages.wrap(work), **kwargs, every=3)

    monkeypatch.setattr(apply_accounts, "across_accounts", staged)
    yield stages
    stages.release_all()
