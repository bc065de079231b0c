"""The server's side of zygote.py: asking it for a seat's wizard, and talking to that wizard through pipes.

textual-serve talks to a wizard through its stdin, stdout and stderr as asyncio
streams; the wizard forked by the zygote gets the far ends of three pipes made here,
so to textual-serve it looks like any process it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import msgspec

# Importing what a seat needs takes a few seconds on a loaded machine; far more means something is wrong.
READY_TIMEOUT = 120.0


class SeatProcess(msgspec.Struct):
    """A forked seat's wizard as textual-serve's AppService uses a process: its pid and its three streams."""

    pid: int
    stdin: asyncio.StreamWriter
    stdout: asyncio.StreamReader
    stderr: asyncio.StreamReader
    returncode: int | None = None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.pid, signal.SIGKILL)


class Zygote:
    def __init__(self, socket_path: Path, env: dict[str, str]) -> None:
        self.socket_path = socket_path
        self.env = env
        self._process: asyncio.subprocess.Process | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> None:
        """Start it and wait until it has imported what a seat needs (raises OSError/TimeoutError if it cannot)."""
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        self._process = process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hsm_setup_screens.workshop.zygote",
            str(self.socket_path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=self.env,
            cwd=str(self.socket_path.parent),
            start_new_session=True,
        )
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), READY_TIMEOUT)
        if line.strip() != b"ready":
            await self.stop()
            raise OSError("the seats' zygote did not start")

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()  # its signal to end
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def spawn(self, env: dict[str, str], cwd: Path) -> SeatProcess:
        """A seat's wizard, forked with `env` in `cwd`."""
        loop = asyncio.get_running_loop()
        stdin_read, stdin_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        stderr_read, stderr_write = os.pipe()
        theirs = (stdin_read, stdout_write, stderr_write)
        try:
            pid = await loop.run_in_executor(None, self._ask, {"env": env, "cwd": str(cwd)}, theirs)
        except BaseException:
            for fd in (stdin_write, stdout_read, stderr_read):
                os.close(fd)
            raise
        finally:
            for fd in theirs:
                os.close(fd)  # the wizard holds them now: its exit is what closes our ends
        stdout = await _reader(loop, stdout_read)
        stderr = await _reader(loop, stderr_read)
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(stdin_write, "wb", buffering=0)
        )
        stdin = asyncio.StreamWriter(transport, protocol, None, loop)
        return SeatProcess(pid, stdin, stdout, stderr)

    def _ask(self, request: dict[str, Any], fds: tuple[int, int, int]) -> int:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(30)
            connection.connect(str(self.socket_path))
            socket.send_fds(connection, [json.dumps(request).encode()], list(fds))
            answer = json.loads(connection.makefile("rb").readline() or b"{}")
        if "pid" not in answer:
            raise OSError(f"the seats' zygote refused: {answer.get('error', 'no answer')}")
        return int(answer["pid"])


async def _reader(loop: asyncio.AbstractEventLoop, fd: int) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=2**16, loop=loop)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader, loop=loop), os.fdopen(fd, "rb", buffering=0)
    )
    return reader
