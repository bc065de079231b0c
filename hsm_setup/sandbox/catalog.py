"""The practice account's names: its scenarios, its simulations, its fixed identities.

Kept free of moto and boto3 so front ends can list scenarios and simulations
before anything heavy is imported.
"""

from __future__ import annotations

from typing import Any

from hsm_setup.errors import HsmSetupError

ACCOUNT_ID = "123456789012"
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"
DEFAULT_REGION = "us-east-1"

# Who the practice credentials belong to (sts GetCallerIdentity).
CALLER_USER_NAME = "practice-admin"
CALLERS = ("user", "root")

SCENARIOS: dict[str, str] = {
    "fresh": "A standalone account with nothing set up: root has access keys and no MFA.",
    "partial": "Root secured, an organization and Identity Center in us-east-1, the admin user created; "
    "a drifted CloudHSM policy; the rest missing.",
    "complete": "Every step done with the default answers.",
    "member-managed-root": "A member account of an organization that manages root access centrally: root has no password, "
    "access keys or MFA by design; this account is IAM's delegated administrator, so it can list the organization's features.",
    "made-by-hand": "Half of the guide followed by hand: as partial, plus the permission sets AdministratorAccess "
    "(not assigned) and CloudHSMAdmins (another inline policy, held by another group), and the IAM groups "
    "Administrators and CloudHSMAdmins without their policies.",
    "org": "The management account of an organization with Identity Center, and member accounts in nested OUs "
    "(--accounts, default 12): a few suspended, a few without the member role.",
    "delegated": "A member account registered as Identity Center's delegated administrator of an organization "
    "(--accounts member accounts besides it, default 12).",
}
# The scenarios with an organization of --accounts member accounts.
ORGANIZATION_SCENARIOS = ("org", "delegated")
DEFAULT_ORGANIZATION_ACCOUNTS = 12
MAX_ORGANIZATION_ACCOUNTS = 2000
# The organization's management account in the member-managed-root scenario.
MANAGEMENT_ACCOUNT_ID = "111111111111"

SIMULATIONS: dict[str, str] = {
    "root-mfa": "The root user turns on a virtual MFA device in the console.",
    "root-access-keys": "The root user deletes its access keys in the console.",
    "enable-identity-center": "The management account enables IAM Identity Center (an organization instance) in the console.",
    "sso-sign-in": "The person approves hsm-setup's sign-in request on IAM Identity Center's page in the browser.",
    "add-identity-center-region": "The management account replicates IAM Identity Center to an additional Region in the console "
    "(AWS asks for a customer managed KMS key and an external identity provider first).",
}


class SandboxError(HsmSetupError, ValueError):
    """The practice account cannot do what was asked: `cause` says why, `next_move` what to do.

    A ValueError too, since it always means a request that does not fit the account's state.
    """


def check_choice(kind: str, value: str, allowed: dict[str, str] | tuple[str, ...]) -> str:
    if value not in allowed:
        names = ", ".join(allowed)
        raise ValueError(f"{kind} {value!r} is not known; choose one of: {names}")
    return value


def check_accounts(accounts: object) -> int:
    """How many member accounts an organization scenario makes: a whole number from 1 to 2,000."""
    if isinstance(accounts, bool) or not isinstance(accounts, int) or not 1 <= accounts <= MAX_ORGANIZATION_ACCOUNTS:
        raise ValueError(f"accounts: {accounts!r} is not a number of accounts from 1 to {MAX_ORGANIZATION_ACCOUNTS}")
    return accounts


def connection_overrides(endpoint_url: str) -> dict[str, Any]:
    """The fields of hsm_setup.aws.Connection that point it at a practice account served there."""
    return {
        "endpoint_url": endpoint_url,
        "access_key_id": ACCESS_KEY_ID,
        "secret_access_key": SECRET_ACCESS_KEY,
        "session_token": None,
    }
