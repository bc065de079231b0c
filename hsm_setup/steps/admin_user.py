"""Step 3: an administrative user in IAM Identity Center (or, in IAM mode, an IAM user: see admin_user_iam).

Done when the user exists, a permission set of the chosen name carries the AWS
managed policy AdministratorAccess, and it is assigned to that user on this
account (provisioned). People then sign in through the access portal instead of
using the root user.

The check costs the same few calls whatever the size of the identity store: the
user is found by name (GetUserId) and the permission set through the user's own
assignments on this account, or the ARN hsm-setup saved when it created it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hsm_setup.answers.fields import is_iam_mode
from hsm_setup.answers.values import Answers
from hsm_setup.errors import HsmSetupError, is_code
from hsm_setup.identity_center.commands import as_json, placeholder, sso_cli, store_cli
from hsm_setup.identity_center.findings import request_finding, waiting_for_identity_center
from hsm_setup.identity_center.instance import IdentityCenter, console_url
from hsm_setup.identity_center.reads import (
    AssignmentRequest,
    PermissionSetInfo,
    find_user_id,
    look_up_access,
    provisioned_accounts,
)
from hsm_setup.identity_center.writes import (
    attach_managed_policy,
    create_or_adopt_permission_set,
    ensure_account_assignment,
    provision_permission_set,
)
from hsm_setup.model import Status, StepFacts, StepResult, Verdict
from hsm_setup.resources.identity_store import IdentityCenterUser
from hsm_setup.resources.permission_sets import PermissionSet
from hsm_setup.steps import admin_user_iam
from hsm_setup.steps.actions import Action
from hsm_setup.steps.admin_user_iam import IamAdminFacts
from hsm_setup.steps.base import Step
from hsm_setup.steps.context import StepContext
from hsm_setup.steps.grants import IDENTITY_CENTER_PROVISIONING, identity_store, sso
from hsm_setup.steps.identity_center import identity_center_of
from hsm_setup.steps.policies import ADMINISTRATOR_ACCESS_ARN

SAVED_USER = "admin_user_id"
SAVED_PERMISSION_SET = "admin_permission_set_arn"
SAVED_REQUEST = "admin_assignment_request_id"
DESCRIPTION = "Full administrative access (AWS managed policy AdministratorAccess), created by hsm-setup"


@dataclass(frozen=True)
class AdminUserFacts(StepFacts):
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
    # Permission sets the user holds on this account (ARNs), for the evidence.
    held: tuple[str, ...]
    # Read only when apply will change the permission set: the accounts it is provisioned to, which the change reaches.
    # None: the caller may not read it (apply provisions again anyway, and its pre-flight names the permission).
    provisioned_to: tuple[str, ...] | None = ()
    # The permission set existed before hsm-setup (no note says hsm-setup made it): changing it is an adoption.
    adopted: bool = False

    @property
    def permission_set_arn(self) -> str | None:
        return self.permission_set.arn if self.permission_set else None

    @property
    def policy_attached(self) -> bool:
        return self.permission_set is not None and ADMINISTRATOR_ACCESS_ARN in (
            self.permission_set.managed_policies or ()
        )


@dataclass
class _Work:
    """What the plan's actions learn and hand on to the next one while apply runs."""

    ic: IdentityCenter
    user_name: str
    user_id: str | None
    permission_set_arn: str | None

    def resolve_user(self, ctx: StepContext) -> str:
        if not self.user_id:
            self.user_id = find_user_id(self.ic.store(ctx), self.ic.identity_store_id, self.user_name)
        if not self.user_id:
            raise HsmSetupError(
                f"The Identity Center user {self.user_name} does not exist.",
                "Run apply again: it creates the user before assigning it.",
            )
        return self.user_id

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
        identity_store("identitystore:GetUserId")
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
        identity_store("identitystore:GetUserId", "identitystore:CreateUser")
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
        work = _Work(ic, user_name, facts.user_id, facts.permission_set_arn)
        ps_shown = work.permission_set_arn or placeholder(f"ARN of permission set {ps_name}")
        actions: list[Action] = []

        if not work.user_id:
            given, family, email = answers["admin.given_name"], answers["admin.family_name"], answers["admin.email"]
            actions.append(
                self.api(
                    "create-user",
                    f"Create the Identity Center user {user_name}",
                    store_cli(
                        ic,
                        "create-user",
                        ("--user-name", user_name),
                        ("--name", as_json({"GivenName": given, "FamilyName": family})),
                        ("--display-name", f"{given} {family}"),
                        ("--emails", as_json([{"Value": email, "Type": "work", "Primary": True}])),
                    ),
                    lambda c: _create_user(c, work, given, family, email),
                    permissions=("identitystore:GetUserId", "identitystore:CreateUser"),
                )
            )
        existed = work.permission_set_arn is not None
        if not existed:
            duration = answers["admin.session_duration"]
            actions.append(
                self.api(
                    "create-permission-set",
                    f"Create the permission set {ps_name}",
                    sso_cli(
                        ic,
                        ic.region,
                        "create-permission-set",
                        ("--name", ps_name),
                        ("--description", DESCRIPTION),
                        ("--session-duration", duration),
                        ("--tags", "Key=managed-by,Value=hsm-setup"),
                    ),
                    lambda c: _create_permission_set(c, work, ps_name, duration),
                    permissions=("sso:DescribePermissionSet", "sso:CreatePermissionSet", "sso:ListPermissionSets"),
                )
            )
        if not facts.policy_attached:
            attach = self.api(
                "attach-policy",
                f"Attach the AWS managed policy AdministratorAccess to {ps_name}",
                sso_cli(
                    ic,
                    ic.region,
                    "attach-managed-policy-to-permission-set",
                    ("--permission-set-arn", ps_shown),
                    ("--managed-policy-arn", ADMINISTRATOR_ACCESS_ARN),
                ),
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
                # Accounts it is already provisioned to keep the old policies until it is provisioned again.
                # https://docs.aws.amazon.com/singlesignon/latest/userguide/updatepermissionset.html
                actions.append(
                    self.api(
                        "provision-permission-set",
                        f"Provision {ps_name} again to the accounts it is provisioned to: "
                        + (", ".join(facts.provisioned_to) if facts.provisioned_to is not None else "(not readable)"),
                        sso_cli(
                            ic,
                            ic.region,
                            "provision-permission-set",
                            ("--permission-set-arn", ps_shown),
                            ("--target-type", "ALL_PROVISIONED"),
                        ),
                        lambda c: {
                            "provisioned": provision_permission_set(c, ic, work.resolve_permission_set(c), ps_name)
                        },
                        permissions=(
                            "sso:ListAccountsForProvisionedPermissionSet",
                            "sso:ProvisionPermissionSet",
                            "sso:DescribePermissionSetProvisioningStatus",
                        ),
                    )
                )
        if not facts.assigned or facts.request is not None:
            actions.append(
                self.api(
                    "assign",
                    f"Assign {ps_name} to {user_name} on account {ctx.account_id}",
                    sso_cli(
                        ic,
                        ic.region,
                        "create-account-assignment",
                        ("--target-id", ctx.account_id),
                        ("--target-type", "AWS_ACCOUNT"),
                        ("--permission-set-arn", ps_shown),
                        ("--principal-type", "USER"),
                        ("--principal-id", work.user_id or placeholder(f"user id of {user_name}")),
                    ),
                    lambda c: _assign(c, work, ps_name),
                    permissions=(
                        "identitystore:GetUserId",
                        "sso:DescribeAccountAssignmentCreationStatus",
                        "sso:ListAccountAssignmentsForPrincipal",
                        "sso:CreateAccountAssignment",
                    ),
                )
            )
        return actions


# -- read ----------------------------------------------------------------------------------
def read(ctx: StepContext, ic: IdentityCenter) -> AdminUserFacts:
    """The user by name, and the permission set through the user's assignments (or the saved ARN)."""
    user_name = str(ctx.answers["admin.user_name"])
    ps_name = str(ctx.answers["admin.permission_set"])
    store = ic.store(ctx)
    lookup, _, _ = look_up_access(
        ctx,
        ic,
        permission_set_name=ps_name,
        saved_arn_key=SAVED_PERMISSION_SET,
        request_key=SAVED_REQUEST,
        principal_type="USER",
        find_principal=lambda: find_user_id(store, ic.identity_store_id, user_name),
        managed=True,
    )
    if lookup.principal_id:
        ctx.remember(**{SAVED_USER: lookup.principal_id})
    found = lookup.permission_set
    # Found now, but a killed run was creating it: it is hsm-setup's (the plan no longer creates it, so note it here).
    if lookup.principal_id and ctx.interrupted("admin-user:create-user"):
        ctx.record_created(
            IdentityCenterUser(
                user_id=lookup.principal_id, name=user_name, identity_store_id=ic.identity_store_id, region=ic.region
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
        user_id=lookup.principal_id,
        permission_set=lookup.permission_set,
        assigned=lookup.assigned,
        request=lookup.request,
        held=lookup.held,
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
    done = bool(facts.user_id and permission_set and facts.policy_attached and facts.assigned and not facts.request)
    verdict = Verdict(Status.DONE if done else Status.INCOMPLETE)
    if facts.user_id:
        verdict.add(True, f"The Identity Center user {user_name} exists.", evidence=f"UserId = {facts.user_id}")
    else:
        verdict.add(
            False,
            f"The Identity Center user {user_name} does not exist yet.",
            evidence=f"identitystore get-user-id userName={user_name}: ResourceNotFoundException",
        )
    if permission_set is None:
        verdict.add(
            False,
            f"No permission set named {ps_name} is assigned to {user_name} on this account; "
            "apply creates it (or adopts an existing one of that name).",
            evidence=f"{len(facts.held)} permission set(s) assigned to the user on {account_id}",
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
                f"It is assigned to {user_name} on account {account_id}.",
                evidence="ListAccountAssignmentsForPrincipal",
            )
        elif facts.user_id:
            verdict.add(
                False,
                f"It is not assigned to {user_name} on account {account_id} yet.",
                evidence="ListAccountAssignmentsForPrincipal",
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


# -- writes ------------------------------------------------------------------------------
def _create_user(ctx: StepContext, work: _Work, given: str, family: str, email: str) -> dict[str, Any]:
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


def _create_permission_set(ctx: StepContext, work: _Work, name: str, duration: str) -> dict[str, Any]:
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


def _assign(ctx: StepContext, work: _Work, ps_name: str) -> dict[str, Any]:
    request_id = ensure_account_assignment(
        ctx,
        work.ic,
        permission_set_arn=work.resolve_permission_set(ctx),
        principal_type="USER",
        principal_id=work.resolve_user(ctx),
        request_key=SAVED_REQUEST,
        label=f"{ps_name} to {work.user_name}",
    )
    return {"request_id": request_id}


STEP = AdminUserStep()
