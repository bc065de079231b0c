"""Removing what hsm-setup created, and only that, in the order AWS allows.

The steps note every resource they create (not ones they adopt) in the account's
saved state (AccountState.created). Teardown plans one removal per note, in
dependency order: account assignments, memberships, groups, permission sets,
policy attachments, versions and policies, users; the service-linked role only
when asked, since AWS keeps it while clusters exist. The root user's settings,
the organization and Identity Center's enablement are never noted, so never touched.

Every removal reads first and treats "already gone" as done, and a note is
dropped only once its resource is gone, so an interrupted teardown is finished
by running it again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from hsm_setup.aws.clients import AwsSession
from hsm_setup.errors import HsmSetupError, Problem, explain, is_code
from hsm_setup.steps.identity_center_api import MANAGED_BY_TAG, assigned_permission_set_arns
from hsm_setup.state.account import AccountState
from hsm_setup.steps.base import cli

# Dependency order: a thing is removed before what it points to.
ORDER = (
    "account-assignment",
    "group-membership",
    "iam-group-member",
    "iam-group-policy",
    "identity-center-group",
    "iam-group",
    "permission-set-managed-policy",
    "permission-set-inline-policy",
    "permission-set",
    "iam-policy-version",
    "iam-policy",
    "iam-login-profile",
    "iam-user",
    "identity-center-user",
    "service-linked-role",
)
# Polling an asynchronous deletion: about a minute in all before handing over to a re-run.
POLL_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0)
NOT_FOUND = ("ResourceNotFoundException", "NoSuchEntity")


@dataclass
class Removal:
    """One thing teardown removes: what it says, the AWS CLI equivalent, and the note it clears."""

    kind: str
    ident: str
    summary: str
    cli: list[str]
    entry: dict[str, Any]
    # Notes that go away with this removal (a permission set's policies, a deleted policy's versions).
    covers: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TeardownPlan:
    removals: list[Removal] = field(default_factory=list)
    # Created resources left in place (the service-linked role unless asked).
    kept: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.removals


@dataclass
class TeardownReport:
    removed: list[tuple[Removal, str]] = field(default_factory=list)
    failed: list[tuple[Removal, Problem]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


# -- plan --------------------------------------------------------------------------------
def plan_teardown(state: AccountState, *, include_service_linked_role: bool = False) -> TeardownPlan:
    """The removals for everything the saved state says hsm-setup created, in dependency order."""
    entries = [e for e in state.created() if e.get("kind") in ORDER and e.get("id")]
    entries.sort(key=lambda e: ORDER.index(e["kind"]))
    unknown = [e for e in state.created() if e.get("kind") not in ORDER]
    deleted = {(e["kind"], e["id"]) for e in entries if e["kind"] in ("permission-set", "iam-policy")}
    # What goes with a deleted parent is not removed on its own: the parent's removal clears its note.
    covered: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for entry in entries:
        parent = _parent(entry)
        if parent in deleted:
            covered.setdefault(parent, []).append(entry)
    plan = TeardownPlan()
    for entry in entries:
        if _parent(entry) in deleted:
            continue
        if entry["kind"] == "service-linked-role" and not include_service_linked_role:
            plan.kept.append(
                f"The service-linked role {entry['id']} (AWS keeps it while clusters exist; "
                "add --include-service-linked-role to remove it)."
            )
            continue
        removal = _describe(entry)
        removal.covers = covered.get((entry["kind"], entry["id"]), [])
        plan.removals.append(removal)
    for entry in unknown:  # noted by a step teardown does not know how to undo: say so rather than guess
        plan.kept.append(f"{entry.get('kind')} {entry.get('id')} (teardown cannot remove this kind yet; remove it in the console).")
    return plan


def _parent(entry: dict[str, Any]) -> tuple[str, str] | None:
    if entry["kind"] in ("permission-set-managed-policy", "permission-set-inline-policy"):
        return ("permission-set", entry.get("permission_set_arn", ""))
    if entry["kind"] == "iam-policy-version":
        return ("iam-policy", entry.get("policy_arn", ""))
    return None


def _sso(entry: dict[str, Any], command: str, *args: tuple[str, Any] | str) -> str:
    return cli("sso-admin", command, ("--region", entry.get("region", "")), ("--instance-arn", entry.get("instance_arn", "")), *args)


def _store(entry: dict[str, Any], command: str, *args: tuple[str, Any] | str) -> str:
    return cli("identitystore", command, ("--region", entry.get("region", "")), ("--identity-store-id", entry.get("identity_store_id", "")), *args)


def _describe(entry: dict[str, Any]) -> Removal:
    kind, ident = entry["kind"], entry["id"]

    def removal(summary: str, *commands: str) -> Removal:
        return Removal(kind, ident, summary, list(commands), entry)

    if kind == "account-assignment":
        return removal(
            f"Remove the account assignment {entry.get('label') or ident} on account {entry.get('account_id')}",
            _sso(
                entry, "delete-account-assignment",
                ("--target-id", entry.get("account_id")), ("--target-type", "AWS_ACCOUNT"),
                ("--permission-set-arn", entry.get("permission_set_arn")),
                ("--principal-type", entry.get("principal_type")), ("--principal-id", entry.get("principal_id")),
            ),
        )
    if kind == "group-membership":
        return removal(
            f"Remove {entry.get('user', 'a user')} from the Identity Center group {entry.get('group', '')}",
            _store(entry, "delete-group-membership", ("--membership-id", ident)),
        )
    if kind == "iam-group-member":
        return removal(
            f"Remove IAM user {entry['user']} from the IAM group {entry['group']}",
            cli("iam", "remove-user-from-group", ("--group-name", entry["group"]), ("--user-name", entry["user"])),
        )
    if kind == "iam-group-policy":
        return removal(
            f"Detach {entry['policy_arn']} from the IAM group {entry['group']}",
            cli("iam", "detach-group-policy", ("--group-name", entry["group"]), ("--policy-arn", entry["policy_arn"])),
        )
    if kind == "identity-center-group":
        return removal(
            f"Delete the Identity Center group {entry.get('name', ident)}",
            _store(entry, "delete-group", ("--group-id", ident)),
        )
    if kind == "iam-group":
        return removal(
            f"Delete the IAM group {ident} (removing any member or policy still in it: IAM requires it)",
            cli("iam", "delete-group", ("--group-name", ident)),
        )
    if kind == "permission-set-managed-policy":
        return removal(
            f"Detach {entry['policy_arn']} from the permission set {entry['permission_set_arn']}",
            _sso(
                entry, "detach-managed-policy-from-permission-set",
                ("--permission-set-arn", entry["permission_set_arn"]), ("--managed-policy-arn", entry["policy_arn"]),
            ),
        )
    if kind == "permission-set-inline-policy":
        return removal(
            f"Delete the inline policy hsm-setup put in the permission set {ident}",
            _sso(entry, "delete-inline-policy-from-permission-set", ("--permission-set-arn", ident)),
        )
    if kind == "permission-set":
        return removal(
            f"Delete the permission set {entry.get('name', ident)}",
            _sso(entry, "delete-permission-set", ("--permission-set-arn", ident)),
        )
    if kind == "iam-policy-version":
        return removal(
            f"Give {entry['policy_arn']} back its default version {entry.get('previous_default')} and delete version {entry['version']}",
            cli("iam", "set-default-policy-version", ("--policy-arn", entry["policy_arn"]), ("--version-id", entry.get("previous_default"))),
            cli("iam", "delete-policy-version", ("--policy-arn", entry["policy_arn"]), ("--version-id", entry["version"])),
        )
    if kind == "iam-policy":
        return removal(
            f"Delete the customer managed policy {entry.get('name', ident)} and its older versions",
            cli("iam", "delete-policy", ("--policy-arn", ident)),
        )
    if kind == "iam-login-profile":
        return removal(
            f"Delete the console password of the IAM user {entry.get('user', ident)}",
            cli("iam", "delete-login-profile", ("--user-name", entry.get("user", ident))),
        )
    if kind == "iam-user":
        return removal(
            f"Delete the IAM user {ident}",
            cli("iam", "delete-user", ("--user-name", ident)),
        )
    if kind == "identity-center-user":
        return removal(
            f"Delete the Identity Center user {entry.get('name', ident)}",
            _store(entry, "delete-user", ("--user-id", ident)),
        )
    if kind == "service-linked-role":
        return removal(
            f"Delete the service-linked role {ident} (AWS refuses while a CloudHSM cluster exists)",
            cli("iam", "delete-service-linked-role", ("--role-name", ident)),
        )
    raise KeyError(kind)  # pragma: no cover - ORDER filters the kinds


def plan_text(plan: TeardownPlan) -> str:
    lines: list[str] = []
    for removal in plan.removals:
        lines.append(f"# {removal.summary}")
        lines.extend(removal.cli)
    if not lines:
        lines.append("Nothing to remove: the saved progress records nothing that hsm-setup created and that is still there.")
    for kept in plan.kept:
        lines.append(f"# Kept: {kept}")
    return "\n".join(lines)


# -- run ---------------------------------------------------------------------------------
def run_teardown(
    aws: AwsSession,
    state: AccountState,
    plan: TeardownPlan,
    *,
    on_removed: Callable[[Removal, str], None] | None = None,
    on_failed: Callable[[Removal, Problem], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> TeardownReport:
    """Run every removal in order; a failure is reported and the rest still tried (each reads first)."""
    report = TeardownReport()
    for removal in plan.removals:
        try:
            message = _REMOVERS[removal.kind](aws, removal.entry, sleep)
        except Exception as exc:
            problem = explain(exc, aws.profile)
            report.failed.append((removal, problem))
            if on_failed:
                on_failed(removal, problem)
            if problem.kind in ("credentials", "expired", "endpoint"):
                break  # every further call would fail the same way
            continue
        state.forget_created(removal.kind, removal.ident)
        for covered in removal.covers:
            state.forget_created(covered["kind"], covered["id"])
        report.removed.append((removal, message))
        if on_removed:
            on_removed(removal, message)
    return report


def _gone(exc: Exception) -> bool:
    return is_code(exc, *NOT_FOUND)


def _unless_gone(remove: Callable[[], Any], result: str) -> str:
    """Run one removal; a thing already gone counts as done, so a re-run finishes the job."""
    try:
        remove()
    except Exception as exc:
        if _gone(exc):
            return "already gone"
        raise
    return result


def _client(aws: AwsSession, service: str, entry: dict[str, Any]) -> Any:
    return aws.client(service, entry.get("region") or None)


def _remove_assignment(aws: AwsSession, entry: dict[str, Any], sleep: Callable[[float], None]) -> str:
    sso = _client(aws, "sso-admin", entry)
    try:
        held = assigned_permission_set_arns(sso, entry["instance_arn"], entry["principal_type"], entry["principal_id"], entry["account_id"])
    except Exception as exc:
        if _gone(exc):
            return "already gone"
        raise
    if entry["permission_set_arn"] not in held:
        return "already gone"
    status = sso.delete_account_assignment(
        InstanceArn=entry["instance_arn"],
        TargetId=entry["account_id"],
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=entry["permission_set_arn"],
        PrincipalType=entry["principal_type"],
        PrincipalId=entry["principal_id"],
    )["AccountAssignmentDeletionStatus"]
    for delay in POLL_DELAYS:
        state = status.get("Status")
        if state == "SUCCEEDED":
            return "removed"
        if state == "FAILED":
            raise HsmSetupError(
                f"AWS could not remove the assignment: {status.get('FailureReason') or 'no reason given'}.",
                "Fix the cause and run teardown again.",
            )
        sleep(delay)
        status = sso.describe_account_assignment_deletion_status(
            InstanceArn=entry["instance_arn"], AccountAssignmentDeletionRequestId=status["RequestId"]
        )["AccountAssignmentDeletionStatus"]
    if status.get("Status") == "SUCCEEDED":
        return "removed"
    raise HsmSetupError(
        f"The assignment is still being removed (request {status.get('RequestId')}).",
        "Run teardown again in a minute: it finishes the job.",
    )


def _remove_membership(aws: AwsSession, entry: dict[str, Any], sleep: Callable[[float], None]) -> str:
    store = _client(aws, "identitystore", entry)
    return _unless_gone(
        lambda: store.delete_group_membership(IdentityStoreId=entry["identity_store_id"], MembershipId=entry["id"]),
        "removed",
    )


def _remove_iam_member(aws: AwsSession, entry: dict[str, Any], sleep: Callable[[float], None]) -> str:
    return _unless_gone(
        lambda: aws.client("iam").remove_user_from_group(GroupName=entry["group"], UserName=entry["user"]),
        "removed",
    )


def _detach_iam_policy(aws: AwsSession, entry: dict[str, Any], sleep: Callable[[float], None]) -> str:
    return _unless_gone(
        lambda: aws.client("iam").detach_group_policy(GroupName=entry["group"], PolicyArn=entry["policy_arn"]),
        "detached",
    )


def _delete_ic_group(aws: AwsSession, entry: dict[str, Any], sleep: Callable[[float], None]) -> str:
    store = _client(aws, "identitystore", entry)
    return _unless_gone(
        lambda: store.delete_group(IdentityStoreId=entry["identity_store_id"], GroupId=entry["id"]),
        "deleted",
    )


def _delete_iam_group(aws: AwsSession, entry: dict[str, Any], sleep: Callable[[float], None]) -> str:
    iam = aws.client("iam")
    name = entry["id"]
    try:
        members = [u["UserName"] for page in iam.get_paginator("get_group").paginate(GroupName=name) for u in page.get("Users", [])]
        attached = [
            p["PolicyArn"]
            for page in iam.get_paginator("list_attached_group_policies").paginate(GroupName=name)
            for p in page.get("AttachedPolicies", [])
        ]
        inline = [n for page in iam.get_paginator("list_group_policies").paginate(GroupName=name) for n in page.get("PolicyNames", [])]
    except Exception as exc:
        if _gone(exc):
            return "already gone"
        raise
    # IAM deletes a group only once it is empty; what is in it goes with the group hsm-setup made.
    for user in members:
        iam.remove_user_from_group(GroupName=name, UserName=user)
    for arn in attached:
        iam.detach_group_policy(GroupName=name, PolicyArn=arn)
    for policy_name in inline:
        iam.delete_group_policy(GroupName=name, PolicyName=policy_name)
    try:
        iam.delete_group(GroupName=name)
    except Exception as exc:
        if _gone(exc):
            return "already gone"
        raise
    return "deleted"


def _detach_ps_policy(aws: AwsSession, entry: dict[str, Any], sleep: Callable[[float], None]) -> str:
    sso = _client(aws, "sso-admin", entry)
    return _unless_gone(
        lambda: sso.detach_managed_policy_from_permission_set(
            InstanceArn=entry["instance_arn"], PermissionSetArn=entry["permission_set_arn"], ManagedPolicyArn=entry["policy_arn"]
        ),
        "detached",
    )


def _delete_ps_inline(aws: AwsSession, entry: dict[str, Any], sleep: Callable[[float], None]) -> str:
    sso = _client(aws, "sso-admin", entry)
    return _unless_gone(
        lambda: sso.delete_inline_policy_from_permission_set(InstanceArn=entry["instance_arn"], PermissionSetArn=entry["permission_set_arn"]),
        "deleted",
    )


def _delete_permission_set(aws: AwsSession, entry: dict[str, Any], sleep: Callable[[float], None]) -> str:
    sso = _client(aws, "sso-admin", entry)
    try:
        sso.describe_permission_set(InstanceArn=entry["instance_arn"], PermissionSetArn=entry["id"])
    except Exception as exc:
        if _gone(exc):
            return "already gone"
        raise
    try:
        sso.delete_permission_set(InstanceArn=entry["instance_arn"], PermissionSetArn=entry["id"])
    except Exception as exc:
        if _gone(exc):
            return "already gone"
        if is_code(exc, "ConflictException"):
            raise HsmSetupError(
                f"The permission set {entry.get('name', entry['id'])} is still assigned somewhere hsm-setup did not assign it.",
                "Remove those assignments in the IAM Identity Center console, or keep the permission set; then run teardown again.",
            ) from None
        raise
    return "deleted"


def _restore_policy_version(aws: AwsSession, entry: dict[str, Any], sleep: Callable[[float], None]) -> str:
    iam = aws.client("iam")
    arn, version, previous = entry["policy_arn"], entry["version"], entry.get("previous_default")
    try:
        default = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        if default == version:
            if not previous:
                raise HsmSetupError(f"No earlier version of {arn} is known to make the default again.", "Leave it, or change it in the IAM console.")
            iam.set_default_policy_version(PolicyArn=arn, VersionId=previous)
        iam.delete_policy_version(PolicyArn=arn, VersionId=version)
    except Exception as exc:
        if _gone(exc):
            return "already gone"
        raise
    return f"default version {previous} again; {version} deleted"


def _delete_iam_policy(aws: AwsSession, entry: dict[str, Any], sleep: Callable[[float], None]) -> str:
    iam = aws.client("iam")
    arn = entry["id"]
    try:
        tags = {t["Key"]: t["Value"] for t in iam.list_policy_tags(PolicyArn=arn).get("Tags", [])}
        # The ARN is made from the name: a policy of that name made later by someone else is not ours.
        if tags.get(MANAGED_BY_TAG["Key"]) != MANAGED_BY_TAG["Value"]:
            raise HsmSetupError(
                f"{arn} no longer carries the tag {MANAGED_BY_TAG['Key']}={MANAGED_BY_TAG['Value']}: it may not be the policy hsm-setup made.",
                "Delete it yourself if it should go; teardown leaves it.",
            )
        entities = iam.list_entities_for_policy(PolicyArn=arn)
        users = [u["UserName"] for u in entities.get("PolicyUsers", [])]
        groups = [g["GroupName"] for g in entities.get("PolicyGroups", [])]
        roles = [r["RoleName"] for r in entities.get("PolicyRoles", [])]
        if users or groups or roles:
            names = ", ".join([*(f"group {g}" for g in groups), *(f"user {u}" for u in users), *(f"role {r}" for r in roles)])
            raise HsmSetupError(
                f"{arn} is still attached to {names}, which hsm-setup did not attach.",
                "Detach it there (or keep the policy), then run teardown again.",
            )
        for page in iam.get_paginator("list_policy_versions").paginate(PolicyArn=arn):
            for version in page.get("Versions", []):
                if not version.get("IsDefaultVersion"):
                    iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
        iam.delete_policy(PolicyArn=arn)
    except Exception as exc:
        if _gone(exc):
            return "already gone"
        raise
    return "deleted"


def _delete_user(aws: AwsSession, entry: dict[str, Any], sleep: Callable[[float], None]) -> str:
    store = _client(aws, "identitystore", entry)
    return _unless_gone(
        lambda: store.delete_user(IdentityStoreId=entry["identity_store_id"], UserId=entry["id"]),
        "deleted",
    )


def _delete_login_profile(aws: AwsSession, entry: dict[str, Any], sleep: Callable[[float], None]) -> str:
    return _unless_gone(
        lambda: aws.client("iam").delete_login_profile(UserName=entry.get("user") or entry["id"]),
        "deleted",
    )


def _delete_iam_user(aws: AwsSession, entry: dict[str, Any], sleep: Callable[[float], None]) -> str:
    try:
        aws.client("iam").delete_user(UserName=entry["id"])
    except Exception as exc:
        if _gone(exc):
            return "already gone"
        if is_code(exc, "DeleteConflict"):
            # Access keys, MFA devices or policies added after hsm-setup made the user are not
            # hsm-setup's to remove: say so rather than strip the user bare.
            raise HsmSetupError(
                f"The IAM user {entry['id']} has things hsm-setup did not give it (access keys, MFA devices, policies or groups).",
                "Remove them in the IAM console if the user should go, then run teardown again; or keep the user.",
            ) from None
        raise
    return "deleted"


def _delete_service_linked_role(aws: AwsSession, entry: dict[str, Any], sleep: Callable[[float], None]) -> str:
    iam = aws.client("iam")
    try:
        task = iam.delete_service_linked_role(RoleName=entry["id"])["DeletionTaskId"]
    except Exception as exc:
        if _gone(exc):
            return "already gone"
        raise
    for delay in POLL_DELAYS:
        status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
        if status.get("Status") == "SUCCEEDED":
            return "deleted"
        if status.get("Status") == "FAILED":
            reason = (status.get("Reason") or {}).get("Reason") or "AWS gave no reason (a CloudHSM cluster may still use it)"
            raise HsmSetupError(f"AWS did not delete {entry['id']}: {reason}.", "Delete the clusters that use it first, or keep the role.")
        sleep(delay)
    raise HsmSetupError(f"AWS is still deleting {entry['id']} (task {task}).", "Run teardown again in a minute: it finishes the job.")


_REMOVERS: dict[str, Callable[[AwsSession, dict[str, Any], Callable[[float], None]], str]] = {
    "account-assignment": _remove_assignment,
    "group-membership": _remove_membership,
    "iam-group-member": _remove_iam_member,
    "iam-group-policy": _detach_iam_policy,
    "identity-center-group": _delete_ic_group,
    "iam-group": _delete_iam_group,
    "permission-set-managed-policy": _detach_ps_policy,
    "permission-set-inline-policy": _delete_ps_inline,
    "permission-set": _delete_permission_set,
    "iam-policy-version": _restore_policy_version,
    "iam-policy": _delete_iam_policy,
    "iam-login-profile": _delete_login_profile,
    "iam-user": _delete_iam_user,
    "identity-center-user": _delete_user,
    "service-linked-role": _delete_service_linked_role,
}
