"""How to reach AWS: what the command line, the environment and the person chose.

Nothing here imports botocore except listing profiles, so front ends can build a
Connection before their first frame.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hsm_setup.aws.signin.mfa import MfaAsker


@dataclass(frozen=True)
class Connection:
    """How to reach AWS: what the CLI flags and environment said."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    # Credentials typed in by a person (never written anywhere).
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    sandbox: bool = False
    # A role that needs MFA: the code given up front (--mfa-code), and how to ask for one
    # (a front end's dialog, the terminal). Neither is ever shown or written anywhere.
    mfa_code: str | None = field(default=None, repr=False)
    ask_mfa: MfaAsker | None = field(default=None, repr=False, compare=False)

    def describe(self) -> str:
        if self.sandbox:
            return "the practice account"
        if self.profile:
            return f"profile {self.profile}"
        return "the default credentials"


def list_available_profiles() -> list[str]:
    """Profiles from the AWS config and credentials files, SSO profiles included."""
    import botocore.session

    try:
        return sorted(botocore.session.Session().available_profiles)
    except Exception:  # a malformed config file should not stop the wizard
        return []


def connection_from(
    *,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    sandbox: bool = False,
    **credentials: Any,
) -> Connection:
    """A Connection from flags, falling back on the environment as the AWS CLI does."""
    return Connection(
        profile=profile or os.environ.get("AWS_PROFILE") or None,
        region=region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None,
        endpoint_url=endpoint_url or None,  # botocore itself honours AWS_ENDPOINT_URL
        sandbox=sandbox,
        **credentials,
    )
