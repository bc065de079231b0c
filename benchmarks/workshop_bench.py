"""A room arriving at once: N seats (default 20) open in a real browser against `hsm-setup workshop`.

    python benchmarks/workshop_bench.py [--seats 20] [--json FILE]

Debian's Chromium (apt-get install chromium), driven by Playwright, opens N seats at the
same moment (one browser context each, so each holds a seat of its own), and measures:

- time to a seat's first frame in the browser: from the page being asked for to the
  seat's first screen (its welcome) having reached the page's terminal; median and worst;
- then every attendee types a name, and once every seat shows its checked first step:
  memory per seat (the server's processes' proportional set size, PSS, less the server's
  own before anyone came, divided by N: what a seat really costs, shared pages counted
  once) and the server's total resident set size (RSS of the server and every process
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
    """When each marker first reached the page, read from the websocket's frames as they arrive.

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

    def attach(self, page) -> None:  # type: ignore[no-untyped-def]
        page.on("websocket", self._opened)

    def _opened(self, websocket) -> None:  # type: ignore[no-untyped-def]
        self.connected = self.connected or time.monotonic()
        websocket.on("framereceived", self._received)

    def _received(self, payload: bytes | str) -> None:
        if not isinstance(payload, (bytes, bytearray)):
            return
        now = time.monotonic()
        longest = max(len(m) for m in self.markers.values())
        window = self._tail + bytes(payload)
        for marker, raw in self.markers.items():
            if marker not in self.seen and raw in window:
                self.seen[marker] = now
        self._tail = window[-longest:]


async def open_seat(browser, url: str, number: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    clock = FrameClock((WELCOME, CHECKED))
    clock.attach(page)
    started = time.monotonic()
    await page.goto(url, wait_until="commit", timeout=WAIT * 1000)
    await wait_until(lambda: WELCOME in clock.seen, f"seat {number}'s first frame")
    first_frame = clock.seen[WELCOME] - started
    assert clock.connected is not None  # the welcome came through the websocket
    served = clock.seen[WELCOME] - clock.connected
    await page.keyboard.type(f"Bench {number}")
    await page.keyboard.press("Enter")
    await wait_until(lambda: CHECKED in clock.seen, f"seat {number}'s first step")
    return {"first_frame": first_frame, "served": served, "checked": clock.seen[CHECKED] - started, "context": context}  # type: ignore[dict-item]


async def measure(seats: int) -> dict[str, float]:
    from playwright.async_api import async_playwright

    workshop = Workshop("--seats", str(seats))
    try:
        # The server alone, before anyone comes (its practice accounts start with the seats).
        await asyncio.sleep(1.0)
        _, idle_pss, _ = tree_memory(workshop.process.pid)
        async with async_playwright() as playwright:
            # launch() gives the browser a fresh temporary profile of its own.
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS), headless=True
            )
            try:
                opened = await asyncio.gather(*(open_seat(browser, workshop.join_link, n) for n in range(1, seats + 1)))
                rss, pss, processes = tree_memory(workshop.process.pid)
                rows = workshop.board_json()["seats"]
                for seat in opened:
                    await seat["context"].close()  # type: ignore[attr-defined]
            finally:
                await browser.close()
    finally:
        workshop.stop()
    frames = sorted(seat["first_frame"] for seat in opened)
    checked = sorted(seat["checked"] for seat in opened)
    served = sorted(seat["served"] for seat in opened)
    return {
        "seats": seats,
        "seats_on_board": len(rows),
        "first_frame_median_s": statistics.median(frames),
        "first_frame_worst_s": frames[-1],
        "served_first_frame_median_s": statistics.median(served),
        "served_first_frame_worst_s": served[-1],
        "first_step_checked_median_s": statistics.median(checked),
        "first_step_checked_worst_s": checked[-1],
        "server_total_rss_mib": rss,
        "server_total_pss_mib": pss,
        "server_idle_pss_mib": idle_pss,
        "per_seat_pss_mib": (pss - idle_pss) / seats,
        "per_seat_rss_mib": rss / seats,
        "processes": processes,
    }


def report(figures: dict[str, float]) -> None:
    seats = int(figures["seats"])

    def line(name: str, value: str, target: str, met: bool | None) -> None:
        mark = "" if met is None else ("meets" if met else "MISSES")
        print(f"  {name:<52} {value:>12}   {target:<22} {mark}")

    print(f"hsm-setup workshop: {seats} seats opened at once in Chromium ({figures['seats_on_board']} on the board)")
    line(
        "first frame of a seat, median",
        f"{figures['first_frame_median_s']:.2f} s",
        f"< {FIRST_FRAME_TARGET:g} s",
        figures["first_frame_median_s"] < FIRST_FRAME_TARGET,
    )
    line(
        "first frame of a seat, worst",
        f"{figures['first_frame_worst_s']:.2f} s",
        f"< {FIRST_FRAME_TARGET:g} s",
        figures["first_frame_worst_s"] < FIRST_FRAME_TARGET,
    )
    line(
        "  of which the server (websocket open to welcome), median",
        f"{figures['served_first_frame_median_s']:.2f} s",
        "",
        None,
    )
    line("  of which the server, worst", f"{figures['served_first_frame_worst_s']:.2f} s", "", None)
    line("first step checked (name typed), median", f"{figures['first_step_checked_median_s']:.2f} s", "", None)
    line("first step checked (name typed), worst", f"{figures['first_step_checked_worst_s']:.2f} s", "", None)
    line(
        "memory per seat (PSS, wizard + practice account)",
        f"{figures['per_seat_pss_mib']:.0f} MiB",
        f"< {PER_SEAT_TARGET_MIB:g} MiB",
        figures["per_seat_pss_mib"] < PER_SEAT_TARGET_MIB,
    )
    line("server's total RSS (all its processes)", f"{figures['server_total_rss_mib']:.0f} MiB", "", None)
    line("server's total PSS (shared pages counted once)", f"{figures['server_total_pss_mib']:.0f} MiB", "", None)
    line("RSS per seat (shared pages counted in each)", f"{figures['per_seat_rss_mib']:.0f} MiB", "", None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seats", type=int, default=20)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    figures = asyncio.run(measure(args.seats))
    report(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
