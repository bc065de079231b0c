"""A fault-injecting HTTP proxy on loopback, between hsm-setup and the practice account.

Every request is identified (service operation: X-Amz-Target for the JSON
protocols, Action= in the form body for IAM and STS) and numbered. A `rule`
decides, per request, whether it goes through untouched or meets a fault:

- before the endpoint sees it: throttling, HTTP 500 / 503, a connection reset,
  a stall longer than the client's read timeout, an expired token, a body
  that does not parse;
- after the endpoint answered (the change happened): the answer is lost
  (connection reset) or held while the test kills the client (`hold`).

An `observe` callback sees each request the endpoint answered, with its body and
the endpoint's status (the crash tests count the changes that took effect), and
`wait_idle` waits until no request is between the client and the endpoint (a
killed client's last requests may still be on their way).

Only loopback addresses are used: the proxy listens on 127.0.0.1 and forwards
to the practice account's 127.0.0.1 endpoint.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from hsm_setup.aws.clients import is_mutating

# Faults a rule can return. "*-after" ones forward first, so the change happened.
BEFORE = ("throttle", "http500", "http503", "reset", "stall", "expired", "garbage")
AFTER = ("reset-after", "hold")


@dataclass(frozen=True)
class Request:
    index: int  # 1-based, every request
    operation: str  # e.g. CreateUser; "" when unknown
    protocol: str  # json | query
    mutating: bool
    mutating_index: int  # 1-based among mutating requests; 0 for reads


Rule = Callable[[Request], "str | None"]
# (request, its body, the endpoint's HTTP status): called once the endpoint answered.
Observer = Callable[[Request, bytes, int], None]


def _operation(headers, body: bytes) -> tuple[str, str]:
    target = headers.get("X-Amz-Target") or ""
    if "." in target:
        return target.split(".", 1)[1], "json"
    if (headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(body.decode("utf-8", "replace"))).get("Action", ""), "query"
    return "", "json"


def _error_body(protocol: str, code: str, message: str) -> tuple[bytes, str]:
    if protocol == "query":
        body = f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
        return body.encode(), "text/xml"
    return json.dumps({"__type": code, "message": message}).encode(), "application/x-amz-json-1.1"


@dataclass
class FaultProxy:
    upstream: str
    rule: Rule = lambda request: None
    observe: Observer | None = None
    stall_seconds: float = 3.0
    requests: list[Request] = field(default_factory=list)
    faults: list[tuple[Request, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._mutating = 0
        self._in_flight = 0
        self._idle = threading.Condition(self._lock)
        self.held = threading.Event()  # set when a `hold` answer is being withheld
        self.release = threading.Event()  # set by the test once the client is dead
        self.held_request: Request | None = None
        parts = urlsplit(self.upstream)
        self._upstream_host, self._upstream_port = parts.hostname or "127.0.0.1", parts.port or 80
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # the test output stays readable
                pass

            def do_POST(self) -> None:
                proxy._handle(self)

            do_GET = do_PUT = do_DELETE = do_POST

        class Server(ThreadingHTTPServer):
            # hsm-setup opens up to 32 connections at once (a fan-out across accounts); socketserver's
            # backlog of 5 would drop the others' connects, which the client sees as an unreachable endpoint.
            request_queue_size = 128

            def handle_error(self, request, client_address) -> None:
                # A killed client resets its kept-alive connections: nothing to report.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def reset_counts(self) -> None:
        with self._lock:
            self._mutating = 0
            self.requests.clear()
            self.faults.clear()
        self.held.clear()
        self.release.clear()
        self.held_request = None

    def mutating_operations(self) -> list[str]:
        return [r.operation for r in self.requests if r.mutating]

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every request received has been answered or dropped; False if one is still going."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)

    # -- one request -----------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self._in_flight += 1
        try:
            self._handle_one(handler)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _handle_one(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if len(body) < length:
            # The client died while sending (killed): the endpoint never sees half a request, as with AWS.
            handler.close_connection = True
            return
        operation, protocol = _operation(handler.headers, body)
        mutating = bool(operation) and is_mutating(operation)
        with self._lock:
            if mutating:
                self._mutating += 1
            request = Request(len(self.requests) + 1, operation, protocol, mutating, self._mutating if mutating else 0)
            self.requests.append(request)
        fault = self.rule(request)
        if fault:
            with self._lock:
                self.faults.append((request, fault))
        if fault in BEFORE:
            self._fault_before(handler, request, fault)
            return
        status, headers, answer = self._forward(handler, body)
        if self.observe is not None:
            self.observe(request, body, status)
        if fault == "reset-after":
            self._reset(handler)
            return
        if fault == "hold":
            self.held_request = request
            self.held.set()
            self.release.wait(timeout=60)
            self._reset(handler)
            return
        self._send(handler, status, headers, answer)

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(self._upstream_host, self._upstream_port, timeout=30)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "connection")}
            headers["Host"] = f"{self._upstream_host}:{self._upstream_port}"
            conn.request(handler.command, handler.path, body=body, headers=headers)
            response = conn.getresponse()
            answer = response.read()
            kept = [
                (k, v)
                for k, v in response.getheaders()
                if k.lower() not in ("content-length", "transfer-encoding", "connection")
            ]
            return response.status, kept, answer
        finally:
            conn.close()

    def _send(self, handler: BaseHTTPRequestHandler, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        try:
            handler.send_response(status)
            for key, value in headers:
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            handler.wfile.flush()
        except OSError:
            pass  # the client went away (killed): nothing to deliver to

    def _reset(self, handler: BaseHTTPRequestHandler) -> None:
        # SO_LINGER 0 turns close() into a TCP RST: the client sees "connection reset".
        with _quiet():
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with _quiet():
            handler.connection.close()
        handler.close_connection = True

    def _fault_before(self, handler: BaseHTTPRequestHandler, request: Request, fault: str) -> None:
        if fault == "reset":
            self._reset(handler)
            return
        if fault == "stall":
            time.sleep(self.stall_seconds)
            self._reset(handler)
            return
        if fault == "garbage":
            self._send(
                handler,
                200,
                [("Content-Type", "application/x-amz-json-1.1" if request.protocol == "json" else "text/xml")],
                b"\x00not an answer",
            )
            return
        code, status, message = {
            "throttle": ("ThrottlingException" if request.protocol == "json" else "Throttling", 400, "Rate exceeded"),
            "http500": ("InternalFailure", 500, "We encountered an internal error. Please try again."),
            "http503": ("ServiceUnavailable", 503, "Service is unavailable. Please try again."),
            "expired": (
                "ExpiredTokenException" if request.protocol == "json" else "ExpiredToken",
                403 if request.protocol == "query" else 400,
                "The security token included in the request is expired",
            ),
        }[fault]
        body, content_type = _error_body(request.protocol, code, message)
        self._send(handler, status, [("Content-Type", content_type), ("x-amzn-ErrorType", code)], body)


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> bool:
        return exc[0] is not None and issubclass(exc[0], OSError)
