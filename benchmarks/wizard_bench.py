"""The wizard under Pilot: the event loop's longest stall during a full check, and the
wizard's peak memory on the practice account. Each runs in its own process:

    python benchmarks/wizard_bench.py stall ENDPOINT   # a served account behind the delaying proxy
    python benchmarks/wizard_bench.py memory [SCENARIO] # --sandbox: the practice account in its child process

and prints one line of JSON.

The stall is read from a coroutine on the app's own event loop that asks to wake every
5 ms and records how late it woke: anything that holds the loop (work done on it, or
a worker thread holding the GIL) shows up as lateness.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ADMIN_ANSWERS

if TYPE_CHECKING:
    from hsm_setup.answers.values import Answers

TICK = 0.005
CHECK_TIMEOUT = 120.0


def answers_from(text: str) -> Answers:
    """Answers from TOML text, read the way `--config FILE` reads them."""
    from hsm_setup.answers.values import load_file

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "answers.toml"
        path.write_text(text, encoding="utf-8")
        return load_file(path)


async def run(mode: str, argument: str | None) -> dict[str, float]:
    from hsm_setup.aws.connection import Connection
    from hsm_setup_screens.app import make_app

    if mode == "memory":
        connection = Connection(sandbox=True)
        scenario = argument or "fresh"
        answers = None
    else:
        connection = Connection(
            endpoint_url=argument, access_key_id="testing", secret_access_key="testing", region="us-east-1"
        )
        scenario = "fresh"
        # A served account counts as a real one, where hsm-setup invents no administrator: the
        # wizard is given the one the account was set up with, as the check benchmark gives
        # `hsm-setup check`, so the check ends on the plan rather than on the administrator's fields.
        answers = answers_from(ADMIN_ANSWERS)
    app = make_app(connection, scenario=scenario, watch_interval=None, answers=answers)
    lags: list[tuple[float, float]] = []
    marks: dict[str, float] = {}
    stop = asyncio.Event()

    async def watch_loop() -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while not stop.is_set():
            await asyncio.sleep(TICK)
            now = loop.time()
            lags.append((now, now - last - TICK))
            last = now

    async with app.run_test(size=(100, 30)) as pilot:
        loop = asyncio.get_running_loop()
        monitor = asyncio.create_task(watch_loop())
        marks["mounted"] = loop.time()
        deadline = time.monotonic() + CHECK_TIMEOUT
        while time.monotonic() < deadline:
            await pilot.pause(0.02)
            view = app.view()
            if view.connected and "connected" not in marks:
                marks["connected"] = loop.time()
            if view.connected and view.checked:
                marks["checked"] = loop.time()
                break
        stop.set()
        await monitor
        # --sandbox runs the practice account in a child process: its memory is reported beside the wizard's.
        session = app.controller.session
        peak = getattr(session.practice, "peak_rss_mib", None) if session is not None else None
        practice_rss = peak() if peak is not None else 0.0
        await pilot.press("ctrl+q")
    if "checked" not in marks:
        raise SystemExit("the wizard's check did not finish in time")
    during_check = [lag for t, lag in lags if marks.get("connected", marks["mounted"]) <= t <= marks["checked"]]
    return {
        "max_stall_ms": 1000 * max(during_check, default=0.0),
        "max_stall_whole_ms": 1000 * max((lag for _, lag in lags), default=0.0),
        "check_seconds": marks["checked"] - marks.get("connected", marks["mounted"]),
        "ticks": len(lags),
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "practice_rss_mib": practice_rss,
    }


if __name__ == "__main__":
    mode = sys.argv[1]
    print(json.dumps(asyncio.run(run(mode, sys.argv[2] if len(sys.argv) > 2 else None))))
