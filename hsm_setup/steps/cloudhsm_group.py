"""Step 5: an IAM group of CloudHSM administrators with a least-privilege customer managed policy.

The policy is the one of the CloudHSM guide's example policies the answers choose
(cloudhsm.policy: admin, power-user or read-only; assets/policies/), compared by what its
actions allow, wildcards included.
A live policy is compared with it parsed, not as text, and a drifted policy is
corrected with a new default version rather than by deleting and recreating it, so
whatever else it is attached to keeps working.

Every action re-reads what it is about to change, so an interrupted apply can be
run again without a second policy version or a failure on an existing group.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING

import msgspec

from hsm_setup.answers.fields import is_iam_mode
from hsm_setup.answers.values import Answers
from hsm_setup.aws.script_call import Document
from hsm_setup.errors import HsmSetupError, is_code, items, require
from hsm_setup.json_types import JsonObject
from hsm_setup.model import Status, StepFacts, StepResult, Verdict
from hsm_setup.resources.base import MANAGED_BY_TAG
from hsm_setup.resources.iam_groups import IamGroup
from hsm_setup.resources.iam_policies import IamPolicy, IamPolicyVersion
from hsm_setup.steps import iam_changes, iam_groups, policies
from hsm_setup.steps.actions import Action
from hsm_setup.steps.base import Step
from hsm_setup.steps.context import StepContext
from hsm_setup.steps.grants import Condition, iam_group, iam_policy, iam_user, on

if TYPE_CHECKING:
    from mypy_boto3_iam.client import IAMClient

# The answer choosing the policy; the AWS CLI commands refer to its file (policies.POLICY_FILES, in assets/policies/).
POLICY_KEY = "cloudhsm.policy"
# IAM keeps at most five versions of a managed policy.
MAX_POLICY_VERSIONS = 5
POLICY_DESCRIPTION = "CloudHSM administrators: only the permissions AWS CloudHSM needs"


GROUP = iam_group("{cloudhsm.iam_group}")
POLICY = iam_policy("{cloudhsm.policy_name}")


class GroupFound(msgspec.Struct, frozen=True):
    arn: str
    members: tuple[str, ...]


class PolicyFound(msgspec.Struct, frozen=True):
    """The customer managed policy: its default version compared with the expected document."""

    arn: str
    # None: the policy does not exist.
    default_version: str | None = None
    drift: tuple[str, ...] = ()
    # Read only for a drifted policy, which is about to get a new version.
    version_count: int | None = None
    oldest_non_default: str | None = None
    # The default version's document, kept for a drifted policy: the plan shows the change as a diff.
    document: object = None

    @property
    def exists(self) -> bool:
        return self.default_version is not None


class CloudHsmGroupFacts(StepFacts, frozen=True):
    group_name: str
    group: GroupFound | None
    # Managed policies attached to the group.
    attached: tuple[str, ...]
    policy_name: str
    policy: PolicyFound
    # cloudhsm.iam_members, and those of them that are not IAM users (the administrator apply creates first counts as one).
    wanted_members: tuple[str, ...]
    missing_users: tuple[str, ...]
    # cloudhsm.policy: which of the guide's example policies the group's policy must be.
    choice: str = policies.DEFAULT_POLICY

    @property
    def policy_attached(self) -> bool:
        return self.policy.arn in self.attached

    @property
    def members_to_add(self) -> tuple[str, ...]:
        members = self.group.members if self.group else ()
        return tuple(n for n in self.wanted_members if n not in members and n not in self.missing_users)


class CloudHsmGroupStep(Step):
    id = "cloudhsm-group"
    title = "CloudHSM administrator group (IAM)"
    guidance = "cloudhsm-group.md"
    why = "CloudHSM administrators get only the permissions CloudHSM needs, through one group."
    check_permissions = (
        on(GROUP, "iam:GetGroup", "iam:ListAttachedGroupPolicies")
        + on(POLICY, "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions")
        # Only the chosen members are looked up (none: no grant).
        + on(iam_user("{cloudhsm.iam_members}"), "iam:GetUser")
    )
    apply_permissions = (
        on(
            POLICY,
            "iam:CreatePolicy",
            # IAM authorizes tags given to CreatePolicy as iam:TagPolicy.
            "iam:TagPolicy",
            "iam:GetPolicy",
            "iam:GetPolicyVersion",
            "iam:ListPolicyVersions",
            "iam:DeletePolicyVersion",
            "iam:CreatePolicyVersion",
        )
        + on(GROUP, "iam:CreateGroup", "iam:GetGroup", "iam:AddUserToGroup", "iam:ListAttachedGroupPolicies")
        + on(iam_user("{cloudhsm.iam_members}"), "iam:ListGroupsForUser")
        # Only the CloudHSM policy may be attached to the group.
        + on(GROUP, "iam:AttachGroupPolicy", conditions=(Condition("ArnEquals", "iam:PolicyARN", (POLICY,)),))
    )

    def check(self, ctx: StepContext) -> StepResult[CloudHsmGroupFacts]:
        facts = read(ctx)
        return self.judged(facts, judge(facts, ctx.answers))

    # -- plan -------------------------------------------------------------------------
    def plan(self, ctx: StepContext, result: StepResult[StepFacts]) -> list[Action]:
        facts = result.facts_as(CloudHsmGroupFacts)
        if facts is None:
            return []
        group, policy_name, arn = facts.group_name, facts.policy_name, facts.policy.arn
        policy_file = policies.POLICY_FILES[facts.choice]
        document = Document(policy_file, policies.expected_text(facts.choice))
        actions: list[Action] = []
        if not facts.policy.exists:
            actions.append(
                self.api(
                    "create-policy",
                    f"Create the customer managed policy {policy_name} (the guide's CloudHSM {facts.choice} policy, {policy_file})",
                    iam_changes.create_policy(
                        policy_name,
                        arn,
                        document,
                        POLICY_DESCRIPTION,
                        f"Key={MANAGED_BY_TAG['Key']},Value={MANAGED_BY_TAG['Value']}",
                    ),
                    lambda c: _create_policy(c, policy_name),
                    permissions=(
                        "iam:CreatePolicy",
                        "iam:TagPolicy",
                        "iam:GetPolicy",
                        "iam:GetPolicyVersion",
                        "iam:ListPolicyVersions",
                        "iam:DeletePolicyVersion",
                        "iam:CreatePolicyVersion",
                    ),
                )
            )
        elif facts.policy.drift:
            oldest = facts.policy.oldest_non_default
            adopted = not ctx.created_here(IamPolicy.kind, arn)
            if (facts.policy.version_count or 0) >= MAX_POLICY_VERSIONS and oldest:
                make_room = self.api(
                    "delete-oldest-policy-version",
                    f"Delete the oldest non-default version {oldest} of {policy_name} (IAM keeps at most {MAX_POLICY_VERSIONS})",
                    iam_changes.delete_policy_version(arn, oldest),
                    lambda c: _make_room_for_version(c, arn),
                    permissions=(
                        "iam:GetPolicy",
                        "iam:GetPolicyVersion",
                        "iam:ListPolicyVersions",
                        "iam:DeletePolicyVersion",
                    ),
                )
                if adopted:
                    make_room.adopting(
                        f"the customer managed policy {policy_name} was not made by hsm-setup; teardown cannot bring "
                        f"back its deleted version {oldest}"
                    )
                actions.append(make_room)
            new_version = self.api(
                "create-policy-version",
                f"Make the guide's CloudHSM {facts.choice} policy the default version of {policy_name}",
                iam_changes.create_policy_version(arn, document),
                lambda c: _ensure_expected_default(c, arn),
                permissions=(
                    "iam:GetPolicy",
                    "iam:GetPolicyVersion",
                    "iam:ListPolicyVersions",
                    "iam:DeletePolicyVersion",
                    "iam:CreatePolicyVersion",
                ),
            )
            if adopted:
                new_version.adopting(
                    f"the customer managed policy {policy_name} was not made by hsm-setup; teardown makes its version "
                    f"{facts.policy.default_version} the default again and deletes the new one",
                    policies.document_diff(facts.policy.document, policies.expected(facts.choice)),
                )
            actions.append(new_version)
        if facts.group is None:
            actions.append(
                self.api(
                    "create-group",
                    f"Create the IAM group {group}",
                    iam_changes.create_group(group),
                    lambda c: _create_group(c, group),
                    permissions=("iam:CreateGroup", "iam:GetGroup"),
                )
            )
        if not facts.policy_attached:
            attach = self.api(
                "attach-policy",
                f"Attach {policy_name} to {group}",
                iam_changes.attach_group_policy(group, arn),
                lambda c: iam_groups.attach_policy(c, group, arn),
                permissions=("iam:ListAttachedGroupPolicies", "iam:AttachGroupPolicy"),
            )
            if facts.group is not None and not ctx.created_here(IamGroup.kind, group):
                attach.adopting(iam_groups.ADOPTED_GROUP.format(group=group))
            actions.append(attach)
        for user in facts.members_to_add:
            actions.append(
                self.api(
                    f"add-user:{user}",
                    f"Add IAM user {user} to {group}",
                    iam_changes.add_user_to_group(group, user),
                    partial(iam_groups.add_user, group=group, user=user),
                    permissions=("iam:ListGroupsForUser", "iam:AddUserToGroup"),
                )
            )
        return actions


# -- read ----------------------------------------------------------------------------------
def read(ctx: StepContext) -> CloudHsmGroupFacts:
    iam = ctx.client("iam")
    group_name = str(ctx.answers["cloudhsm.iam_group"])
    policy_name = str(ctx.answers["cloudhsm.policy_name"])
    wanted_members = [str(name) for name in ctx.answers["cloudhsm.iam_members"] or []]

    # The group, its attachments and the policy are independent reads: run them side by side.
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="hsm-group-check") as pool:
        group_future = pool.submit(_read_group, iam, group_name)
        attached_future = pool.submit(iam_groups.attached_policies, iam, group_name)
        policy_future = pool.submit(_read_policy, ctx, iam, policy_name)
        group, attached, policy = group_future.result(), attached_future.result(), policy_future.result()

    # Found now, but a killed run was creating them: they are hsm-setup's (the plan no longer creates them).
    if group is not None and ctx.interrupted("cloudhsm-group:create-group"):
        ctx.record_created(IamGroup(name=group_name, arn=group.arn))
    if policy.exists and ctx.interrupted("cloudhsm-group:create-policy"):
        ctx.record_created(IamPolicy(arn=policy.arn, name=policy_name))
    members = set(group.members) if group else set()
    outside = [name for name in wanted_members if name not in members]
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="hsm-group-users") as pool:
        exists = dict(zip(outside, pool.map(lambda name: _user_exists(iam, name), outside), strict=True))
    if is_iam_mode(ctx.answers):
        # The administrative-user step, which apply runs first, creates the IAM administrator: plan adding it.
        admin = str(ctx.answers["admin.user_name"])
        if admin in exists:
            exists[admin] = True
    return CloudHsmGroupFacts(
        group_name=group_name,
        group=group,
        attached=tuple(attached),
        policy_name=policy_name,
        policy=policy,
        wanted_members=tuple(wanted_members),
        missing_users=tuple(name for name in outside if not exists[name]),
        choice=_choice(ctx),
    )


def _choice(ctx: StepContext) -> str:
    """cloudhsm.policy (validated with the answers: one of policies.POLICY_FILES)."""
    return str(ctx.answers[POLICY_KEY])


# -- judgement ----------------------------------------------------------------------------
def judge(facts: CloudHsmGroupFacts, answers: Answers) -> Verdict:
    complete = (
        facts.group is not None
        and facts.policy.exists
        and not facts.policy.drift
        and facts.policy_attached
        and not facts.members_to_add
    )
    verdict = Verdict(Status.DONE if complete else Status.INCOMPLETE)
    _judge_group(facts, verdict)
    _judge_policy(facts, verdict)
    _judge_members(facts, verdict)
    return verdict


def _judge_group(facts: CloudHsmGroupFacts, verdict: Verdict) -> None:
    name, group = facts.group_name, facts.group
    if group is None:
        verdict.add(False, f"The IAM group {name} does not exist yet.", evidence=f"iam get-group {name}: NoSuchEntity")
        return
    verdict.add(True, f"The IAM group {name} exists.", evidence=group.arn)
    if facts.policy_attached:
        verdict.add(True, f"{facts.policy_name} is attached to {name}.", evidence=facts.policy.arn)
    else:
        verdict.add(
            False,
            f"{facts.policy_name} is not attached to {name}.",
            evidence=", ".join(facts.attached) or "no attached policies",
        )
    others = [arn for arn in facts.attached if arn != facts.policy.arn]
    if others:
        verdict.add(
            False,
            f"{name} also has other policies attached; its members get more than CloudHSM needs. "
            "Review them in the IAM console.",
            evidence=", ".join(others),
            level="warning",
        )


def _judge_policy(facts: CloudHsmGroupFacts, verdict: Verdict) -> None:
    name, policy = facts.policy_name, facts.policy
    if not policy.exists:
        verdict.add(
            False,
            f"The customer managed policy {name} does not exist yet.",
            evidence=f"iam get-policy {policy.arn}: NoSuchEntity",
        )
        return
    version = policy.default_version
    if policy.drift:
        verdict.add(
            False,
            f"{name}: policy version {version} differs from the guide's CloudHSM {facts.choice} policy: "
            + "; ".join(policy.drift)
            + ".",
            evidence=f"{policy.arn} default version {version}",
        )
    else:
        verdict.add(
            True,
            f"{name}: policy version {version} allows what the guide's CloudHSM {facts.choice} policy allows.",
            evidence=f"{policy.arn} default version {version}",
        )


def _judge_members(facts: CloudHsmGroupFacts, verdict: Verdict) -> None:
    group = facts.group_name
    members = facts.group.members if facts.group else ()
    for name in facts.wanted_members:
        if name in members:
            verdict.add(True, f"IAM user {name} is in {group}.")
        elif name not in facts.missing_users:
            verdict.add(False, f"IAM user {name} is not in {group} yet.")
        else:
            # Not a plan item: hsm-setup does not create IAM users.
            verdict.add(
                False,
                f"IAM user {name} does not exist: create it first, or remove it from cloudhsm.iam_members.",
                evidence=f"iam get-user {name}: NoSuchEntity",
                level="warning",
            )


# -- reads ------------------------------------------------------------------------------
def policy_arn(ctx: StepContext, policy_name: str) -> str:
    # The partition comes from the caller's ARN, so China and GovCloud accounts get theirs.
    partition = ctx.identity.arn.split(":")[1] or "aws"
    return f"arn:{partition}:iam::{ctx.account_id}:policy/{policy_name}"


def _read_group(iam: IAMClient, name: str) -> GroupFound | None:
    try:
        members: list[str] = []
        arn = ""
        for page in iam.get_paginator("get_group").paginate(GroupName=name, PaginationConfig={"PageSize": 1000}):
            arn = str(page["Group"]["Arn"])
            members.extend(str(user["UserName"]) for user in page.get("Users", []))
    except Exception as exc:
        if not is_code(exc, "NoSuchEntity"):
            raise
        return None
    return GroupFound(arn, tuple(members))


def _read_policy(ctx: StepContext, iam: IAMClient, name: str) -> PolicyFound:
    arn = policy_arn(ctx, name)
    default = _default_version(iam, arn)
    if default is None:
        return PolicyFound(arn)
    version_id, document = default
    drift = tuple(policies.differences(document, policies.expected(_choice(ctx))))
    if not drift:
        return PolicyFound(arn, version_id)
    # Only a policy about to get a new version needs its version count.
    versions = _versions(iam, arn)
    oldest = _oldest_non_default(versions)
    return PolicyFound(
        arn, version_id, drift, len(versions), str(oldest["VersionId"]) if oldest else None, document=document
    )


def _default_version(iam: IAMClient, arn: str) -> tuple[str, object] | None:
    """The policy's default version id and document, or None when the policy does not exist."""
    try:
        response = iam.get_policy(PolicyArn=arn)
    except Exception as exc:
        if not is_code(exc, "NoSuchEntity"):
            raise
        return None
    version_id = str(require(response, "Policy", "DefaultVersionId", what="iam GetPolicy"))
    # An empty or unreadable Document is not an error here: the comparison reports it as drift.
    version = require(
        iam.get_policy_version(PolicyArn=arn, VersionId=version_id),
        "PolicyVersion",
        what="iam GetPolicyVersion",
        of=dict,
    )
    return version_id, version.get("Document")


def _versions(iam: IAMClient, arn: str) -> list[dict[str, object]]:
    versions: list[dict[str, object]] = []
    for page in iam.get_paginator("list_policy_versions").paginate(PolicyArn=arn):
        versions.extend(v for v in items(page, "Versions", what="iam ListPolicyVersions") if isinstance(v, dict))
    return versions


def _version_number(version: dict[str, object]) -> int:
    try:
        return int(str(version.get("VersionId", "")).lstrip("v"))
    except ValueError:
        return 0


def _oldest_non_default(versions: list[dict[str, object]]) -> dict[str, object] | None:
    # IAM numbers versions in creation order (v1, v2, ...), so the lowest number is the oldest.
    candidates = [v for v in versions if not v.get("IsDefaultVersion")]
    return min(candidates, key=_version_number) if candidates else None


def _user_exists(iam: IAMClient, name: str) -> bool:
    try:
        iam.get_user(UserName=name)
    except Exception as exc:
        if not is_code(exc, "NoSuchEntity"):
            raise
        return False
    return True


# -- actions (each idempotent) ------------------------------------------------------------
def _create_policy(ctx: StepContext, name: str) -> JsonObject:
    iam = ctx.client("iam")
    try:
        arn = iam.create_policy(
            PolicyName=name,
            PolicyDocument=policies.expected_text(_choice(ctx)),
            Description=POLICY_DESCRIPTION,
            Tags=[MANAGED_BY_TAG.copy()],
        )["Policy"]["Arn"]
        ctx.record_created(IamPolicy(arn=str(arn), name=name))
        outputs: JsonObject = {"policy_arn": arn}
    except Exception as exc:
        # Created by an earlier, interrupted run or by someone else: adopt it and correct its document.
        if not is_code(exc, "EntityAlreadyExists"):
            raise
        arn = policy_arn(ctx, name)
        ctx.record_if_resuming(IamPolicy(arn=arn, name=name))
        outputs = _ensure_expected_default(ctx, arn)
        outputs["policy_arn"] = arn
    ctx.remember(cloudhsm_policy_arn=arn)
    return outputs


def _make_room_for_version(ctx: StepContext, arn: str) -> JsonObject:
    """Delete the oldest non-default version when IAM's five are used, unless no new version is needed."""
    iam = ctx.client("iam")
    current = _default_version(iam, arn)
    if current is not None and not policies.differences(current[1], policies.expected(_choice(ctx))):
        return {}
    return _delete_oldest_if_full(iam, arn)


def _delete_oldest_if_full(iam: IAMClient, arn: str) -> JsonObject:
    versions = _versions(iam, arn)
    if len(versions) < MAX_POLICY_VERSIONS:
        return {}
    oldest = _oldest_non_default(versions)
    if oldest is None:  # pragma: no cover - IAM always has exactly one default among several versions
        return {}
    iam.delete_policy_version(PolicyArn=arn, VersionId=str(oldest["VersionId"]))
    return {"deleted_version": str(oldest["VersionId"])}


def _ensure_expected_default(ctx: StepContext, arn: str) -> JsonObject:
    """Make the expected document the default version; nothing to do when it already is.

    Reading the default first is what makes this safe to repeat: a run interrupted
    after CreatePolicyVersion reached AWS finds the document in place and stops.
    """
    iam = ctx.client("iam")
    current = _default_version(iam, arn)
    if current is None:
        raise _vanished(arn)
    choice = _choice(ctx)
    if not policies.differences(current[1], policies.expected(choice)):
        return {"default_version": current[0]}
    outputs = _delete_oldest_if_full(iam, arn)
    # Noted before the change (teardown makes the previous version the default again and deletes what was
    # added), so a run stopped right after IAM made the new version still leaves it on record.
    before = " ".join(sorted(str(v["VersionId"]) for v in _versions(iam, arn)))
    ctx.record_created(IamPolicyVersion(policy_arn=arn, previous_default=current[0], previous_versions=before))
    version = iam.create_policy_version(PolicyArn=arn, PolicyDocument=policies.expected_text(choice), SetAsDefault=True)
    outputs["default_version"] = version["PolicyVersion"]["VersionId"]
    ctx.remember(cloudhsm_policy_arn=arn)
    return outputs


def _vanished(arn: str) -> Exception:
    return HsmSetupError(
        f"The policy {arn} was deleted while hsm-setup was working on it.", "Run hsm-setup again to recreate it."
    )


def _create_group(ctx: StepContext, name: str) -> JsonObject:
    arn = iam_groups.create_group(ctx, name)
    ctx.remember(cloudhsm_iam_group=name)
    return {"group_arn": arn}


STEP = CloudHsmGroupStep()
