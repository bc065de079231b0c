"""Credentials a person types in, and retiring the root user's access key once it is no longer needed.

A brand-new account has no AWS profile: the person types the access key pair the
root user created. Those values live only in memory (a Connection) unless the
person agrees to keep them in the OS keyring (hsm_setup.secrets). The CloudHSM
guide says not to use the root user: once the administrative user exists, the
front ends offer to delete the root access key that was used, and point to
signing in as the new administrator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from hsm_setup.aws.clients import AwsSession, Connection, Identity
from hsm_setup.answers.fields import Field
from hsm_setup.model import Action, ActionKind, StepResult
from hsm_setup.secrets.store import StoredCredentials
from hsm_setup.steps.base import cli

ACCESS_KEY_ID_PATTERN = re.compile(r"^[A-Z0-9]{16,128}$")
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9/+=]{16,128}$")
ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}$")
ADMIN_STEP = "admin-user"
ROOT_STEP = "root-user"
SECURITY_CREDENTIALS_URL = "https://console.aws.amazon.com/iam/home#/security_credentials"


def access_key_id_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return "is empty; paste the access key ID (it starts with AKIA, or ASIA for temporary keys)"
    if not ACCESS_KEY_ID_PATTERN.match(value):
        # The key id is not secret (it appears in CloudTrail), but keep the message short anyway.
        return f"{value[:24]!r} is not an access key ID: 16 to 128 capital letters and digits, like AKIAIOSFODNN7EXAMPLE"
    return None


def secret_access_key_problem(value: Any) -> str | None:
    # Never repeat the value: it is the secret.
    if not isinstance(value, str) or not value:
        return "is empty; paste the secret access key shown when the key was created"
    if not SECRET_PATTERN.match(value):
        return f"is not a secret access key ({len(value)} characters; expected about 40 letters, digits and / + =)"
    return None


def session_token_problem(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or any(ch.isspace() for ch in value) or len(value) < 16:
        return "is not a session token (a long string without spaces); leave it empty for long-term keys"
    return None


def session_token_needed(access_key_id: str, token: str | None) -> str | None:
    """A message when temporary keys (ASIA...) come without their session token."""
    if access_key_id.startswith("ASIA") and not token:
        return "temporary keys (ASIA...) need their session token; paste it, or use long-term keys (AKIA...)"
    return None


def account_id_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not ACCOUNT_ID_PATTERN.match(value):
        return f"{str(value)[:24]!r} is not an AWS account id (12 digits)"
    return None


# Declared as fields so both front ends render them with the same validators;
# they are not answers and are never saved with the answers.
ACCESS_KEY_ID = Field(
    "aws_access_key_id", "Access key ID",
    "The access key ID (AKIA... or ASIA...). IAM > Security credentials > Access keys shows it.",
    "", access_key_id_problem, "connect",
)
SECRET_ACCESS_KEY = Field(
    "aws_secret_access_key", "Secret access key",
    "Shown once, when the access key was created. It is kept in memory only, unless you choose the OS keyring.",
    "", secret_access_key_problem, "connect", kind="secret",
)
SESSION_TOKEN = Field(
    "aws_session_token", "Session token (optional)",
    "Only for temporary credentials (access key IDs starting with ASIA). Leave empty otherwise.",
    "", session_token_problem, "connect", kind="secret",
)
CREDENTIAL_FIELDS = (ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN)


def typed_credentials(access_key_id: str, secret_access_key: str, session_token: str | None = None) -> StoredCredentials:
    """Validated credentials from what a person typed. Raises ValueError naming the field (never the secret)."""
    token = session_token or None
    for spec, value in ((ACCESS_KEY_ID, access_key_id), (SECRET_ACCESS_KEY, secret_access_key), (SESSION_TOKEN, token)):
        message = spec.error(value)
        if message:
            raise ValueError(message)
    needed = session_token_needed(access_key_id, token)
    if needed:
        raise ValueError(f"{SESSION_TOKEN.key}: {needed}")
    return StoredCredentials(access_key_id, secret_access_key, token)


def connection_with(credentials: StoredCredentials, base: Connection | None = None) -> Connection:
    """A Connection that uses these credentials (and no profile), keeping base's Region and endpoint."""
    return replace(
        base or Connection(),
        profile=None,
        sandbox=False,
        access_key_id=credentials.access_key_id,
        secret_access_key=credentials.secret_access_key,
        session_token=credentials.session_token,
    )


def credentials_of(connection: Connection) -> StoredCredentials | None:
    if connection.access_key_id and connection.secret_access_key:
        return StoredCredentials(connection.access_key_id, connection.secret_access_key, connection.session_token)
    return None


# -- the root user's access key ---------------------------------------------------------------
@dataclass(frozen=True)
class RootKeyOffer:
    """The root access key in use may now be deleted: the administrative user exists."""

    access_key_id: str
    account_id: str

    @property
    def question(self) -> str:
        return (
            f"Delete the root user's access key {self.access_key_id} now? The CloudHSM guide advises it: "
            "the administrator you set up does the rest. This run stops using it afterwards."
        )

    def action(self) -> Action:
        """The deletion as an Action, so the engine journals it and shows it as an AWS CLI command."""
        key_id = self.access_key_id
        return Action(
            ROOT_STEP,
            f"Delete the root user's access key {key_id}",
            ActionKind.API,
            cli=cli("iam", "delete-access-key", ("--access-key-id", key_id)),
            run=lambda ctx: delete_root_access_key(ctx.client("iam"), key_id),
            key=f"{ROOT_STEP}:delete-root-access-key",
            permissions=("iam:DeleteAccessKey",),
        )


def access_key_in_use(aws: AwsSession) -> str | None:
    """The access key id the session signs with (typed, saved or from a profile), or None."""
    if aws.connection.access_key_id:
        return aws.connection.access_key_id
    return aws.access_key_id()


def root_key_offer(identity: Identity, aws: AwsSession, results: dict[str, StepResult]) -> RootKeyOffer | None:
    """An offer to delete the root access key in use, once the administrative user is done; else None."""
    if not identity.is_root or aws.connection.sandbox:
        return None
    admin = results.get(ADMIN_STEP)
    if admin is None or not admin.done:
        return None
    key_id = access_key_in_use(aws)
    if not key_id or key_id.startswith("ASIA"):
        # Temporary credentials are not an access key of the root user's to delete.
        return None
    return RootKeyOffer(key_id, identity.account_id)


def delete_root_access_key(iam: Any, key_id: str) -> dict[str, Any]:
    """iam DeleteAccessKey without UserName: with root credentials it deletes the caller's own key."""
    from hsm_setup.errors import is_code

    try:
        iam.delete_access_key(AccessKeyId=key_id)
    except Exception as exc:
        # Deleted already (an earlier, interrupted run, or in the console): nothing left to do.
        if not is_code(exc, "NoSuchEntity"):
            raise
        return {"deleted": key_id, "already_gone": True}
    return {"deleted": key_id}


def continue_as_administrator(results: dict[str, StepResult], user_name: str) -> list[str]:
    """What to do next, as the new administrator instead of the root user."""
    portal = results.get("identity-center").facts.get("portal_url") if results.get("identity-center") else None
    region = results.get("identity-center").facts.get("region") if results.get("identity-center") else None
    lines = [
        f"Continue as the administrator {user_name}, not as the root user:",
        f"  1. Sign in at the access portal: {portal or 'the AWS access portal URL (IAM Identity Center > Settings)'}",
        "  2. Set up the AWS CLI for that user: aws configure sso"
        + (f" (SSO start URL {portal}, SSO Region {region})" if portal and region else ""),
        "  3. Run hsm-setup again with --profile set to the profile `aws configure sso` created.",
        f"  Sign in as root only for the tasks that need it ({SECURITY_CREDENTIALS_URL}).",
    ]
    return lines
