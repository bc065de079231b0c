"""`hsm-setup --plain --sandbox` in a real pseudo-terminal: the installed program, answered like a person would."""

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

import pytest

pytestmark = pytest.mark.e2e

PROGRAM = Path(sys.executable).with_name("hsm-setup")
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")


class Terminal:
    """A child process on a pseudo-terminal, read with bounded waits."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        # Wide enough that no question wraps: a pending question is then the last line.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 500, 0, 0))
        self.process = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self.raw = b""

    @property
    def text(self) -> str:
        return ANSI.sub(b"", self.raw).decode("utf-8", errors="replace").replace("\r\n", "\n")

    def read_until_quiet(self, quiet: float = 0.4, limit: float = 30.0) -> None:
        """Wait for output, then read until the program has said nothing for `quiet` seconds (or has exited)."""
        end = time.monotonic() + limit
        got_some = False
        while time.monotonic() < end:
            ready, _, _ = select.select([self.master], [], [], quiet if got_some else max(0.0, end - time.monotonic()))
            if not ready:
                return
            got_some = True
            try:
                data = os.read(self.master, 65536)
            except OSError:  # the child closed the terminal
                return
            if not data:
                return
            self.raw += data

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> int:
        try:
            return self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
            os.close(self.master)


def answer_until_exit(term: Terminal, *, stop_at: str | None = None, limit: float = 120.0) -> None:
    """Answer every question: Yes to confirmations, Enter (keep the default) to inputs.

    With `stop_at`, press Ctrl-C at the first question containing that text instead.
    """
    end = time.monotonic() + limit
    while term.process.poll() is None and time.monotonic() < end:
        last_line = term.text.rsplit("\n", 1)[-1]
        if not last_line.startswith("? "):
            term.read_until_quiet()  # still working, or the last answer is being redrawn
            continue
        if stop_at and stop_at in last_line:
            term.send("\x03")
        elif last_line.rstrip().endswith(("(Y/n)", "(y/N)")):
            term.send("y")
        else:
            term.send("\r")
        # Let the answered question be redrawn before looking for the next one.
        term.read_until_quiet(limit=10)
    term.read_until_quiet(limit=5)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HSM_SETUP_STATE_DIR=str(tmp_path / "state"),
        AWS_CONFIG_FILE=str(tmp_path / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        NO_COLOR="1",
        TERM="xterm",
        # The test does not answer the terminal's cursor-position requests.
        PROMPT_TOOLKIT_NO_CPR="1",
    )
    return env


def test_fresh_practice_account_all_the_way_through(env: dict[str, str]) -> None:
    term = Terminal([str(PROGRAM), "--plain", "--sandbox"], env)
    try:
        answer_until_exit(term)
    finally:
        code = term.close()
    text = term.text
    assert "Step 1 of 6: Root user secured" in text
    assert "evidence: AccountMFAEnabled = 0" in text
    assert "aws iam create-service-linked-role --aws-service-name cloudhsm.amazonaws.com" in text
    assert "Every step is done." in text, text[-3000:]
    assert "Traceback" not in text
    assert code == 0


def test_ctrl_c_stops_cleanly_and_the_next_run_resumes(env: dict[str, str]) -> None:
    term = Terminal([str(PROGRAM), "--plain", "--sandbox"], env)
    try:
        answer_until_exit(term, stop_at="Administrator user name")
    finally:
        code = term.close()
    text = term.text
    assert code == 130
    assert "Stopped." in text and "Changed in this run:" in text
    assert "Traceback" not in text
    # The saved state remembers the answers given so far; the practice account itself starts afresh each run,
    # so resuming is seen in the answers (the Region typed before the stop is the next run's default).
    state = next(Path(env["HSM_SETUP_STATE_DIR"]).glob("sandbox-*/state.json")).read_text()
    assert '"region": "us-east-1"' in state


def test_not_a_terminal_exits_2_pointing_to_apply(env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(PROGRAM), "--plain", "--sandbox"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert "hsm-setup apply --config FILE" in done.stderr
