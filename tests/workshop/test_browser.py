"""The workshop in a real browser: Debian's Chromium, driven by Playwright, against the installed
`hsm-setup workshop`. Keys go in through the page; the seat's screen is read from what its
terminal was sent (browser.py); the board is read as the facilitator's browser shows it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .. import screen_walk
from ..screen_walk import idle, title_line
from .browser import CHROMIUM, CHROMIUM_FLAGS, WAIT_SECONDS, SeatScreen, Workshop, chromium_available

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="Chromium is not installed (apt-get install chromium)"),
]

WELCOME = "Welcome to the hsm-setup workshop"
CHECKED = ("needs you", "to do", "done")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    profile = tmp_path / "chromium-profile"  # a fresh --user-data-dir for every test
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=list(CHROMIUM_FLAGS),
            headless=True,
            viewport={"width": 1280, "height": 800},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def workshop() -> Iterator[Workshop]:
    room = Workshop("--seats", "2")
    try:
        yield room
    finally:
        room.stop()


def wait_for(screen: SeatScreen, predicate: Callable[[str], bool], what: str) -> str:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        text = screen.text()
        if predicate(text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}; the seat shows:\n{text}")
        screen.pump()


def open_seat(context: Any, url: str) -> tuple[Any, SeatScreen]:
    page = context.new_page()
    screen = SeatScreen()
    screen.attach(page)
    page.goto(url)
    return page, screen


def take_seat(context: Any, url: str, name: str) -> tuple[Any, SeatScreen]:
    page, screen = open_seat(context, url)
    wait_for(screen, lambda t: WELCOME in t, "the seat's first screen")
    page.keyboard.type(name)
    page.keyboard.press("Enter")
    wait_for(
        screen,
        lambda t: "PRACTICE ACCOUNT" in t and idle(t) and any(w in title_line(t) for w in CHECKED),
        "the first step, checked",
    )
    return page, screen


def walk(page: Any, screen: SeatScreen, until: Callable[[str], bool]) -> str:
    """Do what each step asks, by keyboard, until `until(screen)` (tests/screen_walk.py)."""
    return screen_walk.walk(page.keyboard.press, lambda predicate, what: wait_for(screen, predicate, what), until)


def test_a_seat_walks_from_fresh_to_complete_by_keyboard_and_the_board_shows_it_done(
    browser: Any, workshop: Workshop
) -> None:
    requested: list[str] = []
    browser.on("request", lambda request: requested.append(request.url))
    page, screen = take_seat(browser, workshop.join_link, "Ana")
    assert "needs you" in title_line(screen.text())  # fresh: the root user has no MFA yet
    text = walk(page, screen, lambda t: "Every step is done" in t)
    assert text.count("✓ done") == 6, text

    board = browser.new_page()
    board.goto(workshop.board_link)
    row = board.locator("tr[data-seat]", has_text="Ana")
    row.and_(board.locator("tr.done")).wait_for(timeout=WAIT_SECONDS * 1000)
    cells = row.locator("td.step").all_inner_texts()
    assert cells == ["done"] * 6
    assert row.locator("td.current").inner_text() == "—"
    assert workshop.seat_row("Ana") == {
        **workshop.seat_row("Ana"),
        "done": True,
        "current": None,
        "stuck": False,
        "connected": True,
    }

    # Nothing was loaded from another host: no font service, no script or style from elsewhere.
    origin = urlsplit(workshop.base).netloc
    assert requested and {urlsplit(url).netloc for url in requested} == {origin}


def test_a_seat_that_disconnects_mid_apply_loses_nothing(browser: Any, workshop: Workshop) -> None:
    page, screen = take_seat(browser, workshop.join_link, "Bo")
    # Root user and Identity Center done (console actions simulated, the organization applied).
    walk(page, screen, lambda t: "Step 3 of 6" in t and idle(t) and "to do" in title_line(t))
    page.keyboard.press("a")
    wait_for(screen, lambda t: "Apply changes (y)" in t, "the confirmation")
    page.keyboard.press("y")
    # The tab goes away while the board says the seat is applying.
    workshop.wait_for_row("Bo", lambda row: row["steps"]["admin-user"] == "applying", "the apply to start")
    page.close()
    workshop.wait_for_row("Bo", lambda row: not row["connected"], "the seat to be seen away")

    page, screen = open_seat(browser, workshop.base + "/")
    text = wait_for(screen, lambda t: idle(t) and "Step 4 of 6" in t, "the wizard to resume at the next step")
    # The same seat: its name was not asked again, its practice account kept what was done before
    # (a new account would have the root user without MFA again), and the apply landed.
    assert WELCOME not in text and screen.connections == 1
    row = workshop.wait_for_row(
        "Bo", lambda row: row["connected"] and row["current"] == "permission-sets", "the board to follow"
    )
    assert row["steps"]["root-user"] == row["steps"]["identity-center"] == row["steps"]["admin-user"] == "done"
    assert len(workshop.board_json()["seats"]) == 1
