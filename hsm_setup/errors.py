"""Turn AWS and credential failures into a cause and a next move a person can act on.

Every front end shows `Problem.cause` and `Problem.next_move`; none of them shows
a traceback. botocore is imported lazily so front ends can import this module
before the first frame.
"""

from __future__ import annotations

from dataclasses import dataclass

ACCESS_DENIED_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedException",
    "AuthorizationError",
}
EXPIRED_CODES = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
INVALID_CREDENTIAL_CODES = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "IncompleteSignature",
}


class HsmSetupError(Exception):
    """A failure already explained for a person: `cause` and `next_move`."""

    def __init__(self, cause: str, next_move: str = "") -> None:
        super().__init__(cause)
        self.cause = cause
        self.next_move = next_move

    def __str__(self) -> str:
        return f"{self.cause} {self.next_move}".strip()


class CredentialsError(HsmSetupError):
    """No usable credentials: nothing can be checked."""


class EndpointError(HsmSetupError):
    """The AWS endpoint (or the practice account) cannot be reached."""


class AccountBusyError(HsmSetupError):
    """Another hsm-setup run holds this account's lock."""


@dataclass(frozen=True)
class Problem:
    cause: str
    next_move: str
    kind: str  # access-denied, expired, credentials, endpoint, throttled, aws, internal

    def __str__(self) -> str:
        return f"{self.cause} {self.next_move}".strip()


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def is_code(exc: BaseException, *codes: str) -> bool:
    return error_code(exc) in codes


_KNOWN_SERVICES = ("sso-admin", "identitystore", "iam", "organizations", "sts")


def _operation_action(exc: BaseException) -> str:
    """The IAM action behind a failed call, e.g. `sso:CreatePermissionSet`.

    botocore's ClientError names the operation but not the service, so look the
    operation up in the service models of the services this tool calls.
    """
    op = getattr(exc, "operation_name", "") or ""
    if not op:
        return "the operation"
    import botocore.session

    loader = botocore.session.get_session()
    for service in _KNOWN_SERVICES:
        model = loader.get_service_model(service)
        if op in model.operation_names:
            return f"{model.signing_name}:{op}"
    return op


def explain(exc: BaseException, profile: str | None = None) -> Problem:
    """A cause and a next move for any exception an AWS call can raise."""
    if isinstance(exc, HsmSetupError):
        return Problem(exc.cause, exc.next_move, "aws")
    import botocore.exceptions as bex  # deferred: botocore is slow to import

    who = f"the profile `{profile}`" if profile else "the credentials in use"
    if isinstance(exc, bex.NoCredentialsError):
        return Problem(
            "No AWS credentials were found.",
            "Choose a profile with --profile (or AWS_PROFILE), run `aws configure`, "
            "or try the practice account with --sandbox.",
            "credentials",
        )
    if isinstance(exc, (bex.UnauthorizedSSOTokenError, bex.TokenRetrievalError, bex.SSOTokenLoadError)):
        login = f"aws sso login --profile {profile}" if profile else "aws sso login"
        return Problem("The AWS SSO session has expired or was never started.", f"Run `{login}` and try again.", "expired")
    if isinstance(exc, bex.ProfileNotFound):
        return Problem(f"{exc}.", "List your profiles with `aws configure list-profiles`.", "credentials")
    if isinstance(exc, (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ReadTimeoutError, bex.ConnectionClosedError)):
        return Problem(
            f"Could not reach the AWS endpoint ({getattr(exc, 'kwargs', {}).get('endpoint_url', 'unknown')}).",
            "Check the network, the Region and --endpoint-url, then try again.",
            "endpoint",
        )
    if isinstance(exc, bex.ClientError):
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message", "") or code
        action = _operation_action(exc)
        if code in ACCESS_DENIED_CODES:
            return Problem(
                f"AccessDenied on {action}: {who} lack it.",
                "Run as an administrator or add the permission (the README lists each step's permissions).",
                "access-denied",
            )
        if code in EXPIRED_CODES:
            login = f"aws sso login --profile {profile}" if profile else "refresh your credentials (for SSO: `aws sso login`)"
            return Problem(f"The credentials have expired ({code}).", f"Run `{login}` and run hsm-setup again; progress is kept.", "expired")
        if code in INVALID_CREDENTIAL_CODES:
            return Problem(
                f"AWS rejected the credentials ({code}): they are wrong, deleted or for another partition.",
                "Check the access key (aws configure) or choose another profile.",
                "credentials",
            )
        if code in {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"}:
            return Problem(f"AWS kept throttling {action} after several retries.", "Wait a minute and run again; progress is kept.", "throttled")
        return Problem(f"{action} failed: {code}: {message}", "Fix the cause above and run again; progress is kept.", "aws")
    if isinstance(exc, bex.BotoCoreError):
        return Problem(f"The AWS SDK failed: {exc}", "Check the AWS configuration and try again.", "aws")
    return Problem(f"Unexpected error: {type(exc).__name__}: {exc}", "Please report this with the steps that led to it.", "internal")
