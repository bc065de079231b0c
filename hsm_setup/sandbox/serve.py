"""`hsm-setup sandbox serve`: the practice account as a server for other tools
(the AWS CLI, a second terminal running the wizard with --endpoint-url).
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any, TextIO

from .catalog import ACCESS_KEY_ID, DEFAULT_REGION, SECRET_ACCESS_KEY


def serve(
    port: int = 0,
    scenario: str = "fresh",
    out: TextIO | None = None,
    *,
    stop_event: threading.Event | None = None,
    accounts: int = 12,
) -> None:
    """Start the practice account, say how to use it, and block until Ctrl-C or SIGTERM.

    `stop_event` lets a caller (a test) stop it without a signal.
    """
    from .account import PracticeAccount

    out = out or sys.stdout
    stop = stop_event or threading.Event()
    account = PracticeAccount(scenario, port=port, accounts=accounts)
    # Signals first: Ctrl-C while moto loads ends the wait below instead of raising mid-start.
    restore = _on_signals(stop)
    try:
        account.start()
    except BaseException:
        restore()
        raise
    try:
        endpoint = account.endpoint_url
        print(f"The practice account ({scenario} scenario) is listening on {endpoint}", file=out)
        print("Use it from another terminal:", file=out)
        print(
            f"  export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID={ACCESS_KEY_ID} "
            f"AWS_SECRET_ACCESS_KEY={SECRET_ACCESS_KEY} AWS_REGION={DEFAULT_REGION}",
            file=out,
        )
        print("  aws iam get-account-summary", file=out)
        print("  hsm-setup check", file=out)
        print("Press Ctrl-C to stop it.", file=out, flush=True)
        try:
            # A timed wait keeps the main thread able to take Ctrl-C.
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        restore()
        account.stop()
        print("The practice account stopped.", file=out, flush=True)


def _on_signals(stop: threading.Event) -> Any:
    """SIGTERM and SIGINT set `stop` (only the main thread may install handlers)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda signum, frame: stop.set())

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
