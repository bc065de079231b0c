"""Who may take a seat and who may see the board, and what a seat's wizard inherits from the server.

Safe by default: the workshop listens on 127.0.0.1. Listening on any other address
needs a join token, handed out as part of the link the server prints; the board
always needs the facilitator's own token. Both are random, compared in constant
time, and never written anywhere but the server's terminal.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .control import CONTROL_ENV

# What a seat's wizard keeps of the server's environment: where programs and the
# locale are, nothing that names an account, a profile or a credential.
INHERITED = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV", "PYTHONPATH")
# What textual-serve sets for its web driver, kept as it sets them.
TEXTUAL_PREFIXES = ("TEXTUAL_", "TERM_PROGRAM")
TEXTUAL_NAMES = ("COLUMNS", "ROWS")


def is_loopback(host: str) -> bool:
    """True when only this machine can reach `host` (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any address


@dataclass(frozen=True)
class Access:
    """The tokens of one workshop: the join token (None on loopback) and the board's."""

    join_token: str | None
    board_token: str = field(repr=False)

    @classmethod
    def for_host(cls, host: str) -> Access:
        join = None if is_loopback(host) else secrets.token_urlsafe(16)
        return cls(join, secrets.token_urlsafe(16))

    def may_join(self, offered: str | None) -> bool:
        return self.join_token is None or _same(offered, self.join_token)

    def may_see_board(self, offered: str | None) -> bool:
        return _same(offered, self.board_token)


def _same(offered: str | None, expected: str) -> bool:
    return offered is not None and secrets.compare_digest(offered.encode(), expected.encode())


def seat_environment(inherited: Mapping[str, str], *, home: Path, state_dir: Path, control: Path) -> dict[str, str]:
    """The seat's wizard's environment: the server's locale and PATH, textual-serve's settings, the seat's own folders.

    No AWS_* variable, profile or credential of the server's user reaches a seat, and what
    it writes for the person (an AWS config, a report) stays in the seat's folder.
    """
    env = {k: v for k, v in inherited.items() if k in INHERITED or k in TEXTUAL_NAMES or k.startswith(TEXTUAL_PREFIXES)}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        HSM_SETUP_STATE_DIR=str(state_dir),
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
        # No instance metadata endpoint is ever asked for credentials.
        AWS_EC2_METADATA_DISABLED="true",
        # The keyring of the user serving the workshop is never asked (the seat also picks it in code).
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env[CONTROL_ENV] = str(control)
    env.setdefault("PATH", os.defpath)
    return env
