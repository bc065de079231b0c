"""End-to-end fixtures: the practice account's moto server over HTTP, and the real program as a subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


class Cli:
    """Runs `python -m hsm_setup` against an endpoint, as a person would from a shell."""

    def __init__(self, endpoint_url: str | None, state_dir: Path, tmp_path: Path) -> None:
        self.endpoint_url = endpoint_url
        self.state_dir = state_dir
        self.tmp_path = tmp_path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION="us-east-1",
            AWS_EC2_METADATA_DISABLED="true",
            AWS_CONFIG_FILE=str(self.tmp_path / "aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(self.tmp_path / "aws-credentials"),
            HSM_SETUP_STATE_DIR=str(self.state_dir),
        )
        if self.endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.endpoint_url
        env.update(extra)
        return env

    def __call__(self, *args: str, input: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hsm_setup", *args],
            capture_output=True,
            text=True,
            input=input,
            env=self.env(**env),
            timeout=120,
        )

    def json(self, *args: str) -> tuple[int, dict]:
        done = self("check", "--json", *args)
        assert done.stdout, done.stderr
        return done.returncode, json.loads(done.stdout)


# The administrator a person gave in an earlier session. The practice server reached over HTTP
# counts as a real account (nothing tells it apart), so hsm-setup makes no one up there.
ADMIN = {
    "admin.user_name": "ops.admin",
    "admin.given_name": "Ops",
    "admin.family_name": "Admin",
    "admin.email": "ops.admin@corp.test",
}
ADMIN_TOML = (
    '[admin]\nuser_name = "ops.admin"\ngiven_name = "Ops"\nfamily_name = "Admin"\nemail = "ops.admin@corp.test"\n'
)


def save_admin(state_dir: Path, account_id: str = "123456789012") -> None:
    """Save answers naming the administrator for the account, as the wizard does once they are typed."""
    from hsm_setup.state.account import AccountState

    AccountState(account_id, root=state_dir).save_answers(dict(ADMIN))


@pytest.fixture
def cli(practice, state_dir, tmp_path) -> Cli:
    save_admin(state_dir)
    return Cli(practice.endpoint_url, state_dir, tmp_path)


@pytest.fixture
def answers_file(tmp_path):
    def write(text: str) -> str:
        path = tmp_path / "answers.toml"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


class RequestTrap:
    """A loopback TCP endpoint that records every connection: proof that no AWS call was made."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.connections = 0
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def trap() -> Iterator[RequestTrap]:
    trap = RequestTrap()
    yield trap
    trap.close()
