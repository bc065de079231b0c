"""`hsm-setup workshop`: the wizard in the browser for a room, and the facilitator's board.

Built on textual-serve (its AppService runs one wizard process per browser connection
over its web driver; its Server handles the browser's messages and downloads). What is
added around it:

- seats (seats.py): a browser holds a seat through a cookie; the seat's practice account
  and saved progress live here, so a closed tab or a reload resumes where it stopped;
  at most --seats are handed out, and the next visitor gets a page saying the room is full;
- one wizard per seat: a second tab on the same seat takes over, and starts only once
  the first one's wizard has ended (an apply under way finishes first);
- the seat's wizard starts in the seat's folder with an environment that holds nothing of
  the server user's AWS set-up (access.py), and reaches its practice account through the
  seat's channel (control.py), never through the browser;
- pages of its own (templates/): textual-serve's page asks a web font service for its font;
  these load nothing from another host (Content-Security-Policy says so to the browser);
- the board (/board, /board.json) for the facilitator's token.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

import jinja2
import msgspec
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from hsm_setup.cli.front_ends import WorkshopSettings

from .access import INHERITED, Access, seat_environment
from .control import ControlChannel
from .names import STEP_IDS
from .seats import RoomFull, Seat, SeatManager
from .spawn import Zygote

log = logging.getLogger("hsm-setup.workshop")

SEAT_COOKIE = "hsm_setup_seat"
HERE = Path(__file__).parent
# textual-serve's own page scripts, styles and fonts (its terminal, xterm.js); the page around them is ours.
TEXTUAL_SERVE_STATIC = Path(__import__("textual_serve").__file__).parent / "static"
# How long a new tab waits for the seat's previous wizard to end (it finishes an apply under way first).
TAKEOVER_WAIT = 300.0
STEP_TITLES = {
    "root-user": "Root user",
    "identity-center": "Identity Center",
    "admin-user": "Admin user",
    "permission-sets": "Permission sets",
    "cloudhsm-group": "CloudHSM group",
    "service-linked-role": "Service-linked role",
}


def web_driver_environment(inherited: dict[str, str]) -> dict[str, str]:
    """What the seats' zygote starts with: textual-serve's settings for its web driver (read by Textual
    when it is imported), the server's locale and PATH, and nothing of its AWS set-up."""
    from importlib.metadata import version

    settings = {
        "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
        "TEXTUAL_FPS": "60",
        "TEXTUAL_COLOR_SYSTEM": "truecolor",
        "TERM_PROGRAM": "textual",
        "TERM_PROGRAM_VERSION": version("textual-serve"),
    }
    return {k: v for k, v in inherited.items() if k in INHERITED} | settings


class SeatAppService(AppService):
    """textual-serve's process for one connection, started as the seat's wizard in the seat's folder."""

    def __init__(self, seat: Seat, zygote: Zygote | None, **kwargs: Any) -> None:
        super().__init__(f"{sys.executable} -m hsm_setup_screens.workshop.seat", **kwargs)
        self.seat = seat
        self.zygote = zygote

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        # As textual-serve's, but in the seat's folder with the seat's environment, and forked
        # from the zygote (milliseconds) rather than started from scratch (a second or more).
        seat = self.seat
        env = seat_environment(
            self._build_environment(width=width, height=height),
            home=seat.home,
            state_dir=seat.state_dir,
            control=seat.control_path,
        )
        if self.zygote is not None and self.zygote.running:
            try:
                forked = await self.zygote.spawn(env, seat.home)
            except OSError:
                log.exception("%s: the seats' zygote failed; starting the wizard from scratch", seat.id)
            else:
                self._process, self._stdin = forked, forked.stdin  # type: ignore[assignment]
                return forked
        self._process = process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hsm_setup_screens.workshop.seat",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=str(seat.home),
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def kill(self) -> None:
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()


class _Live(msgspec.Struct):
    """A seat's wizard on a browser connection; `ended` is set once its process is gone."""

    service: SeatAppService
    websocket: web.WebSocketResponse
    ended: asyncio.Event


class WorkshopServer(Server):
    def __init__(
        self,
        settings: WorkshopSettings,
        manager: SeatManager,
        *,
        access: Access,
        out: TextIO | None = None,
    ) -> None:
        super().__init__(
            command="hsm-setup workshop seat", host=settings.host, port=settings.port, title="hsm-setup workshop"
        )
        self.settings = settings
        self.manager = manager
        self.access = access
        self.out = out or sys.stdout
        self.channels: dict[str, ControlChannel] = {}
        self.live: dict[str, _Live] = {}
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
        )
        self.zygote: Zygote | None = None
        self._runner: web.AppRunner | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self.bound_port = settings.port

    # -- the aiohttp application -------------------------------------------------------------
    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers])
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.get("/board", self.handle_board, name="board"),
                web.get("/board.json", self.handle_board_json, name="board-json"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", TEXTUAL_SERVE_STATIC, name="static"),
            ]
        )
        return app

    @web.middleware
    async def _headers(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        host = request.host
        # Nothing is loaded from another host; the browser enforces it.
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            f"font-src 'self'; img-src 'self' data:; connect-src 'self' ws://{host} wss://{host}; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        if request.path != "/static" and not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    def _page(self, template: str, status: int = 200, **context: Any) -> web.Response:
        html = self.templates.get_template(template).render(**context)
        return web.Response(text=html, status=status, content_type="text/html")

    # -- a seat ----------------------------------------------------------------------------------
    def _seat_of(self, request: web.Request) -> Seat | None:
        return self.manager.find(request.cookies.get(SEAT_COOKIE))

    async def handle_index(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        seat = self._seat_of(request)
        if seat is None:
            if not self.access.may_join(request.query.get("join")):
                return self._page(
                    "message.html",
                    403,
                    title="Ask for the workshop's link",
                    message=(
                        "This workshop needs the link the facilitator handed out (it carries a join token). "
                        "Ask them for it and open it in this browser."
                    ),
                )
            try:
                seat = self.manager.claim()
            except RoomFull as exc:
                return self._page("message.html", 503, title="The room is full", message=f"{exc.cause} {exc.next_move}")
            await self._open_channel(seat)
            # The token leaves the address bar; the cookie names the seat from now on (a reload keeps it).
            response = web.Response(status=303, headers={"Location": "/"})
            response.set_cookie(SEAT_COOKIE, seat.key, httponly=True, samesite="Strict", path="/")
            return response
        font_size = min(max(to_int(request.query.get("fontsize", "16"), 16), 8), 32)
        return self._page(
            "seat.html",
            seat_name=seat.shown_name,
            websocket_url=f"ws://{request.host}/ws",
            font_size=font_size,
        )

    async def _open_channel(self, seat: Seat) -> None:
        if seat.id not in self.channels:
            channel = ControlChannel(self.manager, seat)
            await channel.start()
            self.channels[seat.id] = channel

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:  # type: ignore[override]
        seat = self._seat_of(request)
        origin = request.headers.get("Origin")
        # A page on another site must not drive a seat with this browser's cookie.
        if seat is None or (origin is not None and origin != f"http://{request.host}"):
            raise web.HTTPForbidden(text="Open the workshop's page first.")
        await self._open_channel(seat)
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        previous = self.live.get(seat.id)
        if previous is not None:
            # One wizard per seat: the older tab is closed, and its wizard ends (finishing an apply) first.
            await previous.websocket.close()
            try:
                await asyncio.wait_for(previous.ended.wait(), TAKEOVER_WAIT)
            except TimeoutError:
                previous.service.kill()
                await previous.ended.wait()
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service = SeatAppService(
            seat,
            self.zygote,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
            debug=self.debug,
        )
        live = self.live[seat.id] = _Live(service, websocket, asyncio.Event())
        self.manager.connected(seat)
        try:
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception:
            log.exception("%s: the wizard's connection failed", seat.id)
        finally:
            self.manager.disconnected(seat)
            try:
                await service.stop()
            finally:
                live.ended.set()
                if self.live.get(seat.id) is live:
                    del self.live[seat.id]
        return websocket

    # -- the board -------------------------------------------------------------------------------
    def _board_rows(self) -> list[dict[str, object]]:
        return [row.to_json() for row in self.manager.board(dt.timedelta(minutes=self.settings.stuck_minutes))]

    async def handle_board_json(self, request: web.Request) -> web.Response:
        if not self.access.may_see_board(request.query.get("key")):
            raise web.HTTPForbidden(text="The board needs the facilitator's link.")
        body = {
            "seats": self._board_rows(),
            "stuck_after_minutes": self.settings.stuck_minutes,
            "capacity": self.manager.capacity,
            # Practice accounts started and waiting for the next attendees (--ready).
            "practice_accounts_ready": self.manager.ready_now(),
        }
        return web.json_response(body)

    async def handle_board(self, request: web.Request) -> web.Response:
        if not self.access.may_see_board(request.query.get("key")):
            return self._page(
                "message.html",
                403,
                title="The facilitator's board",
                message=("The board needs the facilitator's link, printed by `hsm-setup workshop` when it started."),
            )
        return self.board_page()

    def board_page(self) -> web.Response:
        """The board as the facilitator first sees it (its script then refreshes the rows every 2 s)."""
        return self._page(
            "board.html",
            rows=self._board_rows(),
            steps=[(step, STEP_TITLES[step]) for step in STEP_IDS],
            capacity=self.manager.capacity,
            stuck_minutes=f"{self.settings.stuck_minutes:g}",
            titles={step: f"{number}. {STEP_TITLES[step]}" for number, step in enumerate(STEP_IDS, 1)},
            board_json=json.dumps({"steps": {step: STEP_TITLES[step] for step in STEP_IDS}}),
        )

    # -- running -----------------------------------------------------------------------------------
    async def start(self) -> None:
        """Listen, and sweep idle seats; `bound_port` is the port taken (--port 0 picks one)."""
        import os

        zygote = Zygote(self.manager.root / "zygote.sock", web_driver_environment(dict(os.environ)))
        try:
            await zygote.start()
        except (TimeoutError, OSError) as exc:
            # Seats still work, each started from scratch: slower to open when many arrive at once.
            print(f"hsm-setup workshop: seats will start more slowly ({exc}).", file=self.out)
        else:
            self.zygote = zygote
        self._runner = web.AppRunner(await self._make_app(), handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        server = site._server  # aiohttp keeps the listening sockets here; it has no public accessor
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.bound_port = sockets[0].getsockname()[1]
        self._sweeper = asyncio.create_task(self._sweep())

    async def _sweep(self) -> None:
        idle = self.settings.idle_minutes * 60
        while True:
            await asyncio.sleep(min(30.0, max(idle / 4, 1.0)))
            for seat in await asyncio.get_running_loop().run_in_executor(None, self.manager.release_idle, idle):
                channel = self.channels.pop(seat.id, None)
                if channel is not None:
                    await channel.close()
                print(
                    f"{seat.id} ({seat.shown_name}) was away for {self.settings.idle_minutes:g} min: released.",
                    file=self.out,
                    flush=True,
                )

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        for live in list(self.live.values()):
            with contextlib.suppress(Exception):
                await live.websocket.close()
        for live in list(self.live.values()):
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(live.ended.wait(), 10)
            live.service.kill()
        for channel in list(self.channels.values()):
            await channel.close()
        self.channels.clear()
        if self._runner is not None:
            await self._runner.cleanup()
        if self.zygote is not None:
            await self.zygote.stop()
        await asyncio.get_running_loop().run_in_executor(None, self.manager.close)

    def links(self) -> tuple[str, str]:
        """The attendees' link and the facilitator's board link."""
        host = self.settings.host
        if host in ("0.0.0.0", "::", ""):
            host = socket.gethostname()  # every address of this machine: name it as people will type it
        base = f"http://{host if ':' not in host else f'[{host}]'}:{self.bound_port}"
        join = f"{base}/?join={self.access.join_token}" if self.access.join_token else f"{base}/"
        return join, f"{base}/board?key={self.access.board_token}"

    def announce(self) -> None:
        join, board = self.links()
        settings = self.settings
        print(
            f"hsm-setup workshop: {settings.seats} seats, each on a practice account of its own ({settings.scenario} scenario).",
            file=self.out,
        )
        print(f"  Attendees open:  {join}", file=self.out)
        print(f"  Your board:      {board}   (keep this link to yourself)", file=self.out)
        if self.manager.ready:
            print(
                f"  Starting {self.manager.ready} practice accounts now, so the room does not wait for them"
                " (--ready changes how many).",
                file=self.out,
            )
        if self.access.join_token is None:
            print(
                "  Listening on this machine only; --host ADDRESS opens it to the room (with a join token).",
                file=self.out,
            )
        print(
            f"A seat away for {settings.idle_minutes:g} min is released; a seat on one step for {settings.stuck_minutes:g} min is marked stuck.",
            file=self.out,
        )
        print("Press Ctrl-C to stop; every seat's practice account stops with it.", file=self.out, flush=True)


async def serve_until_stopped(server: WorkshopServer, stop: asyncio.Event) -> None:
    await server.start()
    server.announce()
    try:
        await stop.wait()
    finally:
        await server.stop()


def run_workshop(settings: WorkshopSettings, *, out: TextIO | None = None) -> int:
    """Serve the workshop until Ctrl-C or SIGTERM; the program's exit code."""
    import tempfile

    from hsm_setup.sandbox.process import start_practice_process

    out = out or sys.stdout
    root = Path(tempfile.mkdtemp(prefix="hsm-setup-workshop-"))
    manager = SeatManager(
        root,
        capacity=settings.seats,
        scenario=settings.scenario,
        start_practice=start_practice_process,
        ready=settings.seats if settings.ready is None else settings.ready,
    )
    server = WorkshopServer(settings, manager, access=Access.for_host(settings.host), out=out)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await serve_until_stopped(server, stop)

    try:
        asyncio.run(main())
    except OSError as exc:
        manager.close()
        print(f"hsm-setup: cannot serve on {settings.host}:{settings.port}: {exc.strerror or exc}", file=sys.stderr)
        print(
            "  Choose another port with --port (0 picks a free one), or another address with --host.", file=sys.stderr
        )
        return 2
    finally:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    print("The workshop stopped; every seat's practice account with it.", file=out, flush=True)
    return 0
