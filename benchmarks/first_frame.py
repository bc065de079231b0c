"""Time from process start to the first frame on the terminal, for the wizard and for a
bare Textual app that shows one label, measured the same way.

Each app runs in a real pseudo-terminal (80x24). The clock starts just before the
process is spawned and stops when the terminal receives a frame holding the app's
marker text, so Python's start-up, every import and the first layout are counted.

    python benchmarks/first_frame.py            # both, in alternation; the median ratio of the pairs
    python benchmarks/first_frame.py --bare-app # (internal) the bare app itself
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

from harness import PYTHON, ROOT, child_env, median

BARE_MARKER = "one label"
# The wizard's first frame: its header and the step list's placeholder.
WIZARD_MARKER = "hsm-setup"
FRAME_TIMEOUT = 30.0
_ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")


def bare_app() -> None:
    from textual.app import App
    from textual.widgets import Label

    class Bare(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield Label(BARE_MARKER)

    Bare().run()


def time_to_frame(command: list[str], marker: str, env: dict[str, str]) -> float:
    """Seconds from spawn until the terminal shows `marker`; the process is then ended."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, close_fds=True, start_new_session=True
    )
    os.close(slave)
    seen = b""
    found = float("nan")
    try:
        deadline = started + FRAME_TIMEOUT
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            seen += chunk
            # Text is drawn between cursor moves: strip escapes and spaces before looking for it.
            if marker.replace(" ", "") in _ESCAPES.sub(b"", seen).decode("utf-8", "replace").replace(" ", ""):
                found = time.perf_counter() - started
                break
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        os.close(master)
    return found


def measure(runs: int = 11) -> dict[str, float]:
    """First-frame seconds of the bare app and the wizard, run in alternation.

    The ratio is the median of each wizard run over the bare run just before it: a
    virtual machine's speed drifts over seconds, and a pair taken side by side sees
    the same drift, where two medians taken over the whole run do not.
    """
    import tempfile

    env = child_env(None, tempfile.mkdtemp(prefix="hsm-bench-state-"), TERM="xterm-256color", COLUMNS="80", LINES="24")
    bare_cmd = [PYTHON, str(Path(__file__).resolve()), "--bare-app"]
    wizard_cmd = [PYTHON, "-m", "hsm_setup_screens", "--sandbox"]
    # One untimed run each, so bytecode caches are written and the file cache is warm.
    time_to_frame(bare_cmd, BARE_MARKER, env)
    time_to_frame(wizard_cmd, WIZARD_MARKER, env)
    bare: list[float] = []
    wizard: list[float] = []
    for _ in range(runs):
        bare.append(time_to_frame(bare_cmd, BARE_MARKER, env))
        wizard.append(time_to_frame(wizard_cmd, WIZARD_MARKER, env))
    ratios = [w / b for w, b in zip(wizard, bare, strict=True)]
    return {
        "bare": median(bare),
        "wizard": median(wizard),
        "ratio": median(ratios),
        "bare_all": bare,  # type: ignore[dict-item]
        "wizard_all": wizard,  # type: ignore[dict-item]
    }


if __name__ == "__main__":
    if "--bare-app" in sys.argv:
        bare_app()
    else:
        result = measure()
        print(
            f"bare app: {result['bare']:.3f} s  wizard: {result['wizard']:.3f} s  ratio {result['ratio']:.2f} (median of pairs)"
        )
