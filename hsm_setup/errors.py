"""Turn AWS and credential failures into a cause and a next move a person can act on.

Every front end shows `Problem.cause` and `Problem.next_move`; none of them shows
a traceback. botocore is imported lazily so front ends can import this module
before the first frame.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from typing import Any

import msgspec

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


# What to do about an answer AWS gave in a shape hsm-setup cannot read: most are passing glitches.
ODD_ANSWER_NEXT_MOVE = (
    "Run again; if it persists, report it (with the output of `hsm-setup check --json`). Progress is kept."
)


class UnexpectedResponse(HsmSetupError):
    """AWS answered, but not in a shape hsm-setup can read: a key missing, a status it does not know, a wrong type.

    `what` names the call ("sso-admin ListInstances"), `oddity` what was wrong ("without IdentityStoreId").
    """

    def __init__(self, what: str, oddity: str) -> None:
        super().__init__(f"AWS answered {what} {oddity}.", ODD_ANSWER_NEXT_MOVE)
        self.what = what
        self.oddity = oddity


def _shape(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__


def require(response: object, *path: str, what: str, of: type | tuple[type, ...] | None = None) -> Any:
    """response[path[0]][path[1]]...; a key AWS left out (or sent as null) raises UnexpectedResponse naming it.

    `of` checks the type of the value found: require(r, "SummaryMap", what="iam GetAccountSummary", of=dict).
    """
    value = response
    parent = "its answer"
    for key in path:
        if not isinstance(value, dict):
            raise UnexpectedResponse(what, f"with {parent} as {_shape(value)}, not an object")
        if value.get(key) is None:
            raise UnexpectedResponse(what, f"without {key}")
        value, parent = value[key], key
    if of is not None and not isinstance(value, of):
        wanted = _shape(of() if isinstance(of, type) else of[0]())
        raise UnexpectedResponse(what, f"with {parent} as {_shape(value)}, not {wanted}")
    return value


def items(page: object, key: str, *, what: str) -> list[Any]:
    """The entries of one page of a list call: a missing or null list is an empty page; anything else is odd."""
    if not isinstance(page, dict):
        raise UnexpectedResponse(what, f"with a page that is {_shape(page)}, not an object")
    value = page.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise UnexpectedResponse(what, f"with {key} as {_shape(value)}, not a list")
    odd = next((entry for entry in value if not isinstance(entry, (dict, str))), None)
    if odd is not None:
        raise UnexpectedResponse(what, f"with an entry of {key} that is {_shape(odd)}")
    return value


def next_token(page: Mapping[str, object], key: str, seen: set[str], *, what: str) -> str | None:
    """The token of the next page, or None; the same token twice would page forever, so it stops the read."""
    token = page.get(key)
    if not token:
        return None
    if token in seen:
        raise UnexpectedResponse(what, f"with the same {key} twice (the list would never end)")
    seen.add(str(token))
    return str(token)


def known_status(value: object, known: Container[object], *, what: str, field: str = "Status") -> str:
    """A status AWS reported, checked against the ones hsm-setup knows how to act on."""
    if value is None or value == "":
        raise UnexpectedResponse(what, f"without {field}")
    if value not in known:
        raise UnexpectedResponse(what, f"with {field} {value!r}, which hsm-setup does not know")
    return str(value)


class Problem(msgspec.Struct, frozen=True):
    cause: str
    next_move: str
    kind: str  # access-denied, expired, credentials, endpoint, throttled, aws, unexpected-response, internal

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


def _sentence(text: str) -> str:
    """A message to end with our own full stop: botocore's sometimes carry one."""
    return text.strip().rstrip(".")


def _region_of(endpoint: str) -> str | None:
    """The Region in an AWS endpoint URL (https://sts.eu-west-2.amazonaws.com -> eu-west-2), or None."""
    import re

    match = re.match(r"^https://[a-z0-9-]+\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com", endpoint)
    return match.group(1) if match else None


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
    return (
        "Refresh your credentials: `aws sso login` for an SSO profile, new keys with `aws configure` for access keys."
    )


def config_paths() -> tuple[str, str]:
    """The AWS config and credentials files botocore reads (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE)."""
    import os

    config = os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
    credentials = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    return config, credentials


def _profile_setting(profile: str | None, name: str) -> str | None:
    """One setting of a profile, or None (also when the config cannot be read)."""
    if not profile:
        return None
    try:
        import botocore.session

        value = botocore.session.Session(profile=profile).get_scoped_config().get(name)
    except Exception:  # an unreadable config is explained by the caller's own failure
        return None
    return str(value) if value else None


def _known_region(region: str) -> bool:
    """True when botocore's endpoint data names the Region (in any partition)."""
    try:
        import botocore.session

        session = botocore.session.get_session()
        return any(
            region in session.get_available_regions("sts", partition)
            for partition in session.get_available_partitions()
        )
    except Exception:  # no endpoint data: do not guess
        return True


def _config_problem(exc: BaseException, profile: str | None) -> Problem | None:
    """The AWS configuration itself is wrong: a profile, the config files, a credential_process, a Region."""
    import botocore.exceptions as bex

    config, credentials = config_paths()
    who = f"the profile `{profile}`" if profile else "the default profile"
    if isinstance(exc, bex.ProfileNotFound):
        name = exc.kwargs.get("profile") or profile
        return Problem(
            f"The AWS profile `{name}` does not exist: it is in neither {config} nor {credentials}.",
            "List the profiles with `aws configure list-profiles` and choose one with --profile (or AWS_PROFILE), "
            f"or add it with `aws configure --profile {name}`.",
            "credentials",
        )
    if isinstance(exc, bex.ConfigParseError):
        path = exc.kwargs.get("path") or config
        return Problem(
            f"The AWS configuration file {path} cannot be read: it is not in the INI format the AWS CLI writes.",
            "Fix the file (or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE at a good one), then run again; "
            "`aws configure list` shows what the AWS CLI makes of it.",
            "credentials",
        )
    if isinstance(exc, bex.CredentialRetrievalError):
        detail = _sentence(str(exc.kwargs.get("error_msg") or ""))
        source = (
            "credential_process"
            if exc.kwargs.get("provider") == "custom-process"
            else str(exc.kwargs.get("provider") or "credential provider")
        )
        return Problem(
            f"The {source} of {who} failed: {detail}."
            if detail
            else f"The {source} of {who} failed without saying why.",
            "Run that command yourself to see why, fix it, then run hsm-setup again.",
            "credentials",
        )
    if isinstance(exc, bex.InvalidRegionError):
        region = exc.kwargs.get("region_name", "")
        return Problem(
            f"{region!r} is not a Region name (it comes from --region, AWS_REGION or {who}'s region).",
            "Use a Region such as us-east-1 or eu-west-2.",
            "credentials",
        )
    if isinstance(exc, bex.InvalidConfigError):
        return Problem(
            f"The AWS configuration of {who} is not valid: {_sentence(str(exc))}.",
            f"Fix {who} in {config}; `aws configure list --profile {profile or 'default'}` shows what the AWS CLI makes of it.",
            "credentials",
        )
    process = _profile_setting(profile, "credential_process") if isinstance(exc, OSError) and exc.filename else None
    if isinstance(exc, OSError) and process and str(exc.filename) in process:
        return Problem(
            f"The credential_process of {who} could not be started: {exc.filename}: {exc.strerror}.",
            f"Fix `credential_process` in {config} (the command must exist and be executable), then run again.",
            "credentials",
        )
    return None


def _sign_in_problem(exc: BaseException, profile: str | None) -> Problem | None:
    """Sign-in failures botocore raises that need their own next move (None: not one of them)."""
    if type(exc).__name__ == "RefreshWithMFAUnsupportedError":
        who = f"the profile `{profile}`" if profile else "the default profile"
        return Problem(
            f"The role session of {who} has ended, and renewing it needs a new MFA code.",
            "Connect again (or run the command again) and give the code the MFA device shows now; progress is kept.",
            "expired",
        )
    return None


def explain(exc: BaseException, profile: str | None = None) -> Problem:
    """A cause and a next move for any exception an AWS call can raise."""
    if isinstance(exc, UnexpectedResponse):
        return Problem(exc.cause, exc.next_move, "unexpected-response")
    if isinstance(exc, CredentialsError):
        return Problem(exc.cause, exc.next_move, "credentials")
    if isinstance(exc, HsmSetupError):
        return Problem(exc.cause, exc.next_move, "aws")
    import botocore.exceptions as bex  # deferred: botocore is slow to import

    signing_in = _sign_in_problem(exc, profile)
    if signing_in is not None:
        return signing_in
    configured = _config_problem(exc, profile)
    if configured is not None:
        return configured
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
        return Problem(
            "The AWS SSO session has expired or was never started.", f"Run `{login}` and try again.", "expired"
        )
    if isinstance(
        exc, (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ReadTimeoutError, bex.ConnectionClosedError)
    ):
        endpoint = str(getattr(exc, "kwargs", {}).get("endpoint_url", "unknown"))
        region = _region_of(endpoint)
        if region and not _known_region(region):
            return Problem(
                f"Could not reach the AWS endpoint ({endpoint}): {region} is not a Region this AWS SDK knows.",
                "Check --region, AWS_REGION and the profile's region (for example us-east-1), then try again.",
                "endpoint",
            )
        return Problem(
            f"Could not reach the AWS endpoint ({endpoint}).",
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
            return Problem(
                f"The credentials have expired ({code}).",
                f"{refresh_advice(profile)} Then run hsm-setup again; progress is kept.",
                "expired",
            )
        if code in INVALID_CREDENTIAL_CODES:
            return Problem(
                f"AWS rejected the credentials ({code}): they are wrong, deleted or for another partition.",
                "Check the access key (aws configure) or choose another profile.",
                "credentials",
            )
        if code in {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"}:
            return Problem(
                f"AWS kept throttling {action} after several retries.",
                "Wait a minute and run again; progress is kept.",
                "throttled",
            )
        return Problem(
            f"{action} failed: {code}: {message}", "Fix the cause above and run again; progress is kept.", "aws"
        )
    if isinstance(exc, bex.BotoCoreError):
        return Problem(f"The AWS SDK failed: {exc}", "Check the AWS configuration and try again.", "aws")
    if isinstance(exc, (KeyError, IndexError, TypeError, ValueError, AttributeError)):
        # Steps read AWS answers with plain indexing: a lookup error is almost always an answer
        # that lacked something (a step that knows the call raises UnexpectedResponse instead).
        detail = (
            f"{exc.args[0]!r} was missing" if isinstance(exc, KeyError) and exc.args else f"{type(exc).__name__}: {exc}"
        )
        return Problem(
            f"An answer from AWS was not in the shape hsm-setup expects ({detail}).",
            ODD_ANSWER_NEXT_MOVE,
            "unexpected-response",
        )
    return Problem(
        f"Unexpected error: {type(exc).__name__}: {exc}",
        "Please report this with the steps that led to it.",
        "internal",
    )
