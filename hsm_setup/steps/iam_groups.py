"""IAM group operations shared by the steps that manage IAM groups (cloudhsm-group, and
admin-user in IAM mode). Each write is idempotent and records what it created, so a
re-run adopts instead of duplicating and teardown removes only what hsm-setup made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hsm_setup.errors import is_code
from hsm_setup.json_types import JsonObject
from hsm_setup.resources.iam_groups import IamGroup, IamGroupMember, IamGroupPolicy
from hsm_setup.steps.context import StepContext

if TYPE_CHECKING:
    from mypy_boto3_iam.client import IAMClient

# How a plan marks a change to an IAM group hsm-setup did not create.
ADOPTED_GROUP = "the IAM group {group} was not made by hsm-setup; teardown detaches only what hsm-setup attaches to it"


def attached_policies(iam: IAMClient, group: str) -> list[str]:
    """ARNs of the managed policies attached to a group; none when the group does not exist."""
    try:
        arns: list[str] = []
        for page in iam.get_paginator("list_attached_group_policies").paginate(GroupName=group):
            arns.extend(p["PolicyArn"] for p in page.get("AttachedPolicies", []))
        return arns
    except Exception as exc:
        if not is_code(exc, "NoSuchEntity"):
            raise
        return []


def create_group(ctx: StepContext, name: str) -> str:
    """Create the group, or adopt it when an earlier (maybe interrupted) run made it; its ARN."""
    iam = ctx.client("iam")
    try:
        arn = str(iam.create_group(GroupName=name)["Group"]["Arn"])
        ctx.record_created(IamGroup(name=name, arn=arn))
    except Exception as exc:
        if not is_code(exc, "EntityAlreadyExists"):
            raise
        arn = str(iam.get_group(GroupName=name, MaxItems=1)["Group"]["Arn"])
        ctx.record_if_resuming(IamGroup(name=name, arn=arn))
    return arn


def attach_policy(ctx: StepContext, group: str, policy_arn: str) -> JsonObject:
    """Attach the policy unless it is attached; only an attachment hsm-setup made is noted for teardown."""
    iam = ctx.client("iam")
    if policy_arn in attached_policies(iam, group):
        return {"attached": False}
    # Noted before the change, so a run stopped right after it still leaves teardown the attachment to undo;
    # detaching one that never happened is "already gone".
    ctx.record_created(IamGroupPolicy(group=group, policy_arn=policy_arn))
    iam.attach_group_policy(GroupName=group, PolicyArn=policy_arn)
    return {"attached": True}


def add_user(ctx: StepContext, group: str, user: str) -> JsonObject:
    """Add the user unless it is a member; only a membership hsm-setup made is noted for teardown."""
    iam = ctx.client("iam")
    # A user is in at most 10 groups: one call, however many members the group has.
    if any(g.get("GroupName") == group for g in iam.list_groups_for_user(UserName=user).get("Groups", [])):
        return {"added": False}
    ctx.record_created(IamGroupMember(group=group, user=user))
    iam.add_user_to_group(GroupName=group, UserName=user)
    return {"added": True}
