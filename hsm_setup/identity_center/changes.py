"""The Identity Center changes plans make, described as data (hsm_setup.aws.script_call).

Each returns a `Change` whose `text()` is the AWS CLI command the text plan shows, and which says how
`plan --format sh` learns the ids AWS assigns, skips what is already done and waits for what is
asynchronous. Both the administrative-user and the permission-sets steps use them.
"""

from __future__ import annotations

from hsm_setup.aws.script_call import Change, Helper, Prefixed, Read, Wait
from hsm_setup.identity_center.commands import (
    as_json,
    group_id,
    known,
    permission_set_arn,
    shell_name,
    sso_call,
    store_call,
    user_id,
)
from hsm_setup.identity_center.instance import IdentityCenter

MANAGED_BY_TAGS = "Key=managed-by,Value=hsm-setup"


def create_user(ic: IdentityCenter, user_name: str, given: str, family: str, email: str) -> Change:
    call = store_call(
        ic,
        "create-user",
        ("--user-name", user_name),
        ("--name", as_json({"GivenName": given, "FamilyName": family})),
        ("--display-name", f"{given} {family}"),
        ("--emails", as_json([{"Value": email, "Type": "work", "Primary": True}])),
    )
    return Change(call, learns=user_id(ic, user_name), capture="UserId")


def create_group(ic: IdentityCenter, group_name: str, description: str) -> Change:
    call = store_call(ic, "create-group", ("--display-name", group_name), ("--description", description))
    return Change(call, learns=group_id(ic, group_name), capture="GroupId")


def add_member(
    ic: IdentityCenter, group_name: str, known_group_id: str | None, user_name: str, known_user_id: str | None
) -> Change:
    group = known(known_group_id, group_id(ic, group_name))
    member = f"UserId={known_user_id}" if known_user_id else Prefixed("UserId=", user_id(ic, user_name))
    call = store_call(ic, "create-group-membership", ("--group-id", group), ("--member-id", member))
    exists = Read(
        store_call(ic, "get-group-membership-id", ("--group-id", group), ("--member-id", member)), "MembershipId"
    )
    return Change(call, done_when=exists)


def create_permission_set(ic: IdentityCenter, name: str, description: str, duration: str) -> Change:
    call = sso_call(
        ic,
        "create-permission-set",
        ("--name", name),
        ("--description", description),
        ("--session-duration", duration),
        ("--tags", MANAGED_BY_TAGS),
    )
    return Change(call, learns=permission_set_arn(ic, name), capture="PermissionSet.PermissionSetArn")


def _changed_flag(ps_name: str) -> str:
    """Set when this run changed the permission set, so it is provisioned again (only then)."""
    return f"CHANGED_{shell_name(ps_name)}"


def attach_managed_policy(ic: IdentityCenter, ps_name: str, known_arn: str | None, policy_arn: str) -> Change:
    ps = known(known_arn, permission_set_arn(ic, ps_name))
    call = sso_call(
        ic,
        "attach-managed-policy-to-permission-set",
        ("--permission-set-arn", ps),
        ("--managed-policy-arn", policy_arn),
    )
    attached = Read(
        sso_call(ic, "list-managed-policies-in-permission-set", ("--permission-set-arn", ps)),
        f'AttachedManagedPolicies[?Arn==`"{policy_arn}"`].Arn | [0]',
    )
    return Change(call, done_when=attached, marks=_changed_flag(ps_name))


def put_inline_policy(ic: IdentityCenter, ps_name: str, known_arn: str | None, document: str) -> Change:
    ps = known(known_arn, permission_set_arn(ic, ps_name))
    call = sso_call(
        ic, "put-inline-policy-to-permission-set", ("--permission-set-arn", ps), ("--inline-policy", document)
    )
    same = Helper("inline_policy_is", (ic.region, ic.instance_arn, ps, document))
    return Change(call, done_when=same, marks=_changed_flag(ps_name))


def provision_permission_set(ic: IdentityCenter, ps_name: str, known_arn: str | None) -> Change:
    ps = known(known_arn, permission_set_arn(ic, ps_name))
    call = sso_call(
        ic, "provision-permission-set", ("--permission-set-arn", ps), ("--target-type", "ALL_PROVISIONED_ACCOUNTS")
    )
    wait = Wait("PermissionSetProvisioningStatus.RequestId", "wait_for_provisioning", (ic.region, ic.instance_arn))
    return Change(call, waits=wait, only_if_marked=_changed_flag(ps_name))


def assign(
    ic: IdentityCenter,
    account_id: str,
    *,
    ps_name: str,
    known_arn: str | None,
    group_name: str,
    known_group_id: str | None,
) -> Change:
    ps = known(known_arn, permission_set_arn(ic, ps_name))
    group = known(known_group_id, group_id(ic, group_name))
    call = sso_call(
        ic,
        "create-account-assignment",
        ("--target-id", account_id),
        ("--target-type", "AWS_ACCOUNT"),
        ("--permission-set-arn", ps),
        ("--principal-type", "GROUP"),
        ("--principal-id", group),
    )
    exists = Helper("group_assignment", (ic.region, ic.instance_arn, account_id, ps, group))
    wait = Wait("AccountAssignmentCreationStatus.RequestId", "wait_for_assignment", (ic.region, ic.instance_arn))
    return Change(call, done_when=exists, waits=wait)
