"""Credentials a person types in: their fields, validators, and the Connection they make.

A brand-new account has no AWS profile: the person types the access key pair the
root user created. Those values live only in memory (a Connection) unless the
person agrees to keep them in the OS keyring (hsm_setup.secrets.store).
"""

from __future__ import annotations

import re
from dataclasses import replace

from hsm_setup.answers.fields import Field
from hsm_setup.aws.connection import Connection
from hsm_setup.secrets.store import StoredCredentials

ACCESS_KEY_ID_PATTERN = re.compile(r"^[A-Z0-9]{16,128}$")
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9/+=]{16,128}$")
ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}$")


def access_key_id_problem(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return "is empty; paste the access key ID (it starts with AKIA, or ASIA for temporary keys)"
    if not ACCESS_KEY_ID_PATTERN.match(value):
        # The key id is not secret (it appears in CloudTrail), but keep the message short anyway.
        return (
            f"{value[:24]!r} is not an access key ID: 16 to 128 capital letters and digits, like AKIAIOSFODNN7EXAMPLE"
        )
    return None


def secret_access_key_problem(value: object) -> str | None:
    # Never repeat the value: it is the secret.
    if not isinstance(value, str) or not value:
        return "is empty; paste the secret access key shown when the key was created"
    if not SECRET_PATTERN.match(value):
        return f"is not a secret access key ({len(value)} characters; expected about 40 letters, digits and / + =)"
    return None


def session_token_problem(value: object) -> str | None:
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


def account_id_problem(value: object) -> str | None:
    if not isinstance(value, str) or not ACCOUNT_ID_PATTERN.match(value):
        return f"{str(value)[:24]!r} is not an AWS account id (12 digits)"
    return None


# Declared as fields so both front ends render them with the same validators;
# they are not answers and are never saved with the answers.
ACCESS_KEY_ID = Field(
    "aws_access_key_id",
    "Access key ID",
    "The access key ID (AKIA... or ASIA...). IAM > Security credentials > Access keys shows it.",
    "",
    access_key_id_problem,
    "connect",
)
SECRET_ACCESS_KEY = Field(
    "aws_secret_access_key",
    "Secret access key",
    "Shown once, when the access key was created. It is kept in memory only, unless you choose the OS keyring.",
    "",
    secret_access_key_problem,
    "connect",
    kind="secret",
)
SESSION_TOKEN = Field(
    "aws_session_token",
    "Session token (optional)",
    "Only for temporary credentials (access key IDs starting with ASIA). Leave empty otherwise.",
    "",
    session_token_problem,
    "connect",
    kind="secret",
)
CREDENTIAL_FIELDS = (ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN)


def typed_credentials(
    access_key_id: str, secret_access_key: str, session_token: str | None = None
) -> StoredCredentials:
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
