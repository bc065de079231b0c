"""The WSGI middleware in front of moto's server: faults first, then IAM
enforcement (when asked for: authorization.py), then the corrections, then moto.

Every request is handled under the World's lock: moto's backends are not
thread-safe, and the practice account's counters must not race. moto itself is
left as it is, so moto used in-process elsewhere (mock_aws) stays plain moto.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from . import signin, wire
from .authorization import authorize
from .corrections import GUARDS, HANDLERS
from .corrections.sts import caller_arn
from .exchange import Exchange
from .world import World

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

_log = logging.getLogger(__name__)
WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]
# Hop-by-hop headers belong to one connection; a rewritten answer must not repeat them.
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive"}


class CorrectingMiddleware:
    def __init__(self, moto_app: WsgiApp, world: World) -> None:
        self.moto_app = moto_app
        self.world = world

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or ""
        if path.startswith("/moto-api"):
            with self.world.lock:
                return self._capture(environ).wsgi(start_response)
        body = _read_body(environ)
        call = wire.identify(environ, body)
        with self.world.lock:
            if call is None:
                # Unsigned: IAM Identity Center sign-in (sso-oidc, the portal), else moto's.
                reply = signin.answer(environ, body, self.world) or self._moto(environ, body)
            else:
                self.world.received.append((call.service, call.operation))
                reply = self.handle(call, environ, body)
        return reply.wsgi(start_response)

    def handle(self, call: wire.Call, environ: WSGIEnvironment, body: bytes) -> wire.Reply:
        fault = self.fault(call)
        if fault is not None:
            return fault
        refused = authorize(call, environ, body, self.world)
        if refused is not None:
            return refused
        exchange = Exchange(
            call, self.world, lambda new_body: self._moto(environ, body if new_body is None else new_body)
        )
        try:
            for guard in GUARDS.get(call.service, ()):
                reply = guard(exchange)
                if reply is not None:
                    return reply
            handler = HANDLERS.get((call.service, call.operation))
            if handler is not None:
                reply = handler(exchange)
                if reply is not None:
                    return reply
            return exchange.forward()
        except Exception as exc:  # a moto error raised inside a correction, or a bug
            return _error_reply(exchange, exc)

    def fault(self, call: wire.Call) -> wire.Reply | None:
        world = self.world
        if world.expired:
            if call.protocol == "query":
                return wire.error(call, "ExpiredToken", "The security token included in the request is expired", 403)
            return wire.error(call, "ExpiredTokenException", "The security token included in the request is expired")
        if call.operation and world.is_denied(call.action):
            who = caller_arn(world.account_id, world.caller)
            message = (
                f"User: {who} is not authorized to perform: {call.action} "
                f"because no identity-based policy allows the {call.action} action"
            )
            if call.protocol == "query":
                return wire.error(call, "AccessDenied", message, 403)
            return wire.error(call, "AccessDeniedException", message)
        if world.throttled(call.operation, time.monotonic()):
            return wire.error(call, "ThrottlingException", "Rate exceeded")
        return None

    # -- moto --------------------------------------------------------------------------
    def _moto(self, environ: WSGIEnvironment, body: bytes) -> wire.Reply:
        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(body)
        env["CONTENT_LENGTH"] = str(len(body))
        return self._capture(env)

    def _capture(self, environ: WSGIEnvironment) -> wire.Reply:
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            captured["status"] = int(status.split(maxsplit=1)[0])
            captured["headers"] = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
            return chunks.append

        iterable = self.moto_app(environ, start_response)
        try:
            chunks.extend(iterable)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
        return wire.Reply(captured.get("status", 500), b"".join(chunks), captured.get("headers", []))


def _read_body(environ: WSGIEnvironment) -> bytes:
    """The request body, read once; wsgi.input is re-wrapped so moto can read it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    body = stream.read(length) if stream is not None and length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _error_reply(exchange: Exchange, exc: Exception) -> wire.Reply:
    # moto's service errors carry their AWS code; answer them as moto would have.
    code = getattr(exc, "error_type", None)
    if isinstance(code, str) and code:
        status = getattr(exc, "code", 400)
        return exchange.error(code, str(getattr(exc, "message", exc)), status if isinstance(status, int) else 400)
    code = getattr(exc, "code", None)
    if isinstance(code, str) and hasattr(exc, "message"):
        return exchange.error(code, str(exc.message))
    _log.exception("practice account: %s %s failed", exchange.call.service, exchange.call.operation)
    return exchange.error("InternalFailure", f"The practice account failed: {type(exc).__name__}: {exc}", 500)
