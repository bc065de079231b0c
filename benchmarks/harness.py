"""What the benchmarks share: the served practice account, timed subprocesses with their
peak memory, and the environment a measured process runs in."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# The administrator the served account was set up with. Served over HTTP it counts as a real
# account, where hsm-setup makes no one up: a check of a finished setup names them.
ADMIN_ANSWERS = (
    '[admin]\nuser_name = "ops.admin"\ngiven_name = "Ops"\nfamily_name = "Admin"\nemail = "ops.admin@corp.test"\n'
)
HSM_SETUP = [PYTHON, "-m", "hsm_setup"]
ACCOUNT_START_TIMEOUT = 240
RUN_TIMEOUT = 120


@dataclass
class Run:
    seconds: float
    max_rss_mib: float
    returncode: int
    stdout: str
    stderr: str


def run_measured(command: list[str], env: dict[str, str], timeout: float = RUN_TIMEOUT) -> Run:
    """Run a process to its end: wall time from spawn to exit, and its own peak RSS.

    The peak is the process's VmHWM, read from /proc while it runs. wait4's ru_maxrss is not its own: Linux keeps the
    high-water mark across execve, and a child spawned with vfork (as subprocess does) starts from its parent's, so a
    small process spawned by a 300 MiB parent reports 300 MiB (the parent here holds the floors' clients and threads).
    Popen returns once the child has called execve, so every read here is of the child's own memory."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = started + timeout
    out_chunks: list[str] = []
    err_chunks: list[str] = []

    readers = [
        threading.Thread(target=lambda: out_chunks.append(process.stdout.read()), daemon=True),  # type: ignore[union-attr]
        threading.Thread(target=lambda: err_chunks.append(process.stderr.read()), daemon=True),  # type: ignore[union-attr]
    ]
    for reader in readers:
        reader.start()
    killed = False
    peak_kib = 0
    polls = 0
    while True:
        pid, status = os.waitpid(process.pid, os.WNOHANG)
        if pid:
            break
        if polls % 5 == 0:  # every 10 ms: the high-water mark only grows, so a later read holds an earlier peak
            peak_kib = max(peak_kib, _high_water_kib(process.pid))
        polls += 1
        if time.perf_counter() > deadline and not killed:
            process.kill()
            killed = True
        time.sleep(0.002)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join(timeout=5)
    return Run(seconds, peak_kib / 1024, process.returncode, "".join(out_chunks), "".join(err_chunks))


def _high_water_kib(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM, KiB); 0 once it has exited (a zombie has no memory)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def child_env(endpoint: str | None, state_dir: str | None, **extra: str) -> dict[str, str]:
    """A clean environment for a measured process: practice credentials, no real AWS settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "PYTHONDONTWRITEBYTECODE"}
    # Bytecode cached outside the repository, so imports cost what they cost on an installed copy.
    env["PYTHONPYCACHEPREFIX"] = str(Path(os.environ.get("TMPDIR", "/tmp")) / "hsm-setup-bench-pycache")
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPATH=str(ROOT),
    )
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    if state_dir:
        env["HSM_SETUP_STATE_DIR"] = state_dir
    env.update(extra)
    return env


class ServedAccount:
    """A practice account served by benchmarks/account.py in its own process."""

    def __init__(self, scenario: str = "complete", users: int = 0, permission_sets: int = 0) -> None:
        self.command = [
            PYTHON,
            str(ROOT / "benchmarks" / "account.py"),
            "--scenario",
            scenario,
            "--users",
            str(users),
            "--permission-sets",
            str(permission_sets),
        ]
        self.process: subprocess.Popen | None = None
        self.endpoint = ""
        self.seed_seconds = 0.0
        self.users = self.permission_sets = 0

    def __enter__(self) -> ServedAccount:
        env = child_env(None, None)
        self.process = subprocess.Popen(
            self.command,
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + ACCOUNT_START_TIMEOUT
        line = ""
        while time.monotonic() < deadline and self.process.poll() is None:
            line = self.process.stdout.readline()  # type: ignore[union-attr]
            if line.startswith("READY"):
                break
        if not line.startswith("READY"):
            self.__exit__()
            raise RuntimeError(f"the practice account did not start: {line!r}")
        _, self.endpoint, seconds, users, sets = line.split()
        self.seed_seconds, self.users, self.permission_sets = float(seconds), int(users), int(sets)
        return self

    def __exit__(self, *exc: object) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        try:
            process.stdin.close()  # type: ignore[union-attr]
            process.wait(timeout=10)
        except Exception:
            process.kill()
            process.wait(timeout=10)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
