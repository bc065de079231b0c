"""The workshop as a person meets it: the installed program serving it, and Debian's Chromium driven by Playwright.

Shared by the browser tests and benchmarks/workshop_bench.py.

A seat's screen is read from what the browser's terminal was sent over its websocket,
fed to a terminal emulator (pyte) at the size the page asked for: xterm.js draws on a
canvas, so the page itself has no text to read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyte

CHROMIUM = "/usr/bin/chromium"
# This machine's Chromium: headless, no sandbox (root in a container), no GPU, nothing fetched in the background.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Bounds on each wait, so a broken build fails instead of hanging; not timings.
WAIT_SECONDS = 180.0


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is not None


def chromium_args(user_data_dir: str) -> list[str]:
    return [*CHROMIUM_FLAGS, f"--user-data-dir={user_data_dir}"]


def program(*args: str) -> list[str]:
    """The installed program with `args`."""
    installed = Path(sys.executable).with_name("hsm-setup")
    if installed.exists():
        return [str(installed), *args]
    return [sys.executable, "-m", "hsm_setup_screens", *args]


class Workshop:
    """`hsm-setup workshop --port 0 ...` in a process of its own; its links read from what it prints."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        environment = dict(env or os.environ)
        environment["TMPDIR"] = environment.get("TMPDIR") or tempfile.gettempdir()
        self.process = subprocess.Popen(
            program("workshop", "--port", "0", *args),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment,
        )
        self.output: list[str] = []
        self.join_link = ""
        self.board_link = ""
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(WAIT_SECONDS) or not self.board_link:
            self.stop()
            raise AssertionError("the workshop did not start:\n" + "".join(self.output))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if found := re.search(r"Attendees open:\s+(\S+)", line):
                self.join_link = found.group(1)
            if found := re.search(r"Your board:\s+(\S+)", line):
                self.board_link = found.group(1)
                self._ready.set()
        self._ready.set()

    @property
    def base(self) -> str:
        return self.board_link.split("/board", 1)[0]

    def board_json(self) -> dict[str, Any]:
        import urllib.request

        with urllib.request.urlopen(self.board_link.replace("/board?", "/board.json?"), timeout=30) as answer:
            return json.loads(answer.read())

    def seat_row(self, name: str) -> dict[str, Any] | None:
        return next((row for row in self.board_json()["seats"] if row["seat"] == name), None)

    def wait_for_row(self, name: str, predicate: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            row = self.seat_row(name)
            if row is not None and predicate(row):
                return row
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up waiting for {what}; the board has {row}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(10)


class SeatScreen:
    """The seat's terminal as the browser received it, kept as a screen; a new connection starts a new screen."""

    def __init__(self) -> None:
        self.screen: pyte.Screen | None = None
        self._stream: pyte.ByteStream | None = None
        self._lock = threading.Lock()
        self.connections = 0
        self.page: Any = None

    def attach(self, page: Any) -> None:
        self.page = page
        page.on("websocket", self._opened)

    def pump(self) -> None:
        """Let Playwright's sync API deliver what arrived (it does only while one of its calls runs)."""
        self.page.wait_for_timeout(100)

    def _opened(self, websocket: Any) -> None:
        size = re.search(r"width=(\d+)&height=(\d+)", websocket.url)
        columns, lines = (int(size.group(1)), int(size.group(2))) if size else (80, 24)
        with self._lock:
            self.screen = pyte.Screen(columns, lines)
            self._stream = pyte.ByteStream(self.screen)
            self.connections += 1
            stream, screen = self._stream, self.screen
        websocket.on("framereceived", lambda payload: self._received(stream, payload))
        websocket.on("framesent", lambda payload: self._sent(screen, payload))

    def _received(self, stream: pyte.ByteStream, payload: Any) -> None:
        if isinstance(payload, (bytes, bytearray)):
            with self._lock:
                stream.feed(bytes(payload))

    def _sent(self, screen: pyte.Screen, payload: Any) -> None:
        if isinstance(payload, str) and payload.startswith('["resize"'):
            size = json.loads(payload)[1]
            with self._lock:
                screen.resize(int(size["height"]), int(size["width"]))

    def text(self) -> str:
        with self._lock:
            return "\n".join(self.screen.display) if self.screen is not None else ""
