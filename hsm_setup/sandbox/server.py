"""moto's server on loopback, in a thread of this process, behind the corrections.

Built as moto's ThreadedMotoServer builds it (DomainDispatcherApplication over
create_backend_app, werkzeug's threaded server), with the middleware wrapped
around the app and request logging silenced: the wizard owns the terminal.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from .world import World


class LoopbackServer:
    def __init__(self, world: World, host: str = "127.0.0.1", port: int = 0) -> None:
        self.world = world
        self.host = host
        self.requested_port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the practice account's server is not running")
        return int(self._server.port)

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        # Deferred: importing moto's server costs most of a second.
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        from . import key_accounts, moto_lookups
        from .middleware import CorrectingMiddleware

        key_accounts.install()
        moto_lookups.install()

        class QuietRequestHandler(MotoRequestHandler):
            # One request per connection: stop() then leaves no idle keep-alive
            # connection that an old handler thread would go on serving.
            protocol_version = "HTTP/1.0"

            def make_environ(self) -> dict[str, Any]:
                environ = super().make_environ()
                # werkzeug drops headers whose names hold "_"; the AWS access portal's bearer
                # token comes in one (sso GetRoleCredentials: x-amz-sso_bearer_token).
                token = self.headers.get("x-amz-sso_bearer_token")
                if token:
                    environ["HTTP_X_AMZ_SSO_BEARER_TOKEN"] = token
                return environ

            def log_request(self, *args: object, **kwargs: object) -> None:
                pass

            def log(self, *args: object, **kwargs: object) -> None:
                pass

        # Bound here so a port in use raises OSError in the caller's thread
        # (werkzeug would print and sys.exit instead).
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.requested_port))
            listener.listen(128)
            app = CorrectingMiddleware(DomainDispatcherApplication(create_backend_app), self.world)
            server = make_server(
                self.host,
                self.requested_port,
                app,
                threaded=True,
                request_handler=QuietRequestHandler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # werkzeug serves a duplicate of it
        server.daemon_threads = True  # type: ignore[attr-defined]  # threaded=True: a ThreadedWSGIServer
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="hsm-setup-practice-account", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
