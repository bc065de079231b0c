"""The practice account in a child process: what `--sandbox` starts.

moto and its server cost the process that hosts them about 45 MiB and compete with
the wizard's event loop for the interpreter; a real account is not inside the tool
either. The child (child.py) serves on loopback; console simulations and faults go to
it over a pipe, one JSON line each way. It runs in its own session, so Ctrl-C at the
terminal reaches only the tool, and it stops when the pipe closes, so it never
outlives the tool, even one killed with SIGKILL.

PracticeAccountProcess answers to the same calls as PracticeAccount (start, stop,
reset, simulate, connection_overrides, faults), so the rest of hsm-setup does not
care which one it has.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import threading
from typing import Any

from .catalog import (
    ACCOUNT_ID,
    DEFAULT_ORGANIZATION_ACCOUNTS,
    SCENARIOS,
    SIMULATIONS,
    SandboxError,
    check_accounts,
    check_choice,
    connection_overrides,
)

# Starting moto takes one to three seconds; a loaded CI machine, more.
START_TIMEOUT = 90.0
STOP_TIMEOUT = 5.0


def practice_environment() -> dict[str, str]:
    """The child's environment: the person's AWS settings (profile, keys, config files) play no part in the practice account."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    return env


class PracticeAccountProcess:
    def __init__(self, scenario: str = "fresh", *, accounts: int = DEFAULT_ORGANIZATION_ACCOUNTS) -> None:
        self.scenario = check_choice("scenario", scenario, SCENARIOS)
        self.accounts = check_accounts(accounts)
        self.account_id = ACCOUNT_ID
        self.endpoint_url = ""
        self._process: subprocess.Popen[str] | None = None
        self._stderr: Any = None
        # Requests come from worker threads; the pipe carries one exchange at a time.
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> PracticeAccountProcess:
        if self._process is not None:
            return self
        # Its error output goes to a file, not the terminal the wizard draws on; shown if it fails to start.
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 (kept open while the child runs; closed in stop)
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "hsm_setup.sandbox.child", self.scenario, str(self.accounts)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                text=True,
                encoding="utf-8",
                start_new_session=True,
                close_fds=True,
                env=practice_environment(),
            )
        except OSError as exc:
            self._stderr.close()
            self._stderr = None
            raise SandboxError(
                f"The practice account could not be started ({sys.executable}: {exc.strerror or exc}).",
                "Reinstall hsm-setup in a working Python environment.",
            ) from None
        try:
            hello = self._read_line(START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        if not hello.get("ok"):
            details = self._stderr_tail()
            self.stop()
            raise _error(hello, details)
        self.endpoint_url = str(hello["endpoint_url"])
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        # Closing its stdin is the signal to stop; a kill only if it does not.
        try:
            if process.stdin is not None:
                process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> PracticeAccountProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def connection_overrides(self) -> dict[str, Any]:
        """The fields of hsm_setup.aws.Connection that point it at this account."""
        self._require_running()
        return connection_overrides(self.endpoint_url)

    # -- what the child does -------------------------------------------------------------
    def describe_simulation(self, name: str) -> str:
        """What a console stand-in does, in one sentence."""
        return SIMULATIONS.get(name, name)

    def simulate(self, name: str, region: str | None = None) -> str:
        """Do a console-only action (see SIMULATIONS); returns what changed, in one line."""
        return str(self._call("simulate", name, region))

    def reset(self, scenario: str | None = None) -> None:
        scenario = check_choice("scenario", scenario or self.scenario, SCENARIOS)
        self._call("reset", scenario)
        self.scenario = scenario

    def deny(self, action: str) -> None:
        self._call("deny", action)

    def allow(self, action: str) -> None:
        self._call("allow", action)

    def enforce_iam(self, enforce: bool = True) -> None:
        self._call("enforce_iam", bool(enforce))

    def received_calls(self) -> list[tuple[str, str]]:
        return [(str(service), str(operation)) for service, operation in self._call("received_calls")]

    def expire_credentials(self) -> None:
        self._call("expire_credentials")

    def clear_faults(self) -> None:
        self._call("clear_faults")

    def limit_rate(self, operation: str, per_second: float) -> None:
        self._call("limit_rate", operation, per_second)

    def add_mfa_device(self, user_name: str = "practice-admin", device_name: str | None = None) -> str:
        return str(self._call("add_mfa_device", user_name, device_name))

    def mfa_code(self, serial: str, steps_from_now: int = 0) -> str:
        return str(self._call("mfa_code", serial, steps_from_now))

    def add_role(self, name: str, require_mfa: bool = False) -> str:
        return str(self._call("add_role", name, require_mfa))

    def approve_sign_in(self, user_code: str | None = None) -> str:
        return str(self._call("approve_sign_in", user_code))

    def deny_sign_in(self, user_code: str | None = None) -> str:
        return str(self._call("deny_sign_in", user_code))

    def slow_down_sign_in(self, times: int = 1) -> None:
        self._call("slow_down_sign_in", times)

    def peak_rss_mib(self) -> float:
        """The child's own peak memory (the benchmarks report it next to the tool's)."""
        return float(self._call("peak_rss_mib"))

    def _call(self, op: str, *args: object) -> Any:
        with self._lock:
            self._require_running()
            assert self._process is not None and self._process.stdin is not None
            try:
                self._process.stdin.write(json.dumps({"op": op, "args": list(args)}) + "\n")
                self._process.stdin.flush()
            except OSError:
                raise _stopped(self._stderr_tail()) from None
            reply = self._read_line(START_TIMEOUT)
        if not reply.get("ok"):
            raise _error(reply, "")
        return reply.get("value")

    def _read_line(self, timeout: float) -> dict[str, Any]:
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        # One line answers each request, so nothing is ever left in the reader's buffer
        # that select() could not see.
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            if not selector.select(timeout=timeout):
                raise SandboxError(
                    f"The practice account did not answer within {timeout:.0f} s.",
                    "The machine may be very busy; try again, or run `hsm-setup sandbox serve` to watch it start.",
                )
        line = stdout.readline()
        if not line:
            raise _stopped(self._stderr_tail())
        try:
            reply = json.loads(line)
        except ValueError:
            raise _stopped(self._stderr_tail()) from None
        return reply if isinstance(reply, dict) else {}

    def _stderr_tail(self, lines: int = 3) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.flush()
            self._stderr.seek(0)
            text = self._stderr.read()
        except (OSError, ValueError):
            return ""
        return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])

    def _require_running(self) -> None:
        if not self.running:
            raise SandboxError("The practice account is not running.", "Start the wizard or the command again.")


def _stopped(details: str) -> SandboxError:
    said = f" It said: {details}" if details else ""
    return SandboxError(
        f"The practice account stopped unexpectedly.{said}",
        "Run the command again; `hsm-setup sandbox serve` shows the practice account's own output.",
    )


def _error(reply: dict[str, Any], details: str) -> Exception:
    cause = str(reply.get("cause") or "the practice account did not start")
    if reply.get("kind") == "value":
        return ValueError(cause)
    if reply.get("kind") == "start":
        said = f" ({details})" if details and details not in cause else ""
        return SandboxError(
            f"The practice account did not start: {cause}{said}",
            "Reinstall hsm-setup (moto may be missing), or run `hsm-setup sandbox serve` to see its full output.",
        )
    return SandboxError(cause, str(reply.get("next_move") or ""))


def start_practice_process(scenario: str, accounts: int = DEFAULT_ORGANIZATION_ACCOUNTS) -> PracticeAccountProcess:
    """A practice account in a child process, running (hsm_setup.session.practice.StartPractice)."""
    return PracticeAccountProcess(scenario=scenario, accounts=accounts).start()
