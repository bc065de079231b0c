"""The channel between a seat's wizard process and the workshop server that holds the seat.

The wizard process lives only as long as its browser connection; the seat's practice
account lives in the server (seats.py). The wizard reaches it through this channel: a
Unix socket in the seat's private folder (mode 0700, socket 0600), one JSON line per
request and one per answer. Through it the wizard

- learns where its practice account listens (on 127.0.0.1; never exposed to the browser),
- runs console-action simulations on it (key m),
- records the attendee's name and reports its step statuses for the facilitator's board.

A socket in a private folder rather than a port: only this user's processes can reach
it, and whoever can reach it is the seat, so no token travels with the requests.

    request:  {"op": "simulate", "args": ["root-mfa", "us-east-1"]}
    answer:   {"ok": true, "value": "..."}  or  {"ok": false, "cause": "...", "next_move": "..."}
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import threading
from typing import Any

from hsm_setup.errors import HsmSetupError

from .seats import Seat, SeatManager

# The environment variable that tells a seat's wizard where its seat's channel is.
CONTROL_ENV = "HSM_SETUP_SEAT_CONTROL"
# A seat's practice account may queue behind others' starts when a whole room arrives at once.
PRACTICE_TIMEOUT = 300.0
CALL_TIMEOUT = 60.0
LINE_LIMIT = 1 << 20


# -- the server's side ------------------------------------------------------------------------
class ControlChannel:
    """Serves one seat's channel on the server's event loop."""

    def __init__(self, manager: SeatManager, seat: Seat) -> None:
        self.manager = manager
        self.seat = seat
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        path = self.seat.control_path
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self._server = await asyncio.start_unix_server(self._serve, path=str(path), limit=LINE_LIMIT)
        os.chmod(path, 0o600)

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    request = json.loads(line)
                except ValueError:
                    request = {}
                reply = await self.answer(request if isinstance(request, dict) else {})
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass  # the wizard went away mid-request: nothing to answer
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def answer(self, request: dict[str, object]) -> dict[str, object]:
        op, args = request.get("op"), request.get("args") or []
        if not isinstance(args, list):
            args = []
        try:
            value = await self._do(str(op), args)
        except HsmSetupError as exc:
            return {"ok": False, "cause": exc.cause, "next_move": exc.next_move}
        except (TypeError, ValueError, KeyError) as exc:
            return {"ok": False, "cause": f"The seat's request {op!r} was not understood: {exc}", "next_move": ""}
        return {"ok": True, "value": value}

    async def _do(self, op: str, args: list[Any]) -> Any:
        manager, seat = self.manager, self.seat
        loop = asyncio.get_running_loop()
        if op == "hello":
            return {
                "seat": seat.id,
                "name": seat.name,
                "generated_name": seat.generated_name,
                "scenario": manager.scenario,
            }
        if op == "name":
            return manager.set_name(seat, str(args[0]))
        if op == "status":
            report = args[0]
            steps = report.get("steps") if isinstance(report, dict) else None
            current = report.get("current") if isinstance(report, dict) else None
            manager.record_status(
                seat, steps if isinstance(steps, dict) else {}, current if isinstance(current, str) else None
            )
            return None
        if op in ("practice", "simulate", "reset"):
            # Awaited, not waited on in a thread: a room of seats queued behind the starts holds no thread each.
            practice = await asyncio.wrap_future(manager.practice_future(seat))
            if op == "practice":
                return practice.connection_overrides()
            if op == "simulate":
                return await loop.run_in_executor(
                    None, practice.simulate, str(args[0]), args[1] if len(args) > 1 else None
                )
            await loop.run_in_executor(None, practice.reset, str(args[0]) if args else None)
            return None
        raise ValueError("no such request")


# -- the wizard's side ------------------------------------------------------------------------
class SeatLink:
    """The seat's wizard's end of the channel: blocking calls, safe from any thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._reader: Any = None

    @classmethod
    def from_environment(cls) -> SeatLink:
        path = os.environ.get(CONTROL_ENV)
        if not path:
            raise HsmSetupError(
                "This wizard is a workshop seat but was not started by the workshop server.",
                "Open the seat from the link the facilitator gave you.",
            )
        return cls(path)

    def call(self, op: str, *args: object, timeout: float = CALL_TIMEOUT) -> Any:
        with self._lock:
            try:
                reader = self._connected()
                assert self._socket is not None
                self._socket.settimeout(timeout)
                self._socket.sendall(json.dumps({"op": op, "args": list(args)}).encode() + b"\n")
                line = reader.readline(LINE_LIMIT)
            except OSError:
                self._drop()
                line = b""
            if not line:
                self._drop()
                raise HsmSetupError(
                    "The workshop server is not answering this seat.",
                    "Reload the page; if it goes on, tell the facilitator.",
                )
        reply = json.loads(line)
        if not reply.get("ok"):
            raise HsmSetupError(
                str(reply.get("cause") or "The workshop server refused."), str(reply.get("next_move") or "")
            )
        return reply.get("value")

    def _connected(self) -> Any:
        if self._socket is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(CALL_TIMEOUT)
            sock.connect(self.path)
            self._socket, self._reader = sock, sock.makefile("rb")
        return self._reader

    def _drop(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            with contextlib.suppress(OSError):
                self._reader.close()
                sock.close()

    def close(self) -> None:
        with self._lock:
            self._drop()


class SeatPractice:
    """The seat's practice account as the wizard's session sees it (hsm_setup.session.practice.PracticeAccount).

    It lives in the workshop server, not in this process: stop() only lets go of it, so a
    reconnect finds the account as the attendee left it.
    """

    def __init__(self, link: SeatLink) -> None:
        self.link = link

    def connection_overrides(self) -> dict[str, Any]:
        overrides = self.link.call("practice", timeout=PRACTICE_TIMEOUT)
        if not isinstance(overrides, dict):
            raise HsmSetupError(
                "The workshop server did not say where the seat's practice account is.", "Reload the page."
            )
        return overrides

    def simulate(self, name: str, region: str | None = None) -> str:
        return str(self.link.call("simulate", name, region))

    def describe_simulation(self, name: str) -> str:
        from hsm_setup.sandbox.catalog import SIMULATIONS

        return SIMULATIONS.get(name, name)

    def reset(self, scenario: str | None = None) -> None:
        self.link.call("reset", scenario)

    def stop(self) -> None:
        """The seat keeps its account for the attendee's return; the server stops it when the seat is released."""
