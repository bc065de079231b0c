"""PracticeAccount: a corrected moto server on loopback, seeded with a scenario.

moto keeps its state in process-wide backends, so one practice account runs
per process at a time; each start() resets moto, so accounts started one after
another never see each other's resources.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from .catalog import (
    ACCESS_KEY_ID,
    ACCOUNT_ID,
    CALLER_USER_NAME,
    CALLERS,
    DEFAULT_ORGANIZATION_ACCOUNTS,
    DEFAULT_REGION,
    SCENARIOS,
    SECRET_ACCESS_KEY,
    SIMULATIONS,
    SandboxError,
    check_accounts,
    check_choice,
    connection_overrides,
)
from .world import World

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .organization import SeededOrganization

# Only this machine can reach the practice account.
LOOPBACK = "127.0.0.1"
_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*?]+$")
_running: PracticeAccount | None = None
_running_lock = threading.Lock()


class PracticeAccount:
    def __init__(
        self,
        scenario: str = "fresh",
        *,
        port: int = 0,
        caller: str = "user",
        accounts: int = DEFAULT_ORGANIZATION_ACCOUNTS,
    ) -> None:
        self.scenario = check_choice("scenario", scenario, SCENARIOS)
        # Member accounts in the org and delegated scenarios.
        self.accounts = check_accounts(accounts)
        self.organization: SeededOrganization | None = None
        check_choice("caller", caller, CALLERS)
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port: {port!r} is not a TCP port (0 picks a free one)")
        self.account_id = ACCOUNT_ID
        self.world = World(ACCOUNT_ID, caller=caller)
        self._port = port
        self._server: Any = None
        self._session: Any = None
        self._clients: dict[tuple[str, str], Any] = {}

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> PracticeAccount:
        global _running
        if self._server is not None:
            return self
        with _running_lock:
            if _running is not None:
                raise SandboxError(
                    "Another practice account is already running in this process; moto's state is shared.",
                    "Stop it before starting another.",
                )
            _running = self
        try:
            from .server import LoopbackServer

            server = LoopbackServer(self.world, LOOPBACK, self._port)
            server.start()  # OSError (port in use) goes to the caller, who knows which flag set the port
            self._server = server
            self._seed(self.scenario)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        global _running
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        self._clients.clear()
        self._session = None
        with _running_lock:
            if _running is self:
                _running = None

    def __enter__(self) -> PracticeAccount:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def caller(self) -> str:
        """Whose credentials the practice account says they are: "user" (practice-admin) or "root"."""
        return self.world.caller

    @caller.setter
    def caller(self, caller: str) -> None:
        with self.world.lock:
            self.world.caller = check_choice("caller", caller, CALLERS)

    def reset(self, scenario: str | None = None) -> None:
        """Back to a scenario's seed state (the current one by default); faults are cleared too."""
        scenario = check_choice("scenario", scenario or self.scenario, SCENARIOS)
        self._require_running()
        self.scenario = scenario
        self._seed(scenario)

    def _seed(self, scenario: str) -> None:
        from . import backends, scenarios

        with self.world.lock:
            backends.reset_all()
            self.world.clear()
            self.organization = None
        scenarios.seed(self, scenario)

    # -- connecting --------------------------------------------------------------------
    @property
    def port(self) -> int:
        self._require_running()
        return self._server.port

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def connection_overrides(self) -> dict[str, Any]:
        """The fields of hsm_setup.aws.Connection that point it at this account."""
        return connection_overrides(self.endpoint_url)

    def client(self, service: str, region: str = DEFAULT_REGION) -> Any:
        """A boto3 client on this account (used to seed it; handy in tests)."""
        key = (service, region)
        if key not in self._clients:
            import boto3

            if self._session is None:
                from .backends import share_data_loader

                self._session = share_data_loader(
                    boto3.session.Session(
                        aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY, region_name=region
                    )
                )
            self._clients[key] = self._session.client(service, region_name=region, endpoint_url=self.endpoint_url)
        return self._clients[key]

    # -- console actions and faults ----------------------------------------------------
    def describe_simulation(self, name: str) -> str:
        """What a console stand-in does, in one sentence."""
        return SIMULATIONS.get(name, name)

    def simulate(self, name: str, region: str | None = None) -> str:
        """Do a console-only action (see SIMULATIONS); returns what changed, in one line."""
        from .simulations import simulate

        self._require_running()
        return simulate(self.world, name, region)

    def deny(self, action: str) -> None:
        """Make an IAM action (e.g. sso:CreatePermissionSet; wildcards allowed) answer AccessDenied."""
        with self.world.lock:
            self.world.denied.add(_checked_action(action))

    def allow(self, action: str) -> None:
        with self.world.lock:
            self.world.denied.discard(_checked_action(action))

    def enforce_iam(self, enforce: bool = True) -> None:
        """Check every request against the caller's IAM policies, as AWS does (until a reset).

        The practice credentials belong to practice-admin, who holds AdministratorAccess;
        a test makes an IAM user with the policy it wants and signs with that user's key.
        """
        with self.world.lock:
            self.world.enforce_iam = bool(enforce)

    def limit_rate(self, operation: str, per_second: float) -> None:
        """Answer `operation` (CreateAccountAssignment) at most `per_second` times a second, then
        ThrottlingException, as AWS's quotas do (until clear_faults or a reset)."""
        if not isinstance(operation, str) or not operation.isalnum():
            raise ValueError(f"operation: {operation!r} is not an API operation such as CreateAccountAssignment")
        if isinstance(per_second, bool) or not isinstance(per_second, (int, float)) or per_second <= 0:
            raise ValueError(f"per_second: {per_second!r} is not a positive rate")
        with self.world.lock:
            self.world.rate_limits[operation] = float(per_second)

    def received_calls(self) -> list[tuple[str, str]]:
        """(service, operation) of every request that reached the account since the last reset, oldest first."""
        with self.world.lock:
            return list(self.world.received)

    def expire_credentials(self) -> None:
        """Every call answers ExpiredToken until clear_faults()."""
        with self.world.lock:
            self.world.expired = True

    def clear_faults(self) -> None:
        self.world.clear_faults()

    # -- signing in ----------------------------------------------------------------------
    def add_mfa_device(self, user_name: str = CALLER_USER_NAME, device_name: str | None = None) -> str:
        """A virtual MFA device enabled for an IAM user (the practice credentials' by default); its serial."""
        from .sign_in_setup import add_mfa_device

        self._require_running()
        return add_mfa_device(self.world, user_name, device_name or user_name)

    def mfa_code(self, serial: str, steps_from_now: int = 0) -> str:
        """What the MFA device shows now (or that many 30-second steps away): the person's phone."""
        from .sign_in_setup import mfa_code

        return mfa_code(self.world, serial, steps_from_now)

    def add_role(self, name: str, require_mfa: bool = False) -> str:
        """A role in the practice account that its IAM users may assume (with MFA, if asked); its ARN."""
        from .sign_in_setup import add_role

        self._require_running()
        return add_role(self.world, name, require_mfa)

    def approve_sign_in(self, user_code: str | None = None) -> str:
        """Approve an IAM Identity Center sign-in request, as the person would in the browser."""
        from .signin import approve

        return approve(self.world, user_code)

    def deny_sign_in(self, user_code: str | None = None) -> str:
        from .signin import approve

        return approve(self.world, user_code, deny=True)

    def slow_down_sign_in(self, times: int = 1) -> None:
        """The next `times` polls of a waiting sign-in answer SlowDownException."""
        if not isinstance(times, int) or times < 0:
            raise ValueError(f"times: {times!r} is not a count")
        with self.world.lock:
            self.world.sign_ins.slow_downs = times

    def _require_running(self) -> None:
        if self._server is None:
            raise SandboxError("The practice account is not running.", "Call start() first.")


def _checked_action(action: str) -> str:
    if not isinstance(action, str) or not _ACTION.match(action):
        raise ValueError(f"action: {action!r} is not an IAM action such as sso:CreatePermissionSet")
    return action.lower()
