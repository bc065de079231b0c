"""Helpers for the wizard's tests: the app on the practice account, and bounded waits."""

from __future__ import annotations

import asyncio
from typing import Any, Callable

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


def describe(app: Any) -> str:
    """The app's state in one line, for failure messages."""
    statuses = {s.id: app.shown(s.id).label for s in app.steps}
    dialog = ""
    if app.screen.query("#error-text"):
        dialog = visible_text(app.screen.query_one("#error-text"))
    return (
        f"screen={type(app.screen).__name__} busy={app.busy} checking={sorted(app.checking)} "
        f"statuses={statuses} dialog={dialog!r} progress={app.progress}"
    )


def settled(app: Any) -> bool:
    """Connected, every step checked, and nothing running."""
    return (
        app.ws is not None
        and bool(app.steps)
        and len(app.results) == len(app.steps)
        and not app.checking
        and not app.busy
        and not app.dirty
        and len(app.plans) == len(app.steps)
    )


async def wait_settled(pilot: Any, what: str = "every check to finish") -> None:
    await wait_for(pilot, lambda: settled(pilot.app), what)
    await pilot.pause()


def practice_app(scenario: str = "fresh", **kwargs: Any) -> Any:
    from hsm_setup.aws import Connection
    from screens.app import make_app

    kwargs.setdefault("watch_interval", None)
    return make_app(Connection(sandbox=True), scenario=scenario, sleep=lambda seconds: None, **kwargs)


def sidebar_text(app: Any) -> dict[str, str]:
    """What the step list says for each step, as the person reads it."""
    from screens.sidebar import StepList

    steps = app.screen.query_one(StepList)
    return {steps.get_option_at_index(i).id: str(steps.get_option_at_index(i).prompt) for i in range(steps.option_count)}


def visible_text(widget: Any) -> str:
    """The text a Static shows."""
    return str(widget.render())


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
