"""What the two Identity Center steps do alike with their permission set and group.

The administrators' permission set and the CloudHSM one differ in what they grant, not in how
they reach an account: each group gets its members, each permission set is provisioned again when
its policies change and assigned to its group on this account. Both steps use these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from hsm_setup.identity_center import changes
from hsm_setup.identity_center.groups import ensure_membership
from hsm_setup.identity_center.instance import IdentityCenter
from hsm_setup.identity_center.writes import ensure_account_assignment, provision_permission_set
from hsm_setup.json_types import JsonObject
from hsm_setup.steps.actions import Action
from hsm_setup.steps.base import Step
from hsm_setup.steps.context import StepContext


class GroupWork(Protocol):
    """A step's apply-time state: what is known of its permission set and group, and how to look them up."""

    ic: IdentityCenter
    group_name: str
    permission_set_arn: str | None
    group_id: str | None

    def resolve_permission_set(self, ctx: StepContext) -> str: ...

    def resolve_group(self, ctx: StepContext) -> str: ...

    def resolve_member(self, ctx: StepContext, user_name: str) -> str: ...


def add_member(ctx: StepContext, work: GroupWork, user_name: str) -> JsonObject:
    """Add the user to the group (the group and the user looked up when the action runs)."""
    created = ensure_membership(
        ctx,
        work.ic,
        group_id=work.resolve_group(ctx),
        group_name=work.group_name,
        user_id=work.resolve_member(ctx, user_name),
        user_name=user_name,
    )
    return {"membership_id": created}


def provision_again(step: Step, ps_name: str, provisioned_to: Sequence[str] | None, work: GroupWork) -> Action:
    """Provision the permission set again: accounts it is already provisioned to keep the old
    policies until it is (https://docs.aws.amazon.com/singlesignon/latest/userguide/updatepermissionset.html).
    `provisioned_to` None: the accounts could not be read."""
    ic = work.ic
    accounts = ", ".join(provisioned_to) if provisioned_to is not None else "(not readable)"
    return step.api(
        "provision-permission-set",
        f"Provision {ps_name} again to the accounts it is provisioned to: {accounts}",
        changes.provision_permission_set(ic, ps_name, work.permission_set_arn),
        lambda ctx: {"provisioned": provision_permission_set(ctx, ic, work.resolve_permission_set(ctx), ps_name)},
        permissions=(
            "sso:ListAccountsForProvisionedPermissionSet",
            "sso:ProvisionPermissionSet",
            "sso:DescribePermissionSetProvisioningStatus",
        ),
    )


def assign_to_group(step: Step, account_id: str, ps_name: str, work: GroupWork, request_key: str) -> Action:
    """Assign the permission set to the group on this account; `request_key` keeps the request's id
    across runs, so an interrupted assignment is waited for rather than made twice."""

    def assign(ctx: StepContext) -> JsonObject:
        request_id = ensure_account_assignment(
            ctx,
            work.ic,
            permission_set_arn=work.resolve_permission_set(ctx),
            principal_type="GROUP",
            principal_id=work.resolve_group(ctx),
            request_key=request_key,
            label=f"{ps_name} to the group {work.group_name}",
        )
        return {"request_id": request_id}

    return step.api(
        "assign",
        f"Assign {ps_name} to the group {work.group_name} on account {account_id}",
        changes.assign(
            work.ic,
            account_id,
            ps_name=ps_name,
            known_arn=work.permission_set_arn,
            group_name=work.group_name,
            known_group_id=work.group_id,
        ),
        assign,
        permissions=(
            "identitystore:GetGroupId",
            "sso:DescribeAccountAssignmentCreationStatus",
            "sso:ListAccountAssignmentsForPrincipal",
            "sso:CreateAccountAssignment",
        ),
    )
