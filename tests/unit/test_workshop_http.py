"""The workshop's pages over HTTP, in-process (aiohttp's test server; no browser, no seat's wizard):
who gets a seat, the room-full page, the join token, the board's token, and what the pages may load."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, CookieJar, WSServerHandshakeError
from aiohttp.test_utils import TestServer

from hsm_setup.cli.front_ends import WorkshopSettings
from hsm_setup_screens.workshop.access import Access
from hsm_setup_screens.workshop.seats import SeatManager
from hsm_setup_screens.workshop.server import SEAT_COOKIE, WorkshopServer, web_driver_environment

from .test_workshop_seats import FakePractice

Scenario = Callable[[WorkshopServer, str], Awaitable[None]]


def run(tmp_path: Path, access: Access, scenario: Scenario, *, seats: int = 1) -> None:
    async def main() -> None:
        manager = SeatManager(tmp_path / "room", capacity=seats, scenario="fresh", start_practice=FakePractice)
        server = WorkshopServer(WorkshopSettings(seats=seats, port=0), manager, access=access)
        test_server = TestServer(await server._make_app(), host="127.0.0.1")
        await test_server.start_server()
        try:
            await scenario(server, str(test_server.make_url("")).rstrip("/"))
        finally:
            for channel in server.channels.values():
                await channel.close()
            await test_server.close()
            manager.close()

    asyncio.run(main())


def browser() -> ClientSession:
    """A browser of its own: its own cookies (unsafe=True: cookies for an address, not only a name)."""
    return ClientSession(cookie_jar=CookieJar(unsafe=True))


def test_a_visitor_gets_a_seat_and_keeps_it_on_reload_then_the_room_is_full(tmp_path: Path) -> None:
    async def scenario(server: WorkshopServer, base: str) -> None:
        async with browser() as first, browser() as second:
            async with first.get(base + "/", allow_redirects=False) as answer:
                assert answer.status == 303 and answer.headers["Location"] == "/"
                cookie = answer.cookies[SEAT_COOKIE]
                assert cookie["httponly"] and cookie["samesite"] == "Strict"
            async with first.get(base + "/") as answer:
                page = await answer.text()
                assert answer.status == 200 and "Opening your seat, Attendee 1" in page
            async with first.get(base + "/") as answer:  # a reload: the same seat
                assert answer.status == 200
            assert [row.id for row in server.manager.board(__import__("datetime").timedelta(minutes=1))] == ["seat-1"]
            async with second.get(base + "/") as answer:
                page = await answer.text()
                assert answer.status == 503
                assert "The room is full" in page and "Every one of the 1 seats is taken." in page

    run(tmp_path, Access(None, "board-token"), scenario)


def test_off_loopback_a_seat_needs_the_join_token_and_the_token_leaves_the_address(tmp_path: Path) -> None:
    async def scenario(server: WorkshopServer, base: str) -> None:
        async with browser() as stranger, browser() as attendee:
            for url in (base + "/", base + "/?join=guess"):
                async with stranger.get(url) as answer:
                    assert answer.status == 403
                    assert "needs the link the facilitator handed out" in await answer.text()
            assert server.manager.seats() == []
            async with attendee.get(base + "/?join=join-token") as answer:
                assert answer.status == 200 and str(answer.url) == base + "/"
            async with attendee.get(base + "/") as answer:  # the cookie is enough from now on
                assert answer.status == 200
            assert len(server.manager.seats()) == 1

    run(tmp_path, Access("join-token", "board-token"), scenario, seats=3)


def test_the_board_needs_the_facilitators_token(tmp_path: Path) -> None:
    async def scenario(server: WorkshopServer, base: str) -> None:
        async with browser() as attendee:
            await (await attendee.get(base + "/")).release()
            for path in ("/board", "/board?key=wrong", "/board.json", "/board.json?key=join"):
                async with attendee.get(base + path) as answer:
                    assert answer.status == 403, path
            async with attendee.get(base + "/board.json?key=board-token") as answer:
                body: dict[str, Any] = await answer.json()
            (row,) = body["seats"]
            assert set(row) >= {"seat", "steps", "current", "since"}
            assert row["seat"] == "Attendee 1" and row["current"] == "root-user"
            assert row["steps"] == dict.fromkeys(
                (
                    "root-user",
                    "identity-center",
                    "admin-user",
                    "permission-sets",
                    "cloudhsm-group",
                    "service-linked-role",
                ),
                "not checked",
            )
            async with attendee.get(base + "/board?key=board-token") as answer:
                page = await answer.text()
                assert (
                    answer.status == 200
                    and "Attendee 1" in page
                    and '<span id="count">1</span> of 1 seats taken' in " ".join(page.split())
                )

    run(tmp_path, Access(None, "board-token"), scenario)


def test_an_attendees_name_is_shown_as_text_never_as_markup(tmp_path: Path) -> None:
    async def scenario(server: WorkshopServer, base: str) -> None:
        async with browser() as attendee:
            await (await attendee.get(base + "/")).release()
            (seat,) = server.manager.seats()
            server.manager.set_name(seat, '<img src=x onerror="alert(1)">')
            async with attendee.get(base + "/board?key=board-token") as answer:
                page = await answer.text()
            assert '<img src=x onerror="alert(1)">' not in page
            assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page

    run(tmp_path, Access(None, "board-token"), scenario)


def test_pages_may_load_nothing_from_another_host(tmp_path: Path) -> None:
    async def scenario(server: WorkshopServer, base: str) -> None:
        async with browser() as attendee:
            async with attendee.get(base + "/") as answer:
                page = await answer.text()
                policy = answer.headers["Content-Security-Policy"]
            assert (
                "default-src 'none'" in policy
                and "font-src 'self'" in policy
                and "script-src 'self' 'unsafe-inline'" in policy
            )
            assert "https://" not in page and "http://" not in page  # textual-serve's page asks fonts.googleapis.com
            for asset in (
                "/static/js/textual.js",
                "/static/css/xterm.css",
                "/static/fonts/RobotoMono-VariableFont_wght.ttf",
            ):
                async with attendee.get(base + asset) as answer:
                    assert answer.status == 200, asset

    run(tmp_path, Access(None, "board-token"), scenario)


def test_a_seats_wizard_opens_only_for_that_seats_page(tmp_path: Path) -> None:
    async def scenario(server: WorkshopServer, base: str) -> None:
        ws = base.replace("http://", "ws://") + "/ws"
        async with browser() as stranger, browser() as attendee:
            with pytest.raises(WSServerHandshakeError) as refused:
                await stranger.ws_connect(ws)  # no seat
            assert refused.value.status == 403
            await (await attendee.get(base + "/")).release()
            with pytest.raises(WSServerHandshakeError) as refused:
                await attendee.ws_connect(ws, origin="http://evil.example")  # another site's page, with the cookie
            assert refused.value.status == 403
        assert server.live == {}

    run(tmp_path, Access(None, "board-token"), scenario)


def test_the_seats_zygote_inherits_nothing_of_the_servers_aws_set_up() -> None:
    env = web_driver_environment(
        {"PATH": "/usr/bin", "AWS_PROFILE": "production", "AWS_SECRET_ACCESS_KEY": "secret", "HOME": "/root"}
    )
    assert env["PATH"] == "/usr/bin" and env["TEXTUAL_DRIVER"] == "textual.drivers.web_driver:WebDriver"
    assert not any(name.startswith("AWS_") for name in env) and "HOME" not in env


def test_what_a_seats_wizard_imports_as_it_starts_is_already_in_the_zygote() -> None:
    # Each module imported after the fork is paid for by every seat, 20 at once when a room arrives.
    import subprocess
    import sys

    script = """
import os, sys
os.environ["TEXTUAL_DRIVER"] = "textual.drivers.web_driver:WebDriver"
from hsm_setup_screens.workshop.zygote import preload
preload()
before = set(sys.modules)
from hsm_setup_screens.workshop import seat
seat._null_keyring()
import textual.drivers.web_driver
print(sorted(set(sys.modules) - before))
"""
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    assert found.stdout.strip() == "[]", found.stdout


def test_a_seats_wizard_finds_the_css_parsed_in_the_zygote_for_its_variables() -> None:
    # Parsing Textual's and the wizard's CSS was a quarter of each seat's start.
    import subprocess
    import sys

    script = """
import os
os.environ["TEXTUAL_DRIVER"] = "textual.drivers.web_driver:WebDriver"
from hsm_setup_screens.workshop.zygote import preload
preload()
import textual.css.stylesheet as stylesheet
from hsm_setup_screens.workshop import seat
parsed = []
parse = stylesheet.parse
stylesheet.parse = lambda *args, **kwargs: (parsed.append(args[1]), parse(*args, **kwargs))[1]
class Link: pass
app = seat.WorkshopSeatApp(Link(), seat="seat-2", name=None, generated_name="Attendee 2", scenario="fresh")
seat.rehearse()  # a seat's first screen again, in this process
print(len(app.stylesheet._parse_cache), len(parsed))
"""
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    cached, parsed_again = map(int, found.stdout.split())
    assert cached > 0 and parsed_again == 0, found.stdout
