"""Step 5: an IAM group of CloudHSM administrators with a least-privilege customer managed policy.

The policy is the CloudHSM guide's administrator policy (assets/policies/cloudhsm-admin.json).
A live policy is compared with it parsed, not as text, and a drifted policy is
corrected with a new default version rather than by deleting and recreating it, so
whatever else it is attached to keeps working.

Every action re-reads what it is about to change, so an interrupted apply can be
run again without a second policy version or a failure on an existing group.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hsm_setup.steps import iam_groups, policies
from hsm_setup.steps.context import StepContext
from hsm_setup.errors import HsmSetupError, is_code, items, require
from hsm_setup.answers.fields import is_iam_mode
from hsm_setup.model import Status, StepResult
from hsm_setup.steps.actions import Action
from hsm_setup.steps.base import Step, cli
from hsm_setup.steps.grants import Condition, iam_group, iam_policy, iam_user, on

# The file name the AWS CLI commands refer to; it ships as assets/policies/cloudhsm-admin.json.
POLICY_FILE = policies.CLOUDHSM_ADMIN
MANAGED_BY_TAG = {"Key": "managed-by", "Value": "hsm-setup"}
# IAM keeps at most five versions of a managed policy.
MAX_POLICY_VERSIONS = 5
POLICY_DESCRIPTION = "CloudHSM administrators: only the permissions AWS CloudHSM needs"
GROUP = iam_group("{cloudhsm.iam_group}")
POLICY = iam_policy("{cloudhsm.policy_name}")


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
        + on(GROUP, "iam:CreateGroup", "iam:GetGroup", "iam:AddUserToGroup")
        # Only the CloudHSM policy may be attached to the group.
        + on(GROUP, "iam:AttachGroupPolicy", conditions=(Condition("ArnEquals", "iam:PolicyARN", (POLICY,)),))
    )

    # -- check ------------------------------------------------------------------------
    def check(self, ctx: StepContext) -> StepResult:
        iam = ctx.client("iam")
        group_name = str(ctx.answers["cloudhsm.iam_group"])
        policy_name = str(ctx.answers["cloudhsm.policy_name"])
        wanted_members = list(ctx.answers["cloudhsm.iam_members"] or [])

        # The group, its attachments and the policy are independent reads: run them side by side.
        with ThreadPoolExecutor(max_workers=3, thread_name_prefix="hsm-group-check") as pool:
            group_future = pool.submit(_read_group, iam, group_name)
            attached_future = pool.submit(iam_groups.attached_policies, iam, group_name)
            policy_future = pool.submit(_read_policy, ctx, iam, policy_name)
            group, attached, policy = group_future.result(), attached_future.result(), policy_future.result()

        members = set(group["members"]) if group else set()
        outside = [name for name in wanted_members if name not in members]
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="hsm-group-users") as pool:
            exists = dict(zip(outside, pool.map(lambda name: _user_exists(iam, name), outside)))
        if is_iam_mode(ctx.answers):
            # The administrative-user step, which apply runs first, creates the IAM administrator: plan adding it.
            admin = str(ctx.answers["admin.user_name"])
            if admin in exists:
                exists[admin] = True

        policy_arn = policy["arn"]
        facts: dict[str, Any] = {
            "group_name": group_name,
            "group_exists": group is not None,
            "policy_name": policy_name,
            "policy_arn": policy_arn,
            "policy_exists": policy["exists"],
            "policy_drift": policy.get("drift", []),
            "default_version": policy.get("default_version"),
            "version_count": policy.get("version_count"),
            "oldest_non_default_version": policy.get("oldest_non_default"),
            "attached": policy_arn in attached,
            "members_to_add": [name for name in outside if exists[name]],
            "unknown_members": [name for name in outside if not exists[name]],
        }
        result = self.result(Status.INCOMPLETE, facts=facts)
        self._group_findings(result, group, attached)
        self._policy_findings(result, policy)
        self._member_findings(result, wanted_members, members, exists)
        complete = (
            facts["group_exists"]
            and facts["policy_exists"]
            and not facts["policy_drift"]
            and facts["attached"]
            and not facts["members_to_add"]
        )
        if complete:
            result.status = Status.DONE
        return result

    def _group_findings(self, result: StepResult, group: dict[str, Any] | None, attached: list[str]) -> None:
        facts = result.facts
        name = facts["group_name"]
        if group is None:
            result.add(False, f"The IAM group {name} does not exist yet.", evidence=f"iam get-group {name}: NoSuchEntity")
            return
        result.facts["group_arn"] = group["arn"]
        result.add(True, f"The IAM group {name} exists.", evidence=group["arn"])
        if facts["attached"]:
            result.add(True, f"{facts['policy_name']} is attached to {name}.", evidence=facts["policy_arn"])
        else:
            result.add(False, f"{facts['policy_name']} is not attached to {name}.", evidence=", ".join(attached) or "no attached policies")
        others = [arn for arn in attached if arn != facts["policy_arn"]]
        if others:
            result.add(
                False,
                f"{name} also has other policies attached; its members get more than CloudHSM needs. "
                "Review them in the IAM console.",
                evidence=", ".join(others),
                level="warning",
            )

    def _policy_findings(self, result: StepResult, policy: dict[str, Any]) -> None:
        name, arn = result.facts["policy_name"], policy["arn"]
        if not policy["exists"]:
            result.add(False, f"The customer managed policy {name} does not exist yet.", evidence=f"iam get-policy {arn}: NoSuchEntity")
            return
        version = policy["default_version"]
        if policy["drift"]:
            result.add(
                False,
                f"{name}: policy version {version} differs from the expected document: " + "; ".join(policy["drift"]) + ".",
                evidence=f"{arn} default version {version}",
            )
        else:
            result.add(True, f"{name}: policy version {version} matches the expected document.", evidence=f"{arn} default version {version}")

    def _member_findings(self, result: StepResult, wanted: list[str], members: set[str], exists: dict[str, bool]) -> None:
        group = result.facts["group_name"]
        for name in wanted:
            if name in members:
                result.add(True, f"IAM user {name} is in {group}.")
            elif exists.get(name):
                result.add(False, f"IAM user {name} is not in {group} yet.")
            else:
                # Not a plan item: hsm-setup does not create IAM users.
                result.add(
                    False,
                    f"IAM user {name} does not exist: create it first, or remove it from cloudhsm.iam_members.",
                    evidence=f"iam get-user {name}: NoSuchEntity",
                    level="warning",
                )

    # -- plan -------------------------------------------------------------------------
    def plan(self, ctx: StepContext, result: StepResult) -> list[Action]:
        facts = result.facts
        group, policy_name, arn = facts["group_name"], facts["policy_name"], facts["policy_arn"]
        document = f"file://{POLICY_FILE}"
        actions: list[Action] = []
        if not facts["policy_exists"]:
            actions.append(
                self.api(
                    "create-policy",
                    f"Create the customer managed policy {policy_name} (the CloudHSM administrator policy, {POLICY_FILE})",
                    cli(
                        "iam", "create-policy",
                        ("--policy-name", policy_name),
                        ("--policy-document", document),
                        ("--description", POLICY_DESCRIPTION),
                        ("--tags", f"Key={MANAGED_BY_TAG['Key']},Value={MANAGED_BY_TAG['Value']}"),
                    ),
                    lambda c: _create_policy(c, policy_name),
                    permissions=(
                        "iam:CreatePolicy", "iam:TagPolicy", "iam:GetPolicy", "iam:GetPolicyVersion",
                        "iam:ListPolicyVersions", "iam:DeletePolicyVersion", "iam:CreatePolicyVersion",
                    ),
                )
            )
        elif facts["policy_drift"]:
            oldest = facts.get("oldest_non_default_version")
            if (facts.get("version_count") or 0) >= MAX_POLICY_VERSIONS and oldest:
                actions.append(
                    self.api(
                        "delete-oldest-policy-version",
                        f"Delete the oldest non-default version {oldest} of {policy_name} (IAM keeps at most {MAX_POLICY_VERSIONS})",
                        cli("iam", "delete-policy-version", ("--policy-arn", arn), ("--version-id", oldest)),
                        lambda c: _make_room_for_version(c, arn),
                        permissions=("iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:DeletePolicyVersion"),
                    )
                )
            actions.append(
                self.api(
                    "create-policy-version",
                    f"Make the expected document the default version of {policy_name}",
                    cli(
                        "iam", "create-policy-version",
                        ("--policy-arn", arn),
                        ("--policy-document", document),
                        "--set-as-default",
                    ),
                    lambda c: _ensure_expected_default(c, arn),
                    permissions=(
                        "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions",
                        "iam:DeletePolicyVersion", "iam:CreatePolicyVersion",
                    ),
                )
            )
        if not facts["group_exists"]:
            actions.append(
                self.api(
                    "create-group",
                    f"Create the IAM group {group}",
                    cli("iam", "create-group", ("--group-name", group)),
                    lambda c: _create_group(c, group),
                    permissions=("iam:CreateGroup", "iam:GetGroup"),
                )
            )
        if not facts["attached"]:
            actions.append(
                self.api(
                    "attach-policy",
                    f"Attach {policy_name} to {group}",
                    cli("iam", "attach-group-policy", ("--group-name", group), ("--policy-arn", arn)),
                    lambda c: iam_groups.attach_policy(c, group, arn),
                    permissions=("iam:AttachGroupPolicy",),
                )
            )
        for user in facts["members_to_add"]:
            actions.append(
                self.api(
                    f"add-user:{user}",
                    f"Add IAM user {user} to {group}",
                    cli("iam", "add-user-to-group", ("--group-name", group), ("--user-name", user)),
                    lambda c, user=user: iam_groups.add_user(c, group, user),
                    permissions=("iam:AddUserToGroup",),
                )
            )
        return actions


# -- reads ------------------------------------------------------------------------------
def policy_arn(ctx: StepContext, policy_name: str) -> str:
    # The partition comes from the caller's ARN, so China and GovCloud accounts get theirs.
    partition = ctx.identity.arn.split(":")[1] or "aws"
    return f"arn:{partition}:iam::{ctx.account_id}:policy/{policy_name}"


def _read_group(iam: Any, name: str) -> dict[str, Any] | None:
    try:
        members: list[str] = []
        arn = ""
        for page in iam.get_paginator("get_group").paginate(GroupName=name, PaginationConfig={"PageSize": 1000}):
            arn = page["Group"]["Arn"]
            members.extend(user["UserName"] for user in page.get("Users", []))
    except Exception as exc:
        if not is_code(exc, "NoSuchEntity"):
            raise
        return None
    return {"arn": arn, "members": members}


def _read_policy(ctx: StepContext, iam: Any, name: str) -> dict[str, Any]:
    arn = policy_arn(ctx, name)
    default = _default_version(iam, arn)
    if default is None:
        return {"arn": arn, "exists": False}
    version_id, document = default
    info: dict[str, Any] = {
        "arn": arn,
        "exists": True,
        "default_version": version_id,
        "drift": policies.differences(document, policies.expected()),
    }
    if info["drift"]:
        # Only a policy about to get a new version needs its version count.
        versions = _versions(iam, arn)
        info["version_count"] = len(versions)
        oldest = _oldest_non_default(versions)
        info["oldest_non_default"] = oldest["VersionId"] if oldest else None
    return info


def _default_version(iam: Any, arn: str) -> tuple[str, Any] | None:
    """The policy's default version id and document, or None when the policy does not exist."""
    try:
        response = iam.get_policy(PolicyArn=arn)
    except Exception as exc:
        if not is_code(exc, "NoSuchEntity"):
            raise
        return None
    version_id = str(require(response, "Policy", "DefaultVersionId", what="iam GetPolicy"))
    # An empty or unreadable Document is not an error here: the comparison reports it as drift.
    version = require(iam.get_policy_version(PolicyArn=arn, VersionId=version_id), "PolicyVersion", what="iam GetPolicyVersion", of=dict)
    return version_id, version.get("Document")


def _versions(iam: Any, arn: str) -> list[dict[str, Any]]:
    versions: list[dict[str, Any]] = []
    for page in iam.get_paginator("list_policy_versions").paginate(PolicyArn=arn):
        versions.extend(v for v in items(page, "Versions", what="iam ListPolicyVersions") if isinstance(v, dict))
    return versions


def _version_number(version: dict[str, Any]) -> int:
    try:
        return int(str(version.get("VersionId", "")).lstrip("v"))
    except ValueError:
        return 0


def _oldest_non_default(versions: list[dict[str, Any]]) -> dict[str, Any] | None:
    # IAM numbers versions in creation order (v1, v2, ...), so the lowest number is the oldest.
    candidates = [v for v in versions if not v.get("IsDefaultVersion")]
    return min(candidates, key=_version_number) if candidates else None


def _user_exists(iam: Any, name: str) -> bool:
    try:
        iam.get_user(UserName=name)
    except Exception as exc:
        if not is_code(exc, "NoSuchEntity"):
            raise
        return False
    return True


# -- actions (each idempotent) ------------------------------------------------------------
def _create_policy(ctx: StepContext, name: str) -> dict[str, Any]:
    iam = ctx.client("iam")
    try:
        arn = iam.create_policy(
            PolicyName=name,
            PolicyDocument=policies.expected_text(),
            Description=POLICY_DESCRIPTION,
            Tags=[dict(MANAGED_BY_TAG)],
        )["Policy"]["Arn"]
        ctx.record_created("iam-policy", arn, name=name)
        outputs: dict[str, Any] = {"policy_arn": arn}
    except Exception as exc:
        # Created by an earlier, interrupted run or by someone else: adopt it and correct its document.
        if not is_code(exc, "EntityAlreadyExists"):
            raise
        arn = policy_arn(ctx, name)
        outputs = _ensure_expected_default(ctx, arn)
        outputs["policy_arn"] = arn
    ctx.remember(cloudhsm_policy_arn=arn)
    return outputs


def _make_room_for_version(ctx: StepContext, arn: str) -> dict[str, Any]:
    """Delete the oldest non-default version when IAM's five are used, unless no new version is needed."""
    iam = ctx.client("iam")
    current = _default_version(iam, arn)
    if current is not None and not policies.differences(current[1], policies.expected()):
        return {}
    return _delete_oldest_if_full(iam, arn)


def _delete_oldest_if_full(iam: Any, arn: str) -> dict[str, Any]:
    versions = _versions(iam, arn)
    if len(versions) < MAX_POLICY_VERSIONS:
        return {}
    oldest = _oldest_non_default(versions)
    if oldest is None:  # pragma: no cover - IAM always has exactly one default among several versions
        return {}
    iam.delete_policy_version(PolicyArn=arn, VersionId=oldest["VersionId"])
    return {"deleted_version": oldest["VersionId"]}


def _ensure_expected_default(ctx: StepContext, arn: str) -> dict[str, Any]:
    """Make the expected document the default version; nothing to do when it already is.

    Reading the default first is what makes this safe to repeat: a run interrupted
    after CreatePolicyVersion reached AWS finds the document in place and stops.
    """
    iam = ctx.client("iam")
    current = _default_version(iam, arn)
    if current is None:
        raise _vanished(arn)
    if not policies.differences(current[1], policies.expected()):
        return {"default_version": current[0]}
    outputs = _delete_oldest_if_full(iam, arn)
    version = iam.create_policy_version(PolicyArn=arn, PolicyDocument=policies.expected_text(), SetAsDefault=True)
    outputs["default_version"] = version["PolicyVersion"]["VersionId"]
    # Undoable: teardown makes the previous version the default again and deletes this one.
    ctx.record_created("iam-policy-version", f"{arn}:{outputs['default_version']}", policy_arn=arn, version=outputs["default_version"], previous_default=current[0])
    ctx.remember(cloudhsm_policy_arn=arn)
    return outputs


def _vanished(arn: str) -> Exception:
    return HsmSetupError(f"The policy {arn} was deleted while hsm-setup was working on it.", "Run hsm-setup again to recreate it.")


def _create_group(ctx: StepContext, name: str) -> dict[str, Any]:
    arn = iam_groups.create_group(ctx, name)
    ctx.remember(cloudhsm_iam_group=name)
    return {"group_arn": arn}


STEP = CloudHsmGroupStep()
