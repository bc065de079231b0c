"""Asking for the MFA code of a role that requires one, and AWS's refusals.

botocore's assume-role fetcher calls a `prompter` (getpass by default, which writes to
the terminal) before it calls sts AssumeRole. hsm-setup hands it a prompter that never
touches the terminal, and asks in the STS call itself (`MfaAssumeRole`), where both the
MFA device and the role are known and where AWS's refusal can be shown with another try.

A front end supplies an `MfaAsker`: it is called with an `MfaRequest` and returns the
code, or raises `MfaCancelled` (any HsmSetupError ends the sign-in the same way). It is
called from whichever thread first needs the credentials, usually a worker thread.

AWS pages: "Using an IAM role in the AWS CLI" (mfa_serial, source_profile,
https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-role.html) and
"Configuring MFA-protected API access"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

import msgspec

from hsm_setup.errors import CredentialsError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from mypy_boto3_sts.client import STSClient
    from mypy_boto3_sts.type_defs import AssumeRoleResponseTypeDef


# A refused code may be asked for again this many times in all (a front end may stop sooner).
MAX_ATTEMPTS = 3
# STS AssumeRole TokenCode: six digits (botocore's model: length 6, pattern [\d]*).
_CODE = re.compile(r"^[0-9]{6}$")
# How AWS words a refused MFA code or device (AccessDenied on AssumeRole/GetSessionToken).
MFA_REFUSAL_PREFIX = "MultiFactorAuthentication failed"


class MfaRequest(msgspec.Struct, frozen=True):
    """What a front end shows when it asks for a code."""

    serial: str  # the MFA device (the profile's mfa_serial)
    role_arn: str  # the role being assumed
    profile: str | None  # the profile being signed in with (None: the default credentials)
    attempt: int = 1
    # Why the previous code was not accepted, in AWS's words (or the format rule); None on the first ask.
    refused: str | None = None

    @property
    def profile_label(self) -> str:
        return f"the profile `{self.profile}`" if self.profile else "the default profile"

    @property
    def prompt(self) -> str:
        """The question, in one line, as every front end words it."""
        return f"MFA code for {self.serial} (role {self.role_arn})"


MfaAsker = Callable[[MfaRequest], str]


class MfaCancelled(CredentialsError):
    """The person chose not to give an MFA code: nothing was signed in."""

    def __init__(self, request: MfaRequest | None = None) -> None:
        role = f" for {request.role_arn}" if request else ""
        super().__init__(
            f"Sign-in cancelled: no MFA code was given{role}.", "Connect again when the MFA device is at hand."
        )


class MfaCodeNeeded(CredentialsError):
    """The role needs an MFA code and there is no way to ask for one."""

    def __init__(self, request: MfaRequest, *, reason: str = "there is no terminal to ask for the code on") -> None:
        super().__init__(
            f"{request.profile_label[0].upper()}{request.profile_label[1:]} assumes the role {request.role_arn} "
            f"with MFA (device {request.serial}), and {reason}.",
            "Run again with `--mfa-code CODE` (the 6 digits the MFA device shows now).",
        )
        self.request = request


class MfaCodeRefused(CredentialsError):
    """AWS refused the code and no other try is possible (a code given with --mfa-code, or tries used up)."""

    def __init__(self, request: MfaRequest, *, fixed: bool) -> None:
        next_move = (
            "Run again with `--mfa-code` and the code the MFA device shows now (a code is good for about 30 seconds)."
            if fixed
            else "Connect again with the code the MFA device shows now; check that the profile's mfa_serial names your device."
        )
        super().__init__(f"AWS refused the MFA code for the role {request.role_arn}: {request.refused}", next_move)
        self.request = request


def code_problem(code: str) -> str | None:
    """Why a typed MFA code cannot be right, or None."""
    if not _CODE.match(code or ""):
        return "An MFA code is the 6 digits the MFA device shows."
    return None


def is_mfa_refusal(exc: BaseException) -> bool:
    """AccessDenied worded as AWS words a refused MFA code or device."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    error = response.get("Error", {})
    return error.get("Code") == "AccessDenied" and str(error.get("Message", "")).startswith(MFA_REFUSAL_PREFIX)


def refusal_text(exc: BaseException) -> str:
    response = getattr(exc, "response", {}) or {}
    return " ".join(str(response.get("Error", {}).get("Message", "")).split()) or "AccessDenied"


# -- askers ---------------------------------------------------------------------------
def cannot_ask(request: MfaRequest) -> str:
    """The asker of a connection no front end equipped: fail clearly rather than prompt."""
    raise MfaCodeNeeded(request, reason="this front end cannot ask for it")


def fixed_code(code: str, then: MfaAsker | None = None) -> MfaAsker:
    """Answers the first request with `code` (from --mfa-code); after a refusal asks `then`, or stops with AWS's reason."""
    used: list[bool] = []

    def ask(request: MfaRequest) -> str:
        if not used:
            used.append(True)
            return code
        if then is not None:
            return then(request)
        raise MfaCodeRefused(request, fixed=True)

    return ask


def terminal_asker(
    *,
    is_terminal: Callable[[], bool] | None = None,
    read: Callable[[str], str] | None = None,
    out: TextIO | None = None,
) -> MfaAsker:
    """Asks on the terminal with a masked prompt (getpass); without a terminal, MfaCodeNeeded.

    "Without a terminal" is judged as `hsm-setup apply` judges its confirmation: standard
    input is not a TTY (a pipe, CI, cron).
    """

    def default_read(prompt: str) -> str:
        import getpass

        return getpass.getpass(prompt)  # masked; getpass writes the prompt to the terminal itself

    def ask(request: MfaRequest) -> str:
        if not (is_terminal or sys.stdin.isatty)():
            raise MfaCodeNeeded(request)
        stream = out or sys.stderr
        if request.refused:
            print(f"hsm-setup: {request.refused}", file=stream, flush=True)
        try:
            code = (read or default_read)(f"{request.prompt}: ").strip()
        except EOFError:
            raise MfaCancelled(request) from None
        if not code:
            raise MfaCancelled(request)
        return code

    return ask


def headless_asker(code: str | None) -> MfaAsker:
    """The headless commands: --mfa-code first; otherwise (or after a refusal, on a terminal) the terminal."""
    terminal = terminal_asker()
    if code:
        return fixed_code(code, then=_only_on_terminal(terminal))
    return terminal


def _only_on_terminal(ask: MfaAsker) -> MfaAsker:
    def again(request: MfaRequest) -> str:
        if not sys.stdin.isatty():
            raise MfaCodeRefused(request, fixed=True)
        return ask(request)

    return again


# -- the STS call ----------------------------------------------------------------------
class MfaAssumeRole:
    """Stands in for the STS client botocore's assume-role fetcher makes for one AssumeRole.

    With a SerialNumber it asks for the code (the prompter's placeholder is replaced),
    calls AWS, and when AWS refuses the code asks again with AWS's reason, up to
    MAX_ATTEMPTS in all. Everything else goes to the real client.
    """

    def __init__(self, client: STSClient, ask: MfaAsker, profile: str | None) -> None:
        self._client = client
        self._ask = ask
        self._profile = profile

    def assume_role(self, **kwargs: Any) -> AssumeRoleResponseTypeDef:
        serial = kwargs.get("SerialNumber")
        if serial is None:
            return self._client.assume_role(**kwargs)
        refused: str | None = None
        request = MfaRequest(serial, str(kwargs.get("RoleArn", "")), self._profile)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            request = MfaRequest(serial, request.role_arn, self._profile, attempt, refused)
            code = self._ask(request)
            refused = code_problem(code)
            if refused:
                continue  # never sent: AWS would only refuse it
            try:
                return self._client.assume_role(**{**kwargs, "TokenCode": code})
            except Exception as exc:
                if not is_mfa_refusal(exc):
                    raise
                refused = refusal_text(exc)
        raise MfaCodeRefused(MfaRequest(serial, request.role_arn, self._profile, MAX_ATTEMPTS, refused), fixed=False)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def placeholder_prompter(prompt: str) -> str:
    """botocore's prompter slot: never writes to the terminal. MfaAssumeRole asks instead."""
    return ""
