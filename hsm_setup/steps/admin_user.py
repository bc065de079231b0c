"""Step 3: an administrative user in IAM Identity Center (or, in IAM mode, an IAM user: see admin_user_iam).

The guide's pattern: an administrators group holding AdministratorAccess, with the
administrators as its members. Done when the user exists, the group admin.group exists
with every admin.members user in it, a permission set of the chosen name carries the
AWS managed policy AdministratorAccess, and it is assigned to the GROUP on this account
(AWS advises assigning permission sets to groups rather than to users:
https://docs.aws.amazon.com/singlesignon/latest/userguide/permissionsetsconcept.html).
A permission set already assigned straight to the user (an earlier setup) is recognised
and kept: it is neither duplicated nor removed.

The check costs the same few calls whatever the size of the identity store, and a
finished setup no more than one with a direct assignment did: the ids saved when the
group and users were found are proved by GetGroupMembershipId (which fails for a
user or group that is gone), and only what does not prove out is looked up by name.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import msgspec

from hsm_setup.answers.fields import is_iam_mode
from hsm_setup.answers.values import Answers
from hsm_setup.errors import HsmSetupError, is_code
from hsm_setup.identity_center import changes
from hsm_setup.identity_center.findings import request_finding, waiting_for_identity_center
from hsm_setup.identity_center.groups import ensure_group
from hsm_setup.identity_center.instance import IdentityCenter, console_url
from hsm_setup.identity_center.reads import (
    AccessLookup,
    AssignmentRequest,
    PermissionSetInfo,
    assigned_permission_set_arns,
    find_group_id,
    find_user_id,
    look_up_access,
    membership_id,
    provisioned_accounts,
    read_permission_sets,
)
from hsm_setup.identity_center.writes import (
    attach_managed_policy,
    create_or_adopt_permission_set,
)
from hsm_setup.json_types import JsonObject
from hsm_setup.model import Status, StepFacts, StepResult, Verdict
from hsm_setup.resources.identity_store import IdentityCenterGroup, IdentityCenterUser
from hsm_setup.resources.permission_sets import PermissionSet
from hsm_setup.steps import admin_user_iam
from hsm_setup.steps.actions import Action
from hsm_setup.steps.admin_user_iam import IamAdminFacts
from hsm_setup.steps.base import Step
from hsm_setup.steps.context import StepContext
from hsm_setup.steps.grants import IDENTITY_CENTER_PROVISIONING, identity_store, sso
from hsm_setup.steps.group_assignment import add_member, assign_to_group, provision_again
from hsm_setup.steps.identity_center import identity_center_of
from hsm_setup.steps.policies import ADMINISTRATOR_ACCESS_ARN

SAVED_USER = "admin_user_id"
SAVED_PERMISSION_SET = "admin_permission_set_arn"
SAVED_REQUEST = "admin_assignment_request_id"
# The administrators group's id, saved with the display name it was found by.
SAVED_GROUP = "admin_group_id"
SAVED_GROUP_NAME = "admin_group_name"
# A member's user id, saved under its user name.
SAVED_MEMBER = "admin_member_id:"
DESCRIPTION = "Full administrative access (AWS managed policy AdministratorAccess), created by hsm-setup"
GROUP_DESCRIPTION = "Administrators: hold the AdministratorAccess permission set on this account (hsm-setup)"


class AdminMember(msgspec.Struct, frozen=True):
    """One name of admin.members: its Identity Center user, and whether it is in the administrators group."""

    name: str
    user_id: str | None
    member: bool


class AdminUserFacts(StepFacts, frozen=True):
    """What the admin-user step found in Identity Center: the user, the permission set, the assignment."""

    identity_center: IdentityCenter
    account_id: str
    user_name: str
    permission_set_name: str
    user_id: str | None
    permission_set: PermissionSetInfo | None
    assigned: bool
    # The last assignment request hsm-setup made, while it is not SUCCEEDED.
    request: AssignmentRequest | None
    # Permission sets the group holds on this account (ARNs), for the evidence.
    held: tuple[str, ...]
    # The administrators group (admin.group) and the admin.members users.
    group_name: str = ""
    group_id: str | None = None
    members: tuple[AdminMember, ...] = ()
    # The permission set is assigned straight to the administrator user (an earlier setup): kept as it is.
    direct_assignment: bool = False
    # Read only when apply will change the permission set: the accounts it is provisioned to, which the change reaches.
    # None: the caller may not read it (apply provisions again anyway, and its pre-flight names the permission).
    provisioned_to: tuple[str, ...] | None = ()
    # The permission set existed before hsm-setup (no note says hsm-setup made it): changing it is an adoption.
    adopted: bool = False

    @property
    def members_to_add(self) -> tuple[AdminMember, ...]:
        return tuple(m for m in self.members if not m.member and (m.user_id or m.name == self.user_name))

    @property
    def missing_members(self) -> tuple[str, ...]:
        """admin.members names with no Identity Center user (the administrator is created by the step)."""
        return tuple(m.name for m in self.members if not m.user_id and m.name != self.user_name)

    @property
    def permission_set_arn(self) -> str | None:
        return self.permission_set.arn if self.permission_set else None

    @property
    def policy_attached(self) -> bool:
        return self.permission_set is not None and ADMINISTRATOR_ACCESS_ARN in (
            self.permission_set.managed_policies or ()
        )


class _Work(msgspec.Struct):
    """What the plan's actions learn and hand on to the next one while apply runs."""

    ic: IdentityCenter
    user_name: str
    user_id: str | None
    permission_set_arn: str | None
    group_name: str = ""
    group_id: str | None = None

    def resolve_user(self, ctx: StepContext) -> str:
        if not self.user_id:
            self.user_id = find_user_id(self.ic.store(ctx), self.ic.identity_store_id, self.user_name)
        if not self.user_id:
            raise HsmSetupError(
                f"The Identity Center user {self.user_name} does not exist.",
                "Run apply again: it creates the user before assigning it.",
            )
        return self.user_id

    def resolve_member(self, ctx: StepContext, user_name: str) -> str:
        if user_name == self.user_name:
            return self.resolve_user(ctx)
        user_id = find_user_id(self.ic.store(ctx), self.ic.identity_store_id, user_name)
        if not user_id:
            raise HsmSetupError(
                f"The Identity Center user {user_name} (in admin.members) does not exist.",
                "Create it in IAM Identity Center > Users, or remove it from admin.members.",
            )
        return user_id

    def resolve_group(self, ctx: StepContext) -> str:
        if not self.group_id:
            self.group_id = find_group_id(self.ic.store(ctx), self.ic.identity_store_id, self.group_name)
        if not self.group_id:
            raise HsmSetupError(
                f"The Identity Center group {self.group_name} does not exist.",
                "Run apply again: it creates the group first.",
            )
        return self.group_id

    def resolve_permission_set(self, ctx: StepContext) -> str:
        arn = self.permission_set_arn or ctx.saved(SAVED_PERMISSION_SET)
        if not arn:
            raise HsmSetupError(
                "The administrator permission set has not been created yet.", "Run apply again: it creates it first."
            )
        self.permission_set_arn = arn
        return arn


class AdminUserStep(Step):
    id = "admin-user"
    title = "Administrative user"
    depends_on = ("identity-center",)
    guidance = "admin-user.md"
    why = "Day-to-day administration happens as a named Identity Center user, never as the root user."
    check_permissions = (
        identity_store("identitystore:GetUserId", "identitystore:GetGroupId", "identitystore:GetGroupMembershipId")
        + sso(
            "sso:ListAccountAssignmentsForPrincipal",
            "sso:DescribePermissionSet",
            "sso:ListManagedPoliciesInPermissionSet",
            "sso:DescribeAccountAssignmentCreationStatus",
            # Only while the step is not done: a permission set of the chosen name made elsewhere, and where it is provisioned.
            "sso:ListPermissionSets",
            "sso:ListAccountsForProvisionedPermissionSet",
        )
        + admin_user_iam.CHECK_PERMISSIONS
    )
    apply_permissions = (
        identity_store(
            "identitystore:GetUserId",
            "identitystore:CreateUser",
            "identitystore:GetGroupId",
            "identitystore:CreateGroup",
            "identitystore:GetGroupMembershipId",
            "identitystore:CreateGroupMembership",
        )
        + sso(
            "sso:DescribePermissionSet",
            "sso:CreatePermissionSet",
            "sso:ListPermissionSets",
            "sso:ListManagedPoliciesInPermissionSet",
            "sso:AttachManagedPolicyToPermissionSet",
            "sso:ListAccountsForProvisionedPermissionSet",
            "sso:ProvisionPermissionSet",
            "sso:DescribePermissionSetProvisioningStatus",
            "sso:ListAccountAssignmentsForPrincipal",
            "sso:CreateAccountAssignment",
            "sso:DescribeAccountAssignmentCreationStatus",
        )
        + IDENTITY_CENTER_PROVISIONING
        + admin_user_iam.APPLY_PERMISSIONS
    )

    def check(self, ctx: StepContext) -> StepResult[StepFacts]:
        if is_iam_mode(ctx.answers):
            return admin_user_iam.check(self, ctx)
        ic = identity_center_of(ctx)
        if ic is None:
            return waiting_for_identity_center(self.id)
        facts = read(ctx, ic)
        return self.judged(facts, judge(facts, ctx.answers))

    # -- plan -------------------------------------------------------------------------
    def plan(self, ctx: StepContext, result: StepResult[StepFacts]) -> list[Action]:
        iam_facts = result.facts_as(IamAdminFacts)
        if iam_facts is not None:
            return admin_user_iam.plan(self, ctx, iam_facts)
        facts = result.facts_as(AdminUserFacts)
        if facts is None:
            return []
        ic = facts.identity_center
        answers = ctx.answers
        user_name = facts.user_name
        ps_name = facts.permission_set_name
        work = _Work(ic, user_name, facts.user_id, facts.permission_set_arn, facts.group_name, facts.group_id)
        actions: list[Action] = []

        if not work.user_id:
            given, family, email = answers["admin.given_name"], answers["admin.family_name"], answers["admin.email"]
            actions.append(
                self.api(
                    "create-user",
                    f"Create the Identity Center user {user_name}",
                    changes.create_user(ic, user_name, given, family, email),
                    lambda c: _create_user(c, work, given, family, email),
                    permissions=("identitystore:GetUserId", "identitystore:CreateUser"),
                )
            )
        actions.extend(self._group_actions(facts, work))
        existed = work.permission_set_arn is not None
        if not existed:
            duration = answers["admin.session_duration"]
            actions.append(
                self.api(
                    "create-permission-set",
                    f"Create the permission set {ps_name}",
                    changes.create_permission_set(ic, ps_name, DESCRIPTION, duration),
                    lambda c: _create_permission_set(c, work, ps_name, duration),
                    permissions=("sso:DescribePermissionSet", "sso:CreatePermissionSet", "sso:ListPermissionSets"),
                )
            )
        if not facts.policy_attached:
            attach = self.api(
                "attach-policy",
                f"Attach the AWS managed policy AdministratorAccess to {ps_name}",
                changes.attach_managed_policy(ic, ps_name, work.permission_set_arn, ADMINISTRATOR_ACCESS_ARN),
                lambda c: {
                    "attached": attach_managed_policy(c, ic, work.resolve_permission_set(c), ADMINISTRATOR_ACCESS_ARN)
                },
                permissions=("sso:ListManagedPoliciesInPermissionSet", "sso:AttachManagedPolicyToPermissionSet"),
            )
            if facts.adopted and facts.permission_set is not None:
                reaches = (
                    f"; it is provisioned to account(s) {', '.join(facts.provisioned_to)}, which get the policy when "
                    "it is provisioned again"
                    if facts.provisioned_to
                    else ""
                )
                attach.adopting(
                    f"the permission set {ps_name} ({facts.permission_set.arn}) was not made by hsm-setup; "
                    f"AdministratorAccess is attached to it, and teardown detaches it{reaches}"
                )
            actions.append(attach)
            if facts.provisioned_to is None or facts.provisioned_to:
                actions.append(provision_again(self, ps_name, facts.provisioned_to, work))
        if not facts.assigned or facts.request is not None:
            actions.append(assign_to_group(self, ctx.account_id, ps_name, work, SAVED_REQUEST))
        return actions

    def _group_actions(self, facts: AdminUserFacts, work: _Work) -> list[Action]:
        """Create the administrators group, add the members, and say which members do not exist."""
        ic, group_name = facts.identity_center, facts.group_name
        actions: list[Action] = []
        if not facts.group_id:
            actions.append(
                self.api(
                    "create-group",
                    f"Create the Identity Center group {group_name}",
                    changes.create_group(ic, group_name, GROUP_DESCRIPTION),
                    partial(_create_group, work=work),
                    permissions=("identitystore:GetGroupId", "identitystore:CreateGroup"),
                )
            )
        for member in facts.members_to_add:
            actions.append(
                self.api(
                    f"add-member:{member.name}",
                    f"Add {member.name} to the group {group_name}",
                    changes.add_member(ic, group_name, work.group_id, member.name, member.user_id),
                    partial(add_member, work=work, user_name=member.name),
                    permissions=(
                        "identitystore:GetGroupId",
                        "identitystore:GetUserId",
                        "identitystore:GetGroupMembershipId",
                        "identitystore:CreateGroupMembership",
                    ),
                )
            )
        for name in facts.missing_members:
            actions.append(
                self.manual(
                    f"missing-member:{name}",
                    f"Create the Identity Center user {name}, or remove it from admin.members",
                    console_url(ic.region, "users"),
                    [
                        f"{name} is listed in admin.members but does not exist in IAM Identity Center.",
                        "Either add the user in IAM Identity Center > Users > Add user,",
                        "or remove the name from admin.members and run hsm-setup again.",
                    ],
                )
            )
        return actions


# -- read ----------------------------------------------------------------------------------
def read(ctx: StepContext, ic: IdentityCenter) -> AdminUserFacts:
    """The group, the members and the permission set through the group's assignments (or the saved ARN).

    The saved ids go first; when one does not prove out, everything is looked up again by name.
    """
    facts, settled = _read(ctx, ic, use_saved=True)
    if not settled:
        facts, _ = _read(ctx, ic, use_saved=False)
    if facts.group_id:
        ctx.remember(**{SAVED_GROUP: facts.group_id, SAVED_GROUP_NAME: facts.group_name})
    if facts.user_id:
        ctx.remember(**{SAVED_USER: facts.user_id})
    ctx.remember(**{SAVED_MEMBER + m.name: m.user_id for m in facts.members if m.user_id})
    return facts


def _read(ctx: StepContext, ic: IdentityCenter, *, use_saved: bool) -> tuple[AdminUserFacts, bool]:
    """One read; settled is False when a saved id was used and something did not prove out."""
    answers = ctx.answers
    user_name = str(answers["admin.user_name"])
    ps_name = str(answers["admin.permission_set"])
    group_name = str(answers["admin.group"])
    names = list(dict.fromkeys(str(name) for name in answers["admin.members"]))
    store, store_id = ic.store(ctx), ic.identity_store_id
    saved_group = ctx.saved(SAVED_GROUP) if use_saved and ctx.saved(SAVED_GROUP_NAME) == group_name else None
    # The administrator's id is wanted even when it is not in admin.members.
    wanted = list(dict.fromkeys([user_name, *names]))
    saved_users = {name: ctx.saved(SAVED_MEMBER + name) if use_saved else None for name in wanted}
    used_saved = bool(saved_group) or any(saved_users.values())

    def group_lookup() -> str | None:
        return saved_group or find_group_id(store, store_id, group_name)

    def user_lookup(name: str) -> Callable[[], str | None]:
        saved = saved_users[name]
        return (lambda: saved) if saved else partial(find_user_id, store, store_id, name)

    def membership_lookups(group_id: str | None, user_ids: list[str | None]) -> list[Callable[[], str | None]]:
        ids = dict(zip(wanted, user_ids, strict=True))
        return [_membership_lookup(store, store_id, group_id, ids[name]) for name in names]

    lookup, user_ids, memberships = look_up_access(
        ctx,
        ic,
        permission_set_name=ps_name,
        saved_arn_key=SAVED_PERMISSION_SET,
        request_key=SAVED_REQUEST,
        principal_type="GROUP",
        find_principal=group_lookup,
        managed=True,
        extra=[user_lookup(name) for name in wanted],
        then=membership_lookups,
    )
    ids = dict(zip(wanted, user_ids, strict=True))
    members = tuple(
        AdminMember(name, ids[name], bool(found))
        for name, found in zip(names, memberships or [None] * len(names), strict=True)
    )
    if used_saved and (not lookup.assigned or not all(m.member for m in members)):
        # A saved id that no longer proves out (the group or a user deleted, or recreated): look again by name.
        return _facts(
            ctx,
            ic,
            lookup,
            user_name=user_name,
            ps_name=ps_name,
            group_name=group_name,
            ids=ids,
            members=members,
            direct=False,
        ), False
    direct, permission_set = _direct_assignment(ctx, ic, lookup, ids[user_name], ps_name)
    return _facts(
        ctx,
        ic,
        lookup,
        user_name=user_name,
        ps_name=ps_name,
        group_name=group_name,
        ids=ids,
        members=members,
        direct=direct,
        permission_set=permission_set,
    ), True


def _none() -> str | None:
    return None


def _membership_lookup(
    store: Any, store_id: str, group_id: str | None, user_id: str | None
) -> Callable[[], str | None]:
    """GetGroupMembershipId, or nothing to ask when the group or the user is not known."""
    if group_id and user_id:
        return partial(membership_id, store, store_id, group_id, user_id)
    return _none


def _direct_assignment(
    ctx: StepContext, ic: IdentityCenter, lookup: AccessLookup, user_id: str | None, ps_name: str
) -> tuple[bool, PermissionSetInfo | None]:
    """Whether the permission set is assigned straight to the administrator (looked at only when the group
    does not hold it, so a finished setup costs no call), and the permission set found through it."""
    if lookup.assigned or not user_id:
        return False, lookup.permission_set
    sso = ic.sso(ctx)
    held = assigned_permission_set_arns(sso, ic.instance_arn, "USER", user_id, ctx.account_id)
    if lookup.permission_set is not None:
        return lookup.permission_set.arn in held, lookup.permission_set
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="hsm-read") as pool:
        infos = read_permission_sets(pool, sso, ic.instance_arn, held, managed=True)()
    found = next((info for info in infos.values() if info is not None and info.name == ps_name), None)
    if found is not None:
        ctx.remember(**{SAVED_PERMISSION_SET: found.arn})
    return found is not None, found


def _facts(
    ctx: StepContext,
    ic: IdentityCenter,
    lookup: AccessLookup,
    *,
    user_name: str,
    ps_name: str,
    group_name: str,
    ids: dict[str, str | None],
    members: tuple[AdminMember, ...],
    direct: bool,
    permission_set: PermissionSetInfo | None = None,
) -> AdminUserFacts:
    found = permission_set or lookup.permission_set
    user_id = ids.get(user_name)
    # Found now, but a killed run was creating it: it is hsm-setup's (the plan no longer creates it, so note it here).
    if user_id and ctx.interrupted("admin-user:create-user"):
        ctx.record_created(
            IdentityCenterUser(
                user_id=user_id, name=user_name, identity_store_id=ic.identity_store_id, region=ic.region
            )
        )
    if lookup.principal_id and ctx.interrupted("admin-user:create-group"):
        ctx.record_created(
            IdentityCenterGroup(
                group_id=lookup.principal_id, name=group_name, identity_store_id=ic.identity_store_id, region=ic.region
            )
        )
    if found is not None and ctx.interrupted("admin-user:create-permission-set"):
        ctx.record_created(PermissionSet(arn=found.arn, name=ps_name, instance_arn=ic.instance_arn, region=ic.region))
    changes = found is not None and ADMINISTRATOR_ACCESS_ARN not in (found.managed_policies or ())
    provisioned_to = provisioned_accounts(ic.sso(ctx), ic.instance_arn, found.arn) if found and changes else ()
    return AdminUserFacts(
        identity_center=ic,
        account_id=ctx.account_id,
        user_name=user_name,
        permission_set_name=ps_name,
        user_id=user_id,
        permission_set=found,
        assigned=lookup.assigned,
        request=lookup.request,
        held=lookup.held,
        group_name=group_name,
        group_id=lookup.principal_id,
        members=members,
        direct_assignment=direct,
        provisioned_to=provisioned_to,
        adopted=found is not None and not ctx.created_here(PermissionSet.kind, found.arn),
    )


# -- judgement ----------------------------------------------------------------------------
def judge(facts: AdminUserFacts, answers: Answers) -> Verdict:
    ic, user_name, ps_name, account_id = (
        facts.identity_center,
        facts.user_name,
        facts.permission_set_name,
        facts.account_id,
    )
    permission_set = facts.permission_set
    done = bool(
        facts.user_id
        and facts.group_id
        and not facts.members_to_add
        and not facts.missing_members
        and permission_set
        and facts.policy_attached
        and facts.assigned
        and not facts.request
    )
    verdict = Verdict(Status.DONE if done else Status.INCOMPLETE)
    if facts.user_id:
        verdict.add(True, f"The Identity Center user {user_name} exists.", evidence=f"UserId = {facts.user_id}")
    else:
        verdict.add(
            False,
            f"The Identity Center user {user_name} does not exist yet.",
            evidence=f"identitystore get-user-id userName={user_name}: ResourceNotFoundException",
        )
    _judge_group(facts, verdict)
    if permission_set is None:
        verdict.add(
            False,
            f"No permission set named {ps_name} is assigned to the group {facts.group_name} on this account; "
            "apply creates it (or adopts an existing one of that name).",
            evidence=f"{len(facts.held)} permission set(s) assigned to the group on {account_id}",
        )
    else:
        verdict.add(True, f"The permission set {ps_name} exists.", evidence=permission_set.arn)
        attached = ", ".join(sorted(permission_set.managed_policies or ())) or "none"
        if facts.policy_attached:
            verdict.add(
                True, "It carries the AWS managed policy AdministratorAccess.", evidence=f"managed policies: {attached}"
            )
        else:
            verdict.add(
                False,
                "It does not carry the AWS managed policy AdministratorAccess.",
                evidence=f"managed policies: {attached}",
            )
        wanted = answers["admin.session_duration"]
        if permission_set.session_duration and permission_set.session_duration != wanted:
            verdict.add(
                False,
                f"Its session duration is {permission_set.session_duration}, not the chosen {wanted}; "
                "hsm-setup leaves an existing permission set's duration as it is (change it in the console if you want).",
                evidence=f"SessionDuration = {permission_set.session_duration}",
                level="warning",
            )
        if facts.assigned:
            verdict.add(
                True,
                f"It is assigned to the group {facts.group_name} on account {account_id}.",
                evidence="ListAccountAssignmentsForPrincipal",
            )
        elif facts.group_id:
            verdict.add(
                False,
                f"It is not assigned to the group {facts.group_name} on account {account_id} yet.",
                evidence="ListAccountAssignmentsForPrincipal",
            )
        if facts.direct_assignment:
            verdict.add(
                True,
                f"It is also assigned straight to {user_name} (an earlier setup); hsm-setup keeps that assignment "
                "and adds none of its own to the user. AWS advises granting access through groups: remove the "
                "direct assignment in the console once the group holds the permission set, if you wish.",
                evidence="ListAccountAssignmentsForPrincipal (USER)",
            )
    if facts.request:
        message, evidence = request_finding(facts.request)
        verdict.add(False, message, evidence=evidence)
    verdict.add(
        False,
        f"A user created through the API gets no password and no e-mail. To let {user_name} sign in, an administrator "
        'either turns on "Send email OTP" (IAM Identity Center > Settings > Authentication) or generates a one-time '
        f"password (IAM Identity Center > Users > {user_name} > Reset password) in the console: {console_url(ic.region)}. "
        f"The user then signs in at {ic.portal_url}",
        evidence=f"access portal {ic.portal_url}",
        level="warning",
    )
    return verdict


def _judge_group(facts: AdminUserFacts, verdict: Verdict) -> None:
    group = facts.group_name
    if facts.group_id:
        verdict.add(True, f"The Identity Center group {group} exists.", evidence=f"GroupId = {facts.group_id}")
    else:
        verdict.add(
            False,
            f"The Identity Center group {group} does not exist yet.",
            evidence=f"identitystore get-group-id displayName={group}: ResourceNotFoundException",
        )
    for member in facts.members:
        if member.member:
            verdict.add(True, f"{member.name} is a member of {group}.", evidence=f"UserId = {member.user_id}")
        elif member.name in facts.missing_members:
            verdict.add(
                False,
                f"{member.name} (in admin.members) does not exist in IAM Identity Center: create the user, "
                "or remove the name from admin.members.",
                evidence=f"identitystore get-user-id userName={member.name}: ResourceNotFoundException",
            )
        else:
            verdict.add(False, f"{member.name} is not a member of {group} yet.", evidence=f"UserId = {member.user_id}")


# -- writes ------------------------------------------------------------------------------
def _create_user(ctx: StepContext, work: _Work, given: str, family: str, email: str) -> JsonObject:
    store = work.ic.store(ctx)
    # Re-read first: an interrupted run may have created the user already.
    user_id = find_user_id(store, work.ic.identity_store_id, work.user_name)
    if user_id is not None:
        ctx.record_if_resuming(
            IdentityCenterUser(
                user_id=user_id, name=work.user_name, identity_store_id=work.ic.identity_store_id, region=work.ic.region
            )
        )
    else:
        try:
            user_id = str(
                store.create_user(
                    IdentityStoreId=work.ic.identity_store_id,
                    UserName=work.user_name,
                    Name={"GivenName": given, "FamilyName": family},
                    DisplayName=f"{given} {family}",
                    Emails=[{"Value": email, "Type": "work", "Primary": True}],
                )["UserId"]
            )
            ctx.record_created(
                IdentityCenterUser(
                    user_id=user_id,
                    name=work.user_name,
                    identity_store_id=work.ic.identity_store_id,
                    region=work.ic.region,
                )
            )
        except Exception as exc:
            if not is_code(exc, "ConflictException"):
                raise
            user_id = find_user_id(store, work.ic.identity_store_id, work.user_name)
            if user_id is None:
                raise
    work.user_id = user_id
    ctx.remember(**{SAVED_USER: user_id})
    return {"user_id": user_id}


def _create_permission_set(ctx: StepContext, work: _Work, name: str, duration: str) -> JsonObject:
    work.permission_set_arn = create_or_adopt_permission_set(
        ctx,
        work.ic,
        name=name,
        description=DESCRIPTION,
        session_duration=duration,
        known_arn=work.permission_set_arn,
        saved_arn_key=SAVED_PERMISSION_SET,
    )
    return {"permission_set_arn": work.permission_set_arn}


def _create_group(ctx: StepContext, work: _Work) -> JsonObject:
    work.group_id = ensure_group(ctx, work.ic, work.group_name, GROUP_DESCRIPTION)
    ctx.remember(**{SAVED_GROUP: work.group_id, SAVED_GROUP_NAME: work.group_name})
    return {"group_id": work.group_id}


STEP = AdminUserStep()
