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
    response = getattr(exc, "response", None)
    named = response.get("HsmSetupService") if isinstance(response, dict) else None  # set by aws.AwsSession
    for service in ([named] if named in _KNOWN_SERVICES else []) + list(_KNOWN_SERVICES):
        model = loader.get_service_model(service)
        if op in model.operation_names:
            return f"{model.signing_name}:{op}"
    return op


def refresh_advice(profile: str | None) -> str:
    """How to get fresh credentials, for the kind of credentials in use."""
    import os

    if profile:
        try:
            import botocore.session

            config = botocore.session.Session(profile=profile).get_scoped_config()
        except Exception:  # an unreadable config: fall back on the generic advice below
            config = {}
        if config.get("sso_session") or config.get("sso_start_url"):
            return f"Sign in again with `aws sso login --profile {profile}`."
        if config.get("role_arn"):
            source = config.get("source_profile")
            where = f" of its source profile `{source}`" if source else ""
            return f"The profile `{profile}` assumes a role: refresh the credentials{where} (new keys with `aws configure --profile {source or profile}`, or `aws sso login`)."
        if config.get("credential_process"):
            return f"The profile `{profile}` gets credentials from a credential_process: make that process return fresh ones."
        return f"Put new access keys in the profile with `aws configure --profile {profile}`."
    if os.environ.get("AWS_SESSION_TOKEN"):
        return "Export fresh AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (temporary credentials from the environment)."
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        return "Export a new AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (credentials from the environment)."
    return "Refresh your credentials: `aws sso login` for an SSO profile, new keys with `aws configure` for access keys."


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
            return Problem(f"The credentials have expired ({code}).", f"{refresh_advice(profile)} Then run hsm-setup again; progress is kept.", "expired")
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
