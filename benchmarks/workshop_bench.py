"""A room arriving at once: N seats (default 20) open at the same moment against `hsm-setup workshop`.

    python benchmarks/workshop_bench.py [--seats 20] [--browsers 1] [--rounds 3] [--json FILE]
    python benchmarks/workshop_bench.py --all-in-chromium    # every seat a Chromium page on this machine

In a workshop each attendee's browser runs on their own computer; only the server is shared.
So in each round N seats open at the same moment: `--browsers` of them are real pages in
Debian's Chromium (driven by Playwright), timed from the page being asked for to the seat's
first screen (its welcome) reaching the page; the others are attendees' stand-ins, which do
over HTTP what the page does (fetch the page and what it loads, open the seat's websocket
with the page's terminal size, read the frames) without a browser's own work, which on a
real attendee's computer is not the server's. `--all-in-chromium` opens every seat as a
Chromium page here instead: that figure is bounded by Chromium itself on two cores, so the
run also times the same number of blank pages opened at once (the browser's floor).

Measured:
- time to a seat's first frame: in Chromium (median and worst over the rounds), and at the
  stand-ins (frame arrival; median and worst);
- then, once every seat shows its welcome, every attendee types a name, and once every seat
  shows its checked first step:
  memory per seat (the proportional set size, PSS, of the server's processes less the
  server's and its zygote's own, divided by N: a seat's wizard and practice account, shared
  pages counted once) and the server's total resident set size (RSS of the server and every process
  it started, shared pages counted in each).

Targets: first frame under 2 s at 20 seats; under 150 MiB per seat. This is a
measurement, not a test: nothing fails on a missed target. Everything runs on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.workshop.browser import CHROMIUM, CHROMIUM_FLAGS, Workshop  # noqa: E402

FIRST_FRAME_TARGET = 2.0
PER_SEAT_TARGET_MIB = 150.0
WELCOME = "Welcome to the hsm-setup workshop"
# The fresh scenario's first step after its check: the root user has no MFA yet.
CHECKED = "needs you"
WAIT = 300.0
MIB = 1024 * 1024


def server_memory(pid: int) -> float:
    """PSS in MiB of the server itself and its zygote: what it holds with no seat, practice accounts aside."""
    root = psutil.Process(pid)
    own = [root, *(child for child in root.children() if "zygote" in " ".join(child.cmdline()))]
    return sum(getattr(p.memory_full_info(), "pss", 0) for p in own) / MIB


def tree_memory(pid: int) -> tuple[float, float, int]:
    """(RSS, PSS) in MiB of the process and all it started, and how many processes that is."""
    root = psutil.Process(pid)
    rss = pss = 0.0
    processes = [root, *root.children(recursive=True)]
    for process in processes:
        try:
            info = process.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return rss / MIB, pss / MIB, len(processes)


async def wait_until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what}")
        await asyncio.sleep(0.02)


class FrameClock:
    """When each marker first reached the attendee, read from the websocket's frames as they arrive.

    Deliberately not a terminal emulator: feeding 20 seats' frames through one and rendering
    its screen to poll it took a core of the benchmark's own, on a machine with two, and slowed
    what it measured. The wizard writes a line of one style as one run of text, so the markers
    are found in the bytes (a marker split across two frames is found too).
    """

    def __init__(self, markers: tuple[str, ...]) -> None:
        self.markers = {marker: marker.encode() for marker in markers}
        self.seen: dict[str, float] = {}
        self.connected: float | None = None  # when the page opened its websocket to the seat
        self._tail = b""

    def attach(self, page: Any) -> None:
        page.on("websocket", self._opened)

    def _opened(self, websocket: Any) -> None:
        self.connected = self.connected or time.monotonic()
        websocket.on("framereceived", self.received)

    def received(self, payload: bytes | str) -> None:
        if not isinstance(payload, (bytes, bytearray)):
            return
        now = time.monotonic()
        longest = max(len(m) for m in self.markers.values())
        window = self._tail + bytes(payload)
        for marker, raw in self.markers.items():
            if marker not in self.seen and raw in window:
                self.seen[marker] = now
        self._tail = window[-longest:]


class Seat:
    """One attendee's timings, from the moment their page was asked for."""

    def __init__(self, kind: str, room_open: asyncio.Event) -> None:
        self.kind = kind  # "chromium" or "stand-in"
        self.clock = FrameClock((WELCOME, CHECKED))
        self.started = 0.0
        # Names are typed once every seat shows its welcome: the first checks (a core-second each) would
        # otherwise be timed into the first frames of the seats still opening.
        self.room_open = room_open
        self.release = asyncio.Event()  # the seat stays open until the memory has been measured

    def figures(self) -> dict[str, float]:
        assert self.clock.connected is not None  # the welcome came through the websocket
        return {
            "first_frame": self.clock.seen[WELCOME] - self.started,
            "served": self.clock.seen[WELCOME] - self.clock.connected,
            "checked": self.clock.seen[CHECKED] - self.started,
        }


async def chromium_seat(browser: Any, url: str, number: int, seat: Seat) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = await context.new_page()
        seat.clock.attach(page)
        seat.started = time.monotonic()
        await page.goto(url, wait_until="commit", timeout=WAIT * 1000)
        await wait_until(lambda: WELCOME in seat.clock.seen, f"seat {number}'s first frame")
        await seat.room_open.wait()
        await page.keyboard.type(f"Bench {number}")
        await page.keyboard.press("Enter")
        await wait_until(lambda: CHECKED in seat.clock.seen, f"seat {number}'s first step")
        await seat.release.wait()
    finally:
        await context.close()


# What the seat's page asks for besides itself (templates/seat.html, _base.html), and the
# terminal size Chromium's page proposes at 1280x800 with the default font size.
PAGE_ASSETS = ("/static/css/xterm.css", "/static/js/textual.js", "/static/fonts/RobotoMono-VariableFont_wght.ttf")
PAGE_TERMINAL = {"width": 142, "height": 38}


async def stand_in_seat(url: str, number: int, seat: Seat) -> None:
    """What the seat's page does over the network, without a browser: an attendee on a computer of their own."""
    import aiohttp
    from yarl import URL

    base = str(URL(url).origin())
    jar = aiohttp.CookieJar(unsafe=True)  # the server is an IP address: keep its cookie anyway
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        seat.started = time.monotonic()
        async with http.get(url) as answer:  # the join link: a seat, its cookie, then the page
            answer.raise_for_status()
            await answer.read()
        for asset in PAGE_ASSETS:
            async with http.get(base + asset) as answer:
                await answer.read()
        query = f"?width={PAGE_TERMINAL['width']}&height={PAGE_TERMINAL['height']}"
        async with http.ws_connect(base.replace("http", "ws", 1) + "/ws" + query, origin=base) as websocket:
            seat.clock.connected = time.monotonic()
            await websocket.send_str(json.dumps(["resize", PAGE_TERMINAL]))

            async def read_until(marker: str) -> None:
                async for message in websocket:
                    if message.type is aiohttp.WSMsgType.BINARY:
                        seat.clock.received(message.data)
                    if marker in seat.clock.seen:
                        return

            await read_until(WELCOME)
            await seat.room_open.wait()
            await websocket.send_str(json.dumps(["stdin", f"Bench {number}"]))
            await websocket.send_str(json.dumps(["stdin", "\r"]))
            await read_until(CHECKED)
            await seat.release.wait()


async def blank_pages(browser: Any, pages: int) -> list[float]:
    """Seconds for each of `pages` blank pages opened at once in Chromium here: the browser's own floor."""
    from aiohttp import web

    app = web.Application()
    app.add_routes(
        [web.get("/", lambda _: web.Response(text="<!DOCTYPE html><title>blank</title>", content_type="text/html"))]
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]

    async def one() -> float:
        context = await browser.new_context()
        try:
            page = await context.new_page()
            started = time.monotonic()
            await page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
            return time.monotonic() - started
        finally:
            await context.close()

    try:
        return sorted(await asyncio.gather(*(one() for _ in range(pages))))
    finally:
        await runner.cleanup()


async def one_round(browser: Any, seats: int, browsers: int) -> tuple[list[Seat], dict[str, float]]:
    workshop = Workshop("--seats", str(seats))
    try:
        # The facilitator hands out the link once the room's practice accounts are up (the board says).
        deadline = time.monotonic() + WAIT
        while workshop.board_json()["practice_accounts_ready"] < seats:
            if time.monotonic() > deadline:
                raise RuntimeError("gave up waiting for the room's practice accounts")
            await asyncio.sleep(0.5)
        idle_pss = server_memory(workshop.process.pid)
        room_open = asyncio.Event()
        room = [Seat("chromium" if n < browsers else "stand-in", room_open) for n in range(seats)]
        opening = [
            chromium_seat(browser, workshop.join_link, n + 1, seat)
            if seat.kind == "chromium"
            else stand_in_seat(workshop.join_link, n + 1, seat)
            for n, seat in enumerate(room)
        ]
        tasks = [asyncio.ensure_future(work) for work in opening]
        await wait_until(
            lambda: all(WELCOME in seat.clock.seen or task.done() for seat, task in zip(room, tasks, strict=True)),
            "every seat's welcome",
        )
        room_open.set()
        await wait_until(
            lambda: all(CHECKED in seat.clock.seen or task.done() for seat, task in zip(room, tasks, strict=True)),
            "every seat",
        )
        for task in tasks:
            if task.done() and task.exception():
                raise task.exception()  # type: ignore[misc]
        rss, pss, processes = tree_memory(workshop.process.pid)
        on_board = len(workshop.board_json()["seats"])
        for seat in room:
            seat.release.set()
        await asyncio.gather(*tasks)
    finally:
        workshop.stop()
    memory = {
        "server_total_rss_mib": rss,
        "server_total_pss_mib": pss,
        "server_own_pss_mib": idle_pss,
        "per_seat_pss_mib": (pss - idle_pss) / seats,
        "per_seat_rss_mib": rss / seats,
        "processes": processes,
        "seats_on_board": on_board,
    }
    return room, memory


def spread(values: list[float], name: str) -> dict[str, float]:
    ordered = sorted(values)
    return {
        f"{name}_median_s": statistics.median(ordered),
        f"{name}_worst_s": ordered[-1],
        f"{name}_count": len(ordered),
    }


async def measure(seats: int, browsers: int, rounds: int) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    everyone: list[Seat] = []
    memories: list[dict[str, float]] = []
    async with async_playwright() as playwright:
        # launch() gives the browser a fresh temporary profile of its own.
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS), headless=True)
        try:
            for _ in range(rounds):
                room, memory = await one_round(browser, seats, browsers)
                everyone += room
                memories.append(memory)
            floor = await blank_pages(browser, browsers) if browsers > 1 else []
        finally:
            await browser.close()
    figures: dict[str, Any] = {"seats": seats, "browsers": browsers, "rounds": rounds}
    for kind in ("chromium", "stand-in"):
        mine = [seat.figures() for seat in everyone if seat.kind == kind]
        if mine:
            prefix = kind.replace("-", "_")
            figures |= spread([f["first_frame"] for f in mine], f"{prefix}_first_frame")
            figures |= spread([f["served"] for f in mine], f"{prefix}_served")
            figures |= spread([f["checked"] for f in mine], f"{prefix}_checked")
    if floor:
        figures |= spread(floor, "blank_page")
    # Memory: the round with the most per seat (the worst case shown).
    figures |= max(memories, key=lambda m: m["per_seat_pss_mib"])
    return figures


def report(figures: dict[str, Any]) -> None:
    seats, browsers, rounds = int(figures["seats"]), int(figures["browsers"]), int(figures["rounds"])

    def line(name: str, value: str, target: str = "", met: bool | None = None) -> None:
        mark = "" if met is None else ("meets" if met else "MISSES")
        print(f"  {name:<58} {value:>10}   {target:<10} {mark}")

    def seconds(key: str) -> str:
        return f"{figures[key]:.2f} s"

    print(
        f"hsm-setup workshop: {seats} seats opened at once, {rounds} round(s); {browsers} of them in Chromium "
        f"here, {seats - browsers} attendees' stand-ins ({figures['seats_on_board']} seats on the board)"
    )
    target = f"< {FIRST_FRAME_TARGET:g} s"
    for kind, where in (("chromium", "in Chromium"), ("stand_in", "at a stand-in")):
        if f"{kind}_first_frame_median_s" not in figures:
            continue
        count = int(figures[f"{kind}_first_frame_count"])
        for which, label in (("median", f"median of {count}"), ("worst", "worst")):
            key = f"{kind}_first_frame_{which}_s"
            line(f"first frame {where}, {label}", seconds(key), target, figures[key] < FIRST_FRAME_TARGET)
        line("  of which the server (websocket open to welcome), median", seconds(f"{kind}_served_median_s"))
        line("  of which the server, worst", seconds(f"{kind}_served_worst_s"))
    if "blank_page_median_s" in figures:
        line(f"Chromium's floor: {browsers} blank pages at once, median", seconds("blank_page_median_s"))
        line("Chromium's floor, worst", seconds("blank_page_worst_s"))
    for kind in ("chromium", "stand_in"):
        if f"{kind}_checked_median_s" in figures:
            line(
                f"first step checked ({kind.replace('_', '-')}, name typed), median",
                seconds(f"{kind}_checked_median_s"),
            )
            line(f"first step checked ({kind.replace('_', '-')}), worst", seconds(f"{kind}_checked_worst_s"))
    line(
        "memory per seat (PSS, wizard + practice account)",
        f"{figures['per_seat_pss_mib']:.0f} MiB",
        f"< {PER_SEAT_TARGET_MIB:g} MiB",
        figures["per_seat_pss_mib"] < PER_SEAT_TARGET_MIB,
    )
    line("server's total RSS (all its processes)", f"{figures['server_total_rss_mib']:.0f} MiB")
    line("server's total PSS (shared pages counted once)", f"{figures['server_total_pss_mib']:.0f} MiB")
    line("RSS per seat (shared pages counted in each)", f"{figures['per_seat_rss_mib']:.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seats", type=int, default=20)
    parser.add_argument("--browsers", type=int, default=1, help="how many of the seats are Chromium pages here")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--all-in-chromium", action="store_true", help="every seat a Chromium page on this machine")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    browsers = args.seats if args.all_in_chromium else min(args.browsers, args.seats)
    figures = asyncio.run(measure(args.seats, browsers, args.rounds))
    report(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
