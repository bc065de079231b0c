"""A delaying HTTP proxy on loopback: every request waits `delay` seconds before it is
forwarded, which models the round trip to a real AWS endpoint.

Clients point AWS_ENDPOINT_URL at it. It records, for every request, when it arrived,
when its answer left, and which service and operation it was, so a benchmark can
count calls and the round trips on the critical path.

Bounded: loopback only, a fixed number of handler threads, a request cap, timeouts.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LOOPBACK = "127.0.0.1"
# More than any benchmark sends at once; a runaway client is refused rather than served forever.
MAX_CONCURRENT = 64
MAX_REQUESTS = 20_000
UPSTREAM_TIMEOUT = 30.0
_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/([^/]+)/([^/]+)/")
# Headers that describe one hop, not the request.
HOP_HEADERS = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"}


@dataclass(frozen=True)
class Request:
    start: float
    end: float
    service: str
    operation: str
    region: str
    status: int
    # What was asked, so a baseline can replay the same call.
    body: bytes = b""
    content_type: str = ""

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"


def _operation(headers: Any, body: bytes) -> str:
    target = headers.get("X-Amz-Target")
    if target:  # JSON protocols (sso-admin, identitystore, organizations): Service.Operation
        return target.rsplit(".", 1)[-1]
    if body:  # query protocols (IAM, STS): Action=Operation in the form body
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    return "?"


class DelayProxy:
    def __init__(self, upstream: str, delay: float) -> None:
        parts = urlsplit(upstream)
        if parts.hostname not in (LOOPBACK, "localhost"):
            raise ValueError(f"upstream {upstream!r}: only loopback endpoints are proxied")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.delay = delay
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_CONCURRENT)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> DelayProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive towards the client, as AWS endpoints do.
            protocol_version = "HTTP/1.1"
            timeout = UPSTREAM_TIMEOUT

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                proxy._forward(self)

            do_GET = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_POST

        server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> DelayProxy:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    # -- the log ---------------------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self.requests = []

    def taken(self) -> list[Request]:
        """The requests recorded since the last reset, and a fresh log."""
        with self._lock:
            taken, self.requests = self.requests, []
        return sorted(taken, key=lambda r: r.start)

    # -- forwarding ------------------------------------------------------------------------
    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        start = time.monotonic()
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self._lock:
            over = len(self.requests) >= MAX_REQUESTS
        if over or not self._slots.acquire(timeout=UPSTREAM_TIMEOUT):
            handler.send_error(503, "benchmark proxy: request cap reached")
            return
        try:
            time.sleep(self.delay)
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_HEADERS}
            connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=UPSTREAM_TIMEOUT)
            try:
                connection.request(handler.command, handler.path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                status = response.status
                handler.send_response(status)
                for key, value in response.getheaders():
                    if key.lower() not in HOP_HEADERS and key.lower() != "content-length":
                        handler.send_header(key, value)
                handler.send_header("Content-Length", str(len(payload)))
                handler.end_headers()
                if handler.command != "HEAD":
                    handler.wfile.write(payload)
                handler.wfile.flush()
            finally:
                connection.close()
        finally:
            self._slots.release()
        scope = _SCOPE.search(handler.headers.get("Authorization", ""))
        region, service = (scope.group(1), scope.group(2)) if scope else ("", "?")
        record = Request(
            start,
            time.monotonic(),
            service,
            _operation(handler.headers, body),
            region,
            status,
            body,
            handler.headers.get("Content-Type", ""),
        )
        with self._lock:
            self.requests.append(record)


# -- reading the log -------------------------------------------------------------------------
def critical_path(requests: list[Request]) -> int:
    """The longest chain of requests each of which started after the previous one ended.

    With a fixed delay per request, that chain is the number of round trips the
    work had to wait for one after another, however many ran beside them.
    """
    ordered = sorted(requests, key=lambda r: r.end)
    chain: list[int] = []
    for i, request in enumerate(ordered):
        before = [chain[j] for j in range(i) if ordered[j].end <= request.start]
        chain.append(1 + max(before, default=0))
    return max(chain, default=0)
