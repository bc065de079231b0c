"""Retiring the root user's access key once the administrator exists.

The CloudHSM guide says not to use the root user: once the administrative user is
done, the session offers to delete the root access key that was used, and says how
to continue as the new administrator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from hsm_setup.aws.cli_command import cli
from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.identity import Identity
from hsm_setup.json_types import JsonObject
from hsm_setup.model import StepFacts, StepResult
from hsm_setup.steps.actions import Action, ActionKind
from hsm_setup.steps.identity_center import IdentityCenterFacts

if TYPE_CHECKING:
    from mypy_boto3_iam.client import IAMClient

ADMIN_STEP = "admin-user"
ROOT_STEP = "root-user"
SECURITY_CREDENTIALS_URL = "https://console.aws.amazon.com/iam/home#/security_credentials"


class RootKeyOffer(msgspec.Struct, frozen=True):
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


def root_key_offer(
    identity: Identity, aws: AwsSession, results: dict[str, StepResult[StepFacts]]
) -> RootKeyOffer | None:
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


def delete_root_access_key(iam: IAMClient, key_id: str) -> JsonObject:
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


def continue_as_administrator(results: dict[str, StepResult[StepFacts]], user_name: str) -> list[str]:
    """What to do next, as the new administrator instead of the root user."""
    found = results.get("identity-center")
    facts = found.facts_as(IdentityCenterFacts) if found is not None else None
    portal = facts.portal_url if facts is not None else None
    region = facts.region if facts is not None and portal else None
    lines = [
        f"Continue as the administrator {user_name}, not as the root user:",
        f"  1. Sign in at the access portal: {portal or 'the AWS access portal URL (IAM Identity Center > Settings)'}",
        "  2. Set up the AWS CLI for that user: aws configure sso"
        + (f" (SSO start URL {portal}, SSO Region {region})" if portal and region else ""),
        "  3. Run hsm-setup again with --profile set to the profile `aws configure sso` created.",
        f"  Sign in as root only for the tasks that need it ({SECURITY_CREDENTIALS_URL}).",
    ]
    return lines
