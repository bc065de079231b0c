"""The states a practice account starts in.

- fresh: a standalone account; root has access keys and no MFA; nothing set up.
- partial: root secured; an organization with Identity Center in us-east-1; the
  admin user exists in the identity store and nothing else of that step is done;
  the CloudHSM policy exists with a drifted document and is not attached.
- complete: every step done for the default answers, made by the real engine.
- org, delegated: an organization of `accounts` member accounts (organization.py).
- member-managed-root: a member account of an organization that manages root access
  centrally: root has no password, keys or MFA by design.
- made-by-hand: partial, plus what a team following the guide by hand made with the
  default names: the permission set AdministratorAccess (nothing attached, not assigned),
  the permission set CloudHSMAdmins with another inline policy and held by another group
  (so it is provisioned to this account), and the IAM groups Administrators and
  CloudHSMAdmins with no policy attached. hsm-setup adopts all of them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from . import backends
from .catalog import (
    ACCESS_KEY_ID,
    ACCOUNT_ID,
    CALLER_USER_NAME,
    DEFAULT_REGION,
    MANAGEMENT_ACCOUNT_ID,
    SECRET_ACCESS_KEY,
    SandboxError,
)
from .corrections.iam import load_aws_managed_policy
from .corrections.sts import CALLER_USER_ID

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .account import PracticeAccount

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
DRIFTED_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "cloudhsm:DescribeClusters", "Resource": "*"}],
}


def seed(account: PracticeAccount, scenario: str) -> None:
    seed_fresh(account)
    if scenario in ("org", "delegated"):
        from .organization import seed_delegated, seed_org

        seeder = seed_org if scenario == "org" else seed_delegated
        account.organization = seeder(account, account.accounts)
    if scenario == "partial":
        seed_partial(account)
    elif scenario == "complete":
        seed_complete(account)
    elif scenario == "member-managed-root":
        seed_member_managed_root(account)
    elif scenario == "made-by-hand":
        seed_partial(account)
        seed_made_by_hand(account)


def seed_fresh(account: PracticeAccount) -> None:
    # The IAM user the practice credentials belong to, so the account holds the
    # caller that sts GetCallerIdentity names: it holds AdministratorAccess and the
    # practice access key, so IAM enforcement (and the pre-flight's simulation) treat
    # it as the administrator it stands for.
    iam = backends.iam()
    user = iam.create_user(region_name=DEFAULT_REGION, user_name=CALLER_USER_NAME)
    user.id = CALLER_USER_ID
    key = iam.create_access_key(CALLER_USER_NAME)
    del iam.access_keys[key.physical_resource_id]
    key.access_key_id, key.secret_access_key = ACCESS_KEY_ID, SECRET_ACCESS_KEY
    iam.access_keys[key.physical_resource_id] = key
    load_aws_managed_policy(ADMINISTRATOR_ACCESS)
    iam.attach_user_policy(ADMINISTRATOR_ACCESS, CALLER_USER_NAME)


def seed_partial(account: PracticeAccount) -> None:
    from hsm_setup.answers.values import defaults

    answers = defaults(practice=True)
    account.simulate("root-mfa")
    account.simulate("root-access-keys")
    account.client("organizations").create_organization(FeatureSet="ALL")
    region = answers["region"]
    account.simulate("enable-identity-center", region=region)
    store_id = account.world.instances_in(region)[0].identity_store_id
    account.client("identitystore", region).create_user(
        IdentityStoreId=store_id,
        UserName=answers["admin.user_name"],
        Name={"GivenName": answers["admin.given_name"], "FamilyName": answers["admin.family_name"]},
        DisplayName=f"{answers['admin.given_name']} {answers['admin.family_name']}",
        Emails=[{"Value": answers["admin.email"], "Type": "work", "Primary": True}],
    )
    account.client("iam").create_policy(
        PolicyName=answers["cloudhsm.policy_name"],
        PolicyDocument=json.dumps(DRIFTED_POLICY),
        Description="CloudHSM administrators",
    )


# The group that already holds the hand-made CloudHSMAdmins permission set.
HAND_MADE_GROUP = "HsmOperatorsByHand"


def seed_made_by_hand(account: PracticeAccount) -> None:
    from hsm_setup.answers.values import defaults

    answers = defaults(practice=True)
    region = answers["region"]
    instance = account.world.instances_in(region)[0]
    sso = account.client("sso-admin", region)
    admin_set = sso.create_permission_set(
        InstanceArn=instance.arn, Name=answers["admin.permission_set"], Description="Made by hand"
    )
    assert admin_set["PermissionSet"]["PermissionSetArn"]
    cloudhsm_set = sso.create_permission_set(
        InstanceArn=instance.arn, Name=answers["cloudhsm.permission_set"], Description="Made by hand"
    )["PermissionSet"]["PermissionSetArn"]
    sso.put_inline_policy_to_permission_set(
        InstanceArn=instance.arn, PermissionSetArn=cloudhsm_set, InlinePolicy=json.dumps(DRIFTED_POLICY)
    )
    group_id = account.client("identitystore", region).create_group(
        IdentityStoreId=instance.identity_store_id, DisplayName=HAND_MADE_GROUP
    )["GroupId"]
    sso.create_account_assignment(
        InstanceArn=instance.arn,
        TargetId=ACCOUNT_ID,
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=cloudhsm_set,
        PrincipalType="GROUP",
        PrincipalId=group_id,
    )
    iam = account.client("iam")
    iam.create_group(GroupName=answers["admin.iam_group"])
    iam.create_group(GroupName=answers["cloudhsm.iam_group"])


def seed_complete(account: PracticeAccount) -> None:
    """The console actions simulated, then the real engine applies the default answers."""
    from hsm_setup.answers.values import defaults
    from hsm_setup.aws.clients import AwsSession
    from hsm_setup.aws.connection import Connection
    from hsm_setup.aws.data_loader import every_service_loader
    from hsm_setup.engine.runner import Engine

    answers = defaults(practice=True)
    account.simulate("root-mfa")
    account.simulate("root-access-keys")
    account.client("organizations").create_organization(FeatureSet="ALL")
    account.simulate("enable-identity-center", region=answers["region"])
    connection = Connection(region=answers["region"], sandbox=True, **account.connection_overrides())
    # Parsed by the loader moto already holds: the practice account's process keeps one copy of each model.
    aws = AwsSession(connection, data_loader=every_service_loader())
    engine = Engine(aws, answers, sandbox=True, sleep=lambda seconds: None)
    report = engine.apply()
    if not report.all_done:
        unfinished = [
            f"{step_id}: {result.error or '; '.join(f.message for f in result.findings if not f.ok) or result.status.value}"
            for step_id, result in report.results.items()
            if not result.done
        ]
        raise SandboxError(
            "The practice account could not be brought to the complete scenario: " + " | ".join(unfinished),
            "Start from the fresh or partial scenario instead.",
        )


def seed_member_managed_root(account: PracticeAccount) -> None:
    """A member account whose organization deleted its root credentials centrally: no root password,
    access keys or MFA, by design. The practice account is IAM's delegated administrator for it."""
    from .world import CentralRootAccess

    backends.join_organization_as_member(MANAGEMENT_ACCOUNT_ID)
    world = account.world
    world.root.password = False
    world.root.access_keys = False
    world.root.mfa = False
    world.central_root = CentralRootAccess()
