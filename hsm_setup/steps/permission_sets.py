"""Step 4: a least-privilege permission set, an Identity Center group, and the group's access.

Done when the permission set carries exactly the chosen CloudHSM policy (cloudhsm.policy) as
its inline policy (compared parsed, not as text), the group exists with every
chosen member in it, and the group holds the permission set on this account.

People get access through the group, not one by one, so adding a CloudHSM
administrator later is a group membership, not a new assignment.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import msgspec

from hsm_setup.answers.fields import is_iam_mode
from hsm_setup.answers.values import Answers
from hsm_setup.errors import HsmSetupError
from hsm_setup.identity_center import changes
from hsm_setup.identity_center.findings import request_finding, waiting_for_identity_center
from hsm_setup.identity_center.groups import ensure_group
from hsm_setup.identity_center.instance import IdentityCenter, console_url
from hsm_setup.identity_center.reads import (
    AssignmentRequest,
    PermissionSetInfo,
    find_group_id,
    find_user_id,
    look_up_access,
    membership_id,
    provisioned_accounts,
)
from hsm_setup.identity_center.writes import (
    create_or_adopt_permission_set,
    put_inline_policy,
)
from hsm_setup.json_types import JsonObject
from hsm_setup.model import Status, StepFacts, StepResult, Verdict
from hsm_setup.resources.identity_store import IdentityCenterGroup
from hsm_setup.resources.permission_sets import PermissionSet
from hsm_setup.steps import policies
from hsm_setup.steps.actions import Action
from hsm_setup.steps.base import Step
from hsm_setup.steps.context import StepContext
from hsm_setup.steps.grants import IDENTITY_CENTER_PROVISIONING, identity_store, sso
from hsm_setup.steps.group_assignment import add_member, assign_to_group, provision_again
from hsm_setup.steps.iam_mode import skipped_in_iam_mode
from hsm_setup.steps.identity_center import identity_center_of

SAVED_GROUP = "cloudhsm_group_id"
SAVED_PERMISSION_SET = "cloudhsm_permission_set_arn"
SAVED_REQUEST = "cloudhsm_assignment_request_id"
PERMISSION_SET_DESCRIPTION = "CloudHSM administrators: only what AWS CloudHSM needs, created by hsm-setup"
GROUP_DESCRIPTION = "CloudHSM administrators, managed by hsm-setup"


class Member(msgspec.Struct, frozen=True):
    """One name of cloudhsm.members: its Identity Center user, and whether it is in the group."""

    name: str
    user_id: str | None
    member: bool


class PermissionSetsFacts(StepFacts, frozen=True):
    identity_center: IdentityCenter
    account_id: str
    permission_set_name: str
    group_name: str
    group_id: str | None
    members: tuple[Member, ...]
    # Read with its managed policies and its inline policy.
    permission_set: PermissionSetInfo | None
    assigned: bool
    request: AssignmentRequest | None
    held: tuple[str, ...]
    # cloudhsm.policy: which of the guide's example policies the permission set carries.
    policy: str = policies.DEFAULT_POLICY
    # Read only when apply will change the permission set: the accounts it is provisioned to, which the change reaches.
    # None: the caller may not read it (apply provisions again anyway, and its pre-flight names the permission).
    provisioned_to: tuple[str, ...] | None = ()
    # The permission set existed before hsm-setup (no note says hsm-setup made it): changing it is an adoption.
    adopted: bool = False

    @property
    def permission_set_arn(self) -> str | None:
        return self.permission_set.arn if self.permission_set else None

    @property
    def drift(self) -> list[str]:
        """How the inline policy differs from the chosen CloudHSM policy (what the actions allow, not the text)."""
        if self.permission_set is None:
            return []
        return policies.differences(self.permission_set.inline_policy, policies.expected(self.policy))

    @property
    def policy_ok(self) -> bool:
        return self.permission_set is not None and bool(self.permission_set.inline_policy) and not self.drift


class _Work(msgspec.Struct):
    """What the plan's actions learn and hand on to the next one while apply runs."""

    ic: IdentityCenter
    group_name: str
    group_id: str | None
    permission_set_arn: str | None
    user_ids: dict[str, str] = msgspec.field(default_factory=dict)

    def resolve_group(self, ctx: StepContext) -> str:
        if not self.group_id:
            self.group_id = find_group_id(self.ic.store(ctx), self.ic.identity_store_id, self.group_name)
        if not self.group_id:
            raise HsmSetupError(
                f"The Identity Center group {self.group_name} does not exist.",
                "Run apply again: it creates the group first.",
            )
        return self.group_id

    def resolve_member(self, ctx: StepContext, user_name: str) -> str:
        # Looked up when the action runs: the administrator may have been created by admin-user moments ago.
        user_id = self.user_ids.get(user_name) or find_user_id(self.ic.store(ctx), self.ic.identity_store_id, user_name)
        if not user_id:
            raise HsmSetupError(
                f"The Identity Center user {user_name} does not exist, so it cannot join {self.group_name}.",
                "Create the user first (the admin-user step creates the administrator) or remove it from cloudhsm.members.",
            )
        self.user_ids[user_name] = user_id
        return user_id

    def resolve_permission_set(self, ctx: StepContext) -> str:
        arn = self.permission_set_arn or ctx.saved(SAVED_PERMISSION_SET)
        if not arn:
            raise HsmSetupError(
                "The CloudHSM permission set has not been created yet.", "Run apply again: it creates it first."
            )
        self.permission_set_arn = arn
        return arn


class PermissionSetsStep(Step):
    id = "permission-sets"
    title = "Least-privilege permission sets and groups"
    depends_on = ("identity-center",)
    guidance = "permission-sets.md"
    why = "CloudHSM administrators get only what CloudHSM needs, through a group rather than one by one."
    check_permissions = identity_store(
        "identitystore:GetGroupId",
        "identitystore:GetUserId",
        "identitystore:GetGroupMembershipId",
    ) + sso(
        "sso:ListAccountAssignmentsForPrincipal",
        "sso:DescribePermissionSet",
        "sso:GetInlinePolicyForPermissionSet",
        "sso:ListManagedPoliciesInPermissionSet",
        "sso:DescribeAccountAssignmentCreationStatus",
        # Only while the step is not done: a permission set of the chosen name made elsewhere, and where it is provisioned.
        "sso:ListPermissionSets",
        "sso:ListAccountsForProvisionedPermissionSet",
    )
    apply_permissions = (
        identity_store(
            "identitystore:GetGroupId",
            "identitystore:CreateGroup",
            "identitystore:GetUserId",
            "identitystore:GetGroupMembershipId",
            "identitystore:CreateGroupMembership",
        )
        + sso(
            "sso:DescribePermissionSet",
            "sso:CreatePermissionSet",
            "sso:ListPermissionSets",
            "sso:GetInlinePolicyForPermissionSet",
            "sso:PutInlinePolicyToPermissionSet",
            "sso:ListAccountsForProvisionedPermissionSet",
            "sso:ProvisionPermissionSet",
            "sso:DescribePermissionSetProvisioningStatus",
            "sso:ListAccountAssignmentsForPrincipal",
            "sso:CreateAccountAssignment",
            "sso:DescribeAccountAssignmentCreationStatus",
        )
        + IDENTITY_CENTER_PROVISIONING
    )

    def check(self, ctx: StepContext) -> StepResult[StepFacts]:
        if is_iam_mode(ctx.answers):
            return skipped_in_iam_mode(self)
        ic = identity_center_of(ctx)
        if ic is None:
            return waiting_for_identity_center(self.id)
        facts = read(ctx, ic)
        return self.judged(facts, judge(facts, ctx.answers))

    # -- plan -------------------------------------------------------------------------
    def plan(self, ctx: StepContext, result: StepResult[StepFacts]) -> list[Action]:
        facts = result.facts_as(PermissionSetsFacts)
        if facts is None:
            return []
        ic = facts.identity_center
        answers = ctx.answers
        ps_name = facts.permission_set_name
        group_name = facts.group_name
        admin_name = answers["admin.user_name"]
        work = _Work(ic, group_name, facts.group_id, facts.permission_set_arn)
        actions: list[Action] = []

        if not work.group_id:
            actions.append(
                self.api(
                    "create-group",
                    f"Create the Identity Center group {group_name}",
                    changes.create_group(ic, group_name, GROUP_DESCRIPTION),
                    lambda c: _create_group(c, work),
                    permissions=("identitystore:GetGroupId", "identitystore:CreateGroup"),
                )
            )
        for member in facts.members:
            name = member.name
            if member.member:
                continue
            if not member.user_id and name != admin_name:
                actions.append(
                    self.manual(
                        f"missing-user:{name}",
                        f"Create the Identity Center user {name}, or remove it from cloudhsm.members",
                        console_url(ic.region, "users"),
                        [
                            f"{name} is listed in cloudhsm.members but does not exist in IAM Identity Center.",
                            "Either add the user in IAM Identity Center > Users > Add user,",
                            "or remove the name from cloudhsm.members and run hsm-setup again.",
                        ],
                    )
                )
                continue
            if member.user_id:
                work.user_ids[name] = member.user_id
            actions.append(
                self.api(
                    f"add-member:{name}",
                    f"Add {name} to the group {group_name}",
                    changes.add_member(ic, group_name, work.group_id, name, member.user_id),
                    partial(add_member, work=work, user_name=name),
                    permissions=(
                        "identitystore:GetGroupId",
                        "identitystore:GetUserId",
                        "identitystore:GetGroupMembershipId",
                        "identitystore:CreateGroupMembership",
                    ),
                )
            )
        existed = work.permission_set_arn is not None
        if not existed:
            actions.append(
                self.api(
                    "create-permission-set",
                    f"Create the permission set {ps_name}",
                    changes.create_permission_set(
                        ic, ps_name, PERMISSION_SET_DESCRIPTION, answers["cloudhsm.session_duration"]
                    ),
                    lambda c: _create_permission_set(c, work, ps_name, answers["cloudhsm.session_duration"]),
                    permissions=("sso:DescribePermissionSet", "sso:CreatePermissionSet", "sso:ListPermissionSets"),
                )
            )
        if not facts.policy_ok:
            put = self.api(
                "put-inline-policy",
                f"Put the CloudHSM {facts.policy} policy inline in {ps_name}",
                changes.put_inline_policy(ic, ps_name, work.permission_set_arn, policies.expected_text(facts.policy)),
                lambda c: {"changed": _put_policy(c, work, facts.policy)},
                permissions=("sso:GetInlinePolicyForPermissionSet", "sso:PutInlinePolicyToPermissionSet"),
            )
            if facts.adopted and facts.permission_set is not None:
                reaches = (
                    f"; it is provisioned to account(s) {', '.join(facts.provisioned_to)}, which get the new policy "
                    "when it is provisioned again"
                    if facts.provisioned_to
                    else ""
                )
                put.adopting(
                    f"the permission set {ps_name} ({facts.permission_set.arn}) was not made by hsm-setup; its inline "
                    f"policy is replaced, and teardown puts the previous one back{reaches}",
                    policies.document_diff(facts.permission_set.inline_policy, policies.expected(facts.policy)),
                )
            actions.append(put)
            if facts.provisioned_to is None or facts.provisioned_to:
                actions.append(provision_again(self, ps_name, facts.provisioned_to, work))
        if not facts.assigned or facts.request is not None:
            actions.append(assign_to_group(self, ctx.account_id, ps_name, work, SAVED_REQUEST))
        return actions


# -- read ----------------------------------------------------------------------------------
def read(ctx: StepContext, ic: IdentityCenter) -> PermissionSetsFacts:
    """The group and each member by name, their memberships, and the permission set through the group's assignments."""
    answers = ctx.answers
    ps_name = str(answers["cloudhsm.permission_set"])
    group_name = str(answers["cloudhsm.identity_center_group"])
    names: list[str] = [str(name) for name in answers["cloudhsm.members"]]
    store = ic.store(ctx)
    store_id = ic.identity_store_id

    def user_lookup(name: str) -> Callable[[], str | None]:
        return lambda: find_user_id(store, store_id, name)

    def membership_lookups(group_id: str | None, user_ids: list[str | None]) -> list[Callable[[], str | None]]:
        if not group_id:
            return []
        return [
            partial(membership_id, store, store_id, group_id, user_id) if user_id else _nothing for user_id in user_ids
        ]

    lookup, user_ids, membership_ids = look_up_access(
        ctx,
        ic,
        permission_set_name=ps_name,
        saved_arn_key=SAVED_PERMISSION_SET,
        request_key=SAVED_REQUEST,
        principal_type="GROUP",
        find_principal=lambda: find_group_id(store, store_id, group_name),
        managed=True,
        inline=True,
        extra=[user_lookup(name) for name in names],
        then=membership_lookups,
    )
    if lookup.principal_id:
        ctx.remember(**{SAVED_GROUP: lookup.principal_id})
    found = lookup.permission_set
    # Found now, but a killed run was creating it: it is hsm-setup's (the plan no longer creates it, so note it here).
    if lookup.principal_id and ctx.interrupted("permission-sets:create-group"):
        ctx.record_created(
            IdentityCenterGroup(
                group_id=lookup.principal_id, name=group_name, identity_store_id=store_id, region=ic.region
            )
        )
    if found is not None and ctx.interrupted("permission-sets:create-permission-set"):
        ctx.record_created(PermissionSet(arn=found.arn, name=ps_name, instance_arn=ic.instance_arn, region=ic.region))
    policy_changes = found is not None and (
        not found.inline_policy
        or bool(policies.differences(found.inline_policy, policies.expected(str(answers["cloudhsm.policy"]))))
    )
    provisioned_to = provisioned_accounts(ic.sso(ctx), ic.instance_arn, found.arn) if found and policy_changes else ()
    if not membership_ids:
        membership_ids = [None] * len(names)
    # One entry per name, however often the answers list it.
    by_name = {
        name: Member(name, user_id, bool(found))
        for name, user_id, found in zip(names, user_ids, membership_ids, strict=True)
    }
    members = tuple(by_name.values())
    return PermissionSetsFacts(
        identity_center=ic,
        account_id=ctx.account_id,
        permission_set_name=ps_name,
        group_name=group_name,
        group_id=lookup.principal_id,
        members=members,
        permission_set=lookup.permission_set,
        assigned=lookup.assigned,
        request=lookup.request,
        held=lookup.held,
        policy=str(answers["cloudhsm.policy"]),
        provisioned_to=provisioned_to,
        adopted=found is not None and not ctx.created_here(PermissionSet.kind, found.arn),
    )


def _nothing() -> str | None:
    return None


# -- judgement ----------------------------------------------------------------------------
def judge(facts: PermissionSetsFacts, answers: Answers) -> Verdict:
    ps_name, group_name, group_id, account_id = (
        facts.permission_set_name,
        facts.group_name,
        facts.group_id,
        facts.account_id,
    )
    permission_set = facts.permission_set
    all_members = all(m.user_id and m.member for m in facts.members)
    done = bool(group_id and all_members and facts.policy_ok and facts.assigned and not facts.request)
    verdict = Verdict(Status.DONE if done else Status.INCOMPLETE)
    if permission_set is None:
        verdict.add(
            False,
            f"No permission set named {ps_name} is assigned to the group {group_name} on this account; "
            "apply creates it (or adopts an existing one of that name).",
            evidence=f"{len(facts.held)} permission set(s) assigned to the group on {account_id}",
        )
    else:
        verdict.add(True, f"The permission set {ps_name} exists.", evidence=permission_set.arn)
        drift = facts.drift
        if facts.policy_ok:
            verdict.add(
                True,
                f"Its inline policy allows what the guide's CloudHSM {facts.policy} policy allows.",
                evidence=f"inline policy equivalent to {policies.POLICY_FILES[facts.policy]}",
            )
        elif not permission_set.inline_policy:
            verdict.add(
                False,
                f"It has no inline policy; it needs the guide's CloudHSM {facts.policy} policy.",
                evidence="GetInlinePolicyForPermissionSet: empty",
            )
        else:
            verdict.add(
                False,
                f"Its inline policy differs from the guide's CloudHSM {facts.policy} policy: " + "; ".join(drift) + ".",
                evidence="; ".join(drift),
            )
        extra_policies = sorted(permission_set.managed_policies or ())
        if extra_policies:
            verdict.add(
                False,
                "It also carries managed policies, which grant more than CloudHSM needs; detach them in the console "
                "unless they are meant to be there.",
                evidence="managed policies: " + ", ".join(extra_policies),
                level="warning",
            )
    if group_id:
        verdict.add(True, f"The Identity Center group {group_name} exists.", evidence=f"GroupId = {group_id}")
    else:
        verdict.add(
            False,
            f"The Identity Center group {group_name} does not exist yet.",
            evidence=f"identitystore get-group-id displayName={group_name}: ResourceNotFoundException",
        )
    admin_name = answers["admin.user_name"]
    for member in facts.members:
        name = member.name
        if not member.user_id:
            if name == admin_name:
                verdict.add(
                    False,
                    f"The user {name} does not exist yet; the admin-user step creates it, then it joins {group_name}.",
                )
            else:
                verdict.add(
                    False,
                    f"The user {name} does not exist in Identity Center: create it first or remove it from cloudhsm.members.",
                    evidence=f"identitystore get-user-id userName={name}: ResourceNotFoundException",
                )
        elif member.member:
            verdict.add(True, f"{name} is a member of {group_name}.", evidence=f"UserId = {member.user_id}")
        elif group_id:
            verdict.add(False, f"{name} is not a member of {group_name} yet.", evidence=f"UserId = {member.user_id}")
    if permission_set is not None and group_id:
        if facts.assigned:
            verdict.add(
                True,
                f"{group_name} holds {ps_name} on account {account_id}.",
                evidence="ListAccountAssignmentsForPrincipal",
            )
        else:
            verdict.add(
                False,
                f"{group_name} does not hold {ps_name} on account {account_id} yet.",
                evidence="ListAccountAssignmentsForPrincipal",
            )
    if facts.request:
        message, evidence = request_finding(facts.request)
        verdict.add(False, message, evidence=evidence)
    return verdict


# -- writes ------------------------------------------------------------------------------
def _put_policy(ctx: StepContext, work: _Work, choice: str) -> bool:
    expected = policies.expected(choice)
    return put_inline_policy(
        ctx,
        work.ic,
        work.resolve_permission_set(ctx),
        expected,
        allows_the_same=lambda live: not policies.differences(live, expected),
    )


def _create_group(ctx: StepContext, work: _Work) -> JsonObject:
    work.group_id = ensure_group(ctx, work.ic, work.group_name, GROUP_DESCRIPTION)
    ctx.remember(**{SAVED_GROUP: work.group_id})
    return {"group_id": work.group_id}


def _create_permission_set(ctx: StepContext, work: _Work, name: str, duration: str) -> JsonObject:
    work.permission_set_arn = create_or_adopt_permission_set(
        ctx,
        work.ic,
        name=name,
        description=PERMISSION_SET_DESCRIPTION,
        session_duration=duration,
        known_arn=work.permission_set_arn,
        saved_arn_key=SAVED_PERMISSION_SET,
    )
    return {"permission_set_arn": work.permission_set_arn}


STEP = PermissionSetsStep()
