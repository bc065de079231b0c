"""The installed program in a real terminal: tmux runs `hsm-setup --sandbox`, keys go in
with send-keys, and the screen is read back with capture-pane."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..screen_walk import idle, title_line, walk

pytestmark = [pytest.mark.tui, pytest.mark.slow]

WIDTH, HEIGHT = 100, 30
# Bounds on each wait, so a broken build fails instead of hanging; not timings.
WAIT_SECONDS = 180


def _program(*args: str) -> list[str]:
    """The installed program with `args` (default: --sandbox)."""
    args = args or ("--sandbox",)
    installed = Path(sys.executable).with_name("hsm-setup")
    if installed.exists():
        return [str(installed), *args]
    return [sys.executable, "-m", "hsm_setup_screens", *args]


class Terminal:
    def __init__(self, socket: str, env: dict[str, str]) -> None:
        self.socket = socket
        self.env = env
        self.seen: list[str] = []  # every screen read, in order

    def start(self, program: list[str]) -> None:
        command = " ".join(shlex.quote(part) for part in program)
        self.tmux("new-session", "-d", "-s", "wizard", "-x", str(WIDTH), "-y", str(HEIGHT), f"{command}; sleep 600")
        self.tmux("resize-window", "-t", "wizard", "-x", str(WIDTH), "-y", str(HEIGHT))
        size = self.tmux("display-message", "-p", "-t", "wizard", "#{pane_width}x#{pane_height}").strip()
        assert size == f"{WIDTH}x{HEIGHT}", f"the terminal is {size}"

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, env=self.env, timeout=30
        )
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "wizard")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "wizard", *keys)

    def wait_for(self, predicate, what: str) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            text = self.screen()
            self.seen.append(text)
            if predicate(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up waiting for {what}; the screen shows:\n{text}")
            time.sleep(0.2)


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "HSM_SETUP_", "TMUX")) and k not in ("LINES", "COLUMNS")
    }
    env.update(
        # shutil.get_terminal_size reads these before asking the terminal: an inherited value must not pick the size.
        COLUMNS=str(WIDTH),
        LINES=str(HEIGHT),
        HSM_SETUP_STATE_DIR=str(tmp_path / "state"),
        AWS_CONFIG_FILE=str(tmp_path / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
        TERM="xterm-256color",
    )
    env.pop("NO_COLOR", None)
    return env


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_fresh_to_complete_in_a_real_terminal(tmp_path: Path) -> None:
    term = Terminal(f"hsm-setup-test-{os.getpid()}", _environment(tmp_path))
    try:
        term.start(_program())
        term.wait_for(lambda t: "PRACTICE ACCOUNT" in t and idle(t) and "needs you" in title_line(t), "the first step")
        walk(term.keys, term.wait_for, lambda t: "Every step is done" in t)
        text = term.wait_for(lambda t: "Every step is done" in t, "the summary")
        assert text.count("✓ done") == 6, text
        term.keys("q")
        term.wait_for(lambda t: "PRACTICE ACCOUNT" not in t, "the program to exit")
    finally:
        term.tmux("kill-server")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_role_with_mfa_in_a_real_terminal(tmp_path: Path, practice) -> None:
    """The wizard asks for the MFA code in its own dialog; botocore's prompt never reaches the
    terminal; a wrong code is refused with AWS's reason, the right one connects and the steps
    are checked."""
    from tests.e2e.signin_helpers import set_up_mfa, write_config, wrong_code

    practice.reset("fresh")
    mfa = set_up_mfa(practice)
    write_config(tmp_path / "aws-config", mfa)
    env = _environment(tmp_path)
    env["HOME"] = str(tmp_path)  # no role session cached from elsewhere
    term = Terminal(f"hsm-setup-mfa-test-{os.getpid()}", env)
    try:
        term.start(_program("--profile", "admin", "--endpoint-url", practice.endpoint_url))
        text = term.wait_for(lambda t: "MFA code for the role" in t, "the MFA dialog")
        assert mfa.serial in text
        wrong = wrong_code(practice, mfa.serial)
        term.keys(wrong, "Enter")
        # AWS's words, wrapped in the dialog: "MultiFactorAuthentication failed with invalid MFA one time pass code."
        text = term.wait_for(
            lambda t: "MultiFactorAuthentication failed with invalid MFA one" in t and "time pass code." in t,
            "AWS's refusal",
        )
        assert "MFA code for the role" in text and "Try 2 of 3" in text
        right = practice.mfa_code(mfa.serial)
        term.keys(right, "Enter")
        text = term.wait_for(
            lambda t: (
                "assumed-role/PracticeMfaAdmin/" in t
                and idle(t)
                and any(w in title_line(t) for w in ("needs you", "to do", "done"))
            ),
            "the steps, checked",
        )
        assert "Account 123456789012" in text
    finally:
        term.tmux("kill-server")
    # botocore's own prompt never wrote to the terminal.
    assert not any("Enter MFA code" in screen for screen in term.seen)
    # The codes typed were never shown (the dialogs' screens, less the account id in the device's ARN).
    asking = "\n".join(screen.replace("123456789012", "") for screen in term.seen if "MFA code for the role" in screen)
    assert wrong not in asking and right not in asking
