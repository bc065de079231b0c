"""The administrative user as an IAM user, for a standalone account without an organization.

The CloudHSM guide's "Create an IAM user and administrator group": an IAM group
(Administrators) carrying the AWS managed policy AdministratorAccess, and an IAM
user in it with a console password. An account instance of IAM Identity Center
cannot grant access to AWS accounts, so an account that will not create an
organization uses this instead (`[admin] mode = "iam"`); the Identity Center
steps are then skipped.

The console password is generated to satisfy the account's password policy,
handed to the person once through the front end (events.SecretIssued) and never
stored: the state only notes, without the password, that a password was issued
and not yet shown, so an interrupted apply resets it and shows the new one.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import msgspec

from hsm_setup.answers.values import Answers
from hsm_setup.aws.cli_command import cli
from hsm_setup.aws.clients import is_ambiguous_failure
from hsm_setup.errors import is_code
from hsm_setup.json_types import JsonObject
from hsm_setup.model import SecretIssued, Status, StepFacts, StepResult, Verdict
from hsm_setup.resources.base import MANAGED_BY_TAG
from hsm_setup.resources.iam_groups import IamGroup
from hsm_setup.resources.iam_users import IamLoginProfile, IamUser
from hsm_setup.secrets import passwords
from hsm_setup.steps import iam_changes, iam_groups
from hsm_setup.steps.actions import Action
from hsm_setup.steps.base import Step
from hsm_setup.steps.context import StepContext
from hsm_setup.steps.grants import IAM_ONLY, Condition, iam_group, iam_user, no_resource, on

if TYPE_CHECKING:
    from mypy_boto3_iam.client import IAMClient
    from mypy_boto3_iam.type_defs import LoginProfileTypeDef, MFADeviceTypeDef

STEP_ID = "admin-user"
# Saved (no secret): the IAM user whose console password was issued but not yet shown to anyone.
UNSHOWN_PASSWORD = "iam_admin_password_unshown"
SIGN_IN_DOMAINS = {
    "aws": "signin.aws.amazon.com",
    "aws-us-gov": "signin.amazonaws-us-gov.com",
    "aws-cn": "signin.amazonaws.cn",
}
PASSWORD_SHOWN_IN_CLI = "'<generated: shown once at apply>'"

ADMIN_GROUP = iam_group("{admin.iam_group}")
ADMIN_USER = iam_user("{admin.user_name}")
CHECK_PERMISSIONS = (
    on(ADMIN_GROUP, "iam:GetGroup", "iam:ListAttachedGroupPolicies", modes=IAM_ONLY)
    + on(
        ADMIN_USER, "iam:GetUser", "iam:ListGroupsForUser", "iam:GetLoginProfile", "iam:ListMFADevices", modes=IAM_ONLY
    )
    + no_resource("iam:ListAccountAliases", modes=IAM_ONLY)
)
APPLY_PERMISSIONS = (
    on(
        ADMIN_GROUP,
        "iam:CreateGroup",
        "iam:GetGroup",
        "iam:AddUserToGroup",
        "iam:ListAttachedGroupPolicies",
        modes=IAM_ONLY,
    )
    # Only AdministratorAccess may be attached to the administrators' group.
    + on(
        ADMIN_GROUP,
        "iam:AttachGroupPolicy",
        modes=IAM_ONLY,
        conditions=(Condition("ArnEquals", "iam:PolicyARN", ("arn:{partition}:iam::aws:policy/AdministratorAccess",)),),
    )
    # IAM authorizes the tags given to CreateUser as iam:TagUser.
    + on(
        ADMIN_USER,
        "iam:CreateUser",
        "iam:TagUser",
        "iam:GetUser",
        "iam:GetLoginProfile",
        "iam:CreateLoginProfile",
        "iam:UpdateLoginProfile",
        "iam:ListGroupsForUser",
        modes=IAM_ONLY,
    )
    + no_resource("iam:GetAccountPasswordPolicy", "iam:ListAccountAliases", modes=IAM_ONLY)
)


class LoginProfile(msgspec.Struct, frozen=True):
    create_date: str
    password_reset_required: bool


class IamAdminFacts(StepFacts, frozen=True):
    """What the admin-user step found in IAM mode: the administrators' IAM group and the IAM user."""

    account_id: str
    group_name: str
    group_arn: str | None
    # Managed policies attached to the group, and the AdministratorAccess ARN of this partition.
    attached: tuple[str, ...]
    policy_arn: str
    user_name: str
    user_arn: str | None
    # The groups the user is in.
    groups: tuple[str, ...]
    login_profile: LoginProfile | None
    # hsm-setup set the console password but never showed it to anyone.
    password_unshown: bool
    mfa_serials: tuple[str, ...]
    alias: str | None
    sign_in_url: str

    @property
    def group_exists(self) -> bool:
        return self.group_arn is not None

    @property
    def policy_attached(self) -> bool:
        return self.policy_arn in self.attached

    @property
    def user_exists(self) -> bool:
        return self.user_arn is not None

    @property
    def in_group(self) -> bool:
        return self.group_name in self.groups


def administrator_access_arn(ctx: StepContext) -> str:
    return f"arn:{_partition(ctx)}:iam::aws:policy/AdministratorAccess"


def sign_in_url(partition: str, alias_or_account: str) -> str:
    return f"https://{alias_or_account}.{SIGN_IN_DOMAINS.get(partition, SIGN_IN_DOMAINS['aws'])}/console"


def _partition(ctx: StepContext) -> str:
    return ctx.identity.arn.split(":")[1] or "aws"


# -- check ---------------------------------------------------------------------------------
def check(step: Step, ctx: StepContext) -> StepResult[IamAdminFacts]:
    facts = read(ctx)
    return step.judged(facts, judge(facts, ctx.answers))


def read(ctx: StepContext) -> IamAdminFacts:
    iam = ctx.client("iam")
    user = str(ctx.answers["admin.user_name"])
    group = str(ctx.answers["admin.iam_group"])
    # Independent reads, side by side; each costs one call whatever the account's size.
    with ThreadPoolExecutor(max_workers=7, thread_name_prefix="hsm-iam-admin") as pool:
        group_f = pool.submit(_group_arn, iam, group)
        attached_f = pool.submit(iam_groups.attached_policies, iam, group)
        user_f = pool.submit(_user_arn, iam, user)
        groups_f = pool.submit(_groups_of, iam, user)
        profile_f = pool.submit(_login_profile, iam, user)
        mfa_f = pool.submit(_mfa_devices, iam, user)
        alias_f = pool.submit(_alias, iam)
        group_arn, attached, user_arn = group_f.result(), attached_f.result(), user_f.result()
        groups, profile, mfa, alias = groups_f.result(), profile_f.result(), mfa_f.result(), alias_f.result()
    login = None
    if profile is not None:
        login = LoginProfile(str(profile.get("CreateDate", "")), bool(profile.get("PasswordResetRequired")))
    return IamAdminFacts(
        account_id=ctx.account_id,
        group_name=group,
        group_arn=group_arn,
        attached=tuple(attached),
        policy_arn=administrator_access_arn(ctx),
        user_name=user,
        user_arn=user_arn,
        groups=tuple(groups),
        login_profile=login,
        password_unshown=bool(profile is not None and ctx.saved(UNSHOWN_PASSWORD) == user),
        mfa_serials=tuple(str(d.get("SerialNumber", "")) for d in mfa),
        alias=alias,
        sign_in_url=sign_in_url(_partition(ctx), alias or ctx.account_id),
    )


def judge(facts: IamAdminFacts, answers: Answers) -> Verdict:
    user, group, url, alias = facts.user_name, facts.group_name, facts.sign_in_url, facts.alias
    done = (
        facts.group_exists
        and facts.policy_attached
        and facts.user_exists
        and facts.in_group
        and facts.login_profile is not None
    ) and not facts.password_unshown
    verdict = Verdict(Status.DONE if done else Status.INCOMPLETE)
    if facts.group_arn:
        verdict.add(True, f"The IAM group {group} exists.", evidence=facts.group_arn)
        listed = ", ".join(facts.attached) or "no attached policies"
        if facts.policy_attached:
            verdict.add(True, f"{group} carries the AWS managed policy AdministratorAccess.", evidence=listed)
        else:
            verdict.add(
                False, f"{group} does not carry the AWS managed policy AdministratorAccess yet.", evidence=listed
            )
    else:
        verdict.add(
            False, f"The IAM group {group} does not exist yet.", evidence=f"iam get-group {group}: NoSuchEntity"
        )
    if facts.user_arn is None:
        verdict.add(False, f"The IAM user {user} does not exist yet.", evidence=f"iam get-user {user}: NoSuchEntity")
        verdict.add(
            True, f"Once created, {user} signs in to the console at {url}", evidence=f"account alias: {alias or 'none'}"
        )
        return verdict
    verdict.add(True, f"The IAM user {user} exists.", evidence=facts.user_arn)
    if facts.in_group:
        verdict.add(True, f"{user} is in {group}.", evidence="iam list-groups-for-user")
    else:
        verdict.add(False, f"{user} is not in {group} yet.", evidence=f"groups: {', '.join(facts.groups) or 'none'}")
    profile = facts.login_profile
    if profile is None:
        verdict.add(
            False, f"{user} has no console password yet.", evidence=f"iam get-login-profile {user}: NoSuchEntity"
        )
    elif facts.password_unshown:
        verdict.add(
            False,
            f"{user} has a console password that hsm-setup set but never showed to anyone (the run was interrupted, "
            "or no terminal could show it). Apply sets a new one and shows it once.",
            evidence=f"login profile created {profile.create_date}".strip(),
        )
    else:
        reset = " AWS asks for a new password at the first sign-in." if profile.password_reset_required else ""
        verdict.add(
            True,
            f"{user} has a console password.{reset}",
            evidence=f"PasswordResetRequired = {profile.password_reset_required}",
        )
    verdict.add(True, f"{user} signs in to the console at {url}", evidence=f"account alias: {alias or 'none'}")
    if facts.mfa_serials:
        verdict.add(True, f"{user} has MFA.", evidence=", ".join(facts.mfa_serials))
    else:
        verdict.add(
            False,
            f"{user} has no MFA device. An IAM user's password lasts until changed: after the first sign-in, assign an MFA "
            f"device (IAM > Users > {user} > Security credentials > Assign MFA device).",
            evidence=f"iam list-mfa-devices --user-name {user}: none",
            level="warning",
        )
    return verdict


def _group_arn(iam: IAMClient, name: str) -> str | None:
    try:
        return iam.get_group(GroupName=name, MaxItems=1)["Group"]["Arn"]
    except Exception as exc:
        if not is_code(exc, "NoSuchEntity"):
            raise
        return None


def _user_arn(iam: IAMClient, name: str) -> str | None:
    try:
        return iam.get_user(UserName=name)["User"]["Arn"]
    except Exception as exc:
        if not is_code(exc, "NoSuchEntity"):
            raise
        return None


def _groups_of(iam: IAMClient, user: str) -> list[str]:
    # A user is in at most 10 groups: one call, however many members the group has.
    try:
        return [g["GroupName"] for g in iam.list_groups_for_user(UserName=user).get("Groups", [])]
    except Exception as exc:
        if not is_code(exc, "NoSuchEntity"):
            raise
        return []


def _login_profile(iam: IAMClient, user: str) -> LoginProfileTypeDef | None:
    try:
        return iam.get_login_profile(UserName=user)["LoginProfile"]
    except Exception as exc:
        if not is_code(exc, "NoSuchEntity"):
            raise
        return None


def _mfa_devices(iam: IAMClient, user: str) -> list[MFADeviceTypeDef]:
    try:
        return list(iam.list_mfa_devices(UserName=user).get("MFADevices", []))
    except Exception as exc:
        if not is_code(exc, "NoSuchEntity"):
            raise
        return []


def _alias(iam: IAMClient) -> str | None:
    aliases = iam.list_account_aliases().get("AccountAliases", [])
    return aliases[0] if aliases else None


# -- plan ----------------------------------------------------------------------------------
def plan(step: Step, ctx: StepContext, facts: IamAdminFacts) -> list[Action]:
    user, group = facts.user_name, facts.group_name
    policy_arn = facts.policy_arn
    actions: list[Action] = []
    if not facts.group_exists:
        actions.append(
            step.api(
                "iam-create-group",
                f"Create the IAM group {group}",
                iam_changes.create_group(group),
                lambda c: {"group_arn": iam_groups.create_group(c, group)},
                permissions=("iam:CreateGroup", "iam:GetGroup"),
            )
        )
    if not facts.policy_attached:
        attach = step.api(
            "iam-attach-policy",
            f"Attach the AWS managed policy AdministratorAccess to {group}",
            iam_changes.attach_group_policy(group, policy_arn),
            lambda c: iam_groups.attach_policy(c, group, policy_arn),
            permissions=("iam:ListAttachedGroupPolicies", "iam:AttachGroupPolicy"),
        )
        if facts.group_exists and not ctx.created_here(IamGroup.kind, group):
            attach.adopting(iam_groups.ADOPTED_GROUP.format(group=group))
        actions.append(attach)
    if not facts.user_exists:
        actions.append(
            step.api(
                "iam-create-user",
                f"Create the IAM user {user}",
                iam_changes.create_user(user, f"Key={MANAGED_BY_TAG['Key']},Value={MANAGED_BY_TAG['Value']}"),
                lambda c: _create_user(c, user),
                permissions=("iam:CreateUser", "iam:TagUser", "iam:GetUser"),
            )
        )
    if not facts.in_group:
        actions.append(
            step.api(
                "iam-add-user",
                f"Add {user} to {group}",
                iam_changes.add_user_to_group(group, user),
                lambda c: iam_groups.add_user(c, group, user),
                permissions=("iam:ListGroupsForUser", "iam:AddUserToGroup"),
            )
        )
    password_permissions = (
        "iam:GetAccountPasswordPolicy",
        "iam:GetLoginProfile",
        "iam:CreateLoginProfile",
        "iam:UpdateLoginProfile",
        "iam:ListAccountAliases",
    )
    if facts.password_unshown:
        actions.append(
            step.api(
                "iam-reset-password",
                f"Reset the console password of {user} (the last one was never shown) and show the new one once",
                cli(
                    "iam",
                    "update-login-profile",
                    ("--user-name", user),
                    "--password",
                    PASSWORD_SHOWN_IN_CLI,
                    "--password-reset-required",
                ),
                lambda c: issue_password(c, user),
                permissions=password_permissions,
            )
        )
    elif facts.login_profile is None:
        actions.append(
            step.api(
                "iam-create-password",
                f"Give {user} a console password (shown once, new password required at first sign-in)",
                cli(
                    "iam",
                    "create-login-profile",
                    ("--user-name", user),
                    "--password",
                    PASSWORD_SHOWN_IN_CLI,
                    "--password-reset-required",
                ),
                lambda c: issue_password(c, user),
                permissions=password_permissions,
            )
        )
    return actions


# -- writes (each re-reads first, so a repeated or resumed run adopts what exists) -----------
def _create_user(ctx: StepContext, name: str) -> JsonObject:
    iam = ctx.client("iam")
    try:
        arn = iam.create_user(UserName=name, Tags=[MANAGED_BY_TAG.copy()])["User"]["Arn"]
        ctx.record_created(IamUser(name=name, arn=str(arn)))
    except Exception as exc:
        if not is_code(exc, "EntityAlreadyExists"):
            raise
        arn = iam.get_user(UserName=name)["User"]["Arn"]
        ctx.record_if_resuming(IamUser(name=name, arn=str(arn)))
    ctx.remember(iam_admin_user=name)
    return {"user_arn": arn}


def issue_password(ctx: StepContext, user: str) -> JsonObject:
    """Give `user` a console password and hand it to the person once.

    Whether to create or reset is decided from what exists now, not from the plan:
    a login profile that hsm-setup set but never showed is reset; one set by anyone
    else is left alone (its owner knows it). The state notes "issued, not shown"
    before the call, so a crash between the call and the showing is found by the
    next check.
    """
    iam = ctx.client("iam")
    profile = _login_profile(iam, user)
    was_unshown = ctx.saved(UNSHOWN_PASSWORD) == user
    if profile is not None and not was_unshown:
        return {"adopted": True}
    password = passwords.generate(passwords.account_policy(iam))
    ctx.remember(**{UNSHOWN_PASSWORD: user})
    try:
        if profile is None:
            iam.create_login_profile(UserName=user, Password=password, PasswordResetRequired=True)
            ctx.record_created(IamLoginProfile(user=user))
        else:
            iam.update_login_profile(UserName=user, Password=password, PasswordResetRequired=True)
    except Exception as exc:
        if is_code(exc, "EntityAlreadyExists"):
            # Someone set a password between our read and our call: theirs stands.
            if not was_unshown:
                ctx.forget(UNSHOWN_PASSWORD)
            return {"adopted": True}
        # A refused call changed nothing; one whose answer was lost may have set the password.
        if not was_unshown and not is_ambiguous_failure(exc):
            ctx.forget(UNSHOWN_PASSWORD)
        raise
    alias = _alias(iam)
    url = sign_in_url(_partition(ctx), alias or ctx.account_id)
    secret = SecretIssued(
        step_id=STEP_ID,
        account_id=ctx.account_id,
        user_name=user,
        secret=password,
        notes=(
            f"Sign in at {url} as {user}.",
            "AWS asks for a new password at the first sign-in.",
            "After signing in, assign an MFA device to the user (IAM > Users > Security credentials).",
        ),
    )
    del password
    if ctx.reveal(secret):
        ctx.forget(UNSHOWN_PASSWORD)
        return {"password_shown": True, "sign_in_url": url}
    return {"password_shown": False, "sign_in_url": url}
