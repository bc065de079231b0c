"""What exists, from a finished check: the rows of the report's "What exists" and of the summary.

Each row names its kind as the resource declarations do (hsm_setup.resources), and
says whether hsm-setup created it, from the records in the saved state. Identity
Center itself (the instance, its identity store, the access portal) is found, never
created, so its rows are made here. Makes no AWS call.
"""

from __future__ import annotations

from collections.abc import Mapping

from hsm_setup.model import StepFacts, StepResult, WantedT
from hsm_setup.resources.base import ResourceRow
from hsm_setup.resources.iam_groups import IamGroup
from hsm_setup.resources.iam_policies import IamPolicy
from hsm_setup.resources.iam_users import IamUser
from hsm_setup.resources.identity_store import IdentityCenterGroup, IdentityCenterUser
from hsm_setup.resources.permission_sets import PermissionSet
from hsm_setup.resources.service_linked_role import ServiceLinkedRole
from hsm_setup.state.account import AccountState
from hsm_setup.steps.admin_user import AdminUserFacts
from hsm_setup.steps.admin_user_iam import IamAdminFacts
from hsm_setup.steps.cloudhsm_group import CloudHsmGroupFacts
from hsm_setup.steps.identity_center import IdentityCenterFacts
from hsm_setup.steps.permission_sets import PermissionSetsFacts
from hsm_setup.steps.service_linked_role import ROLE_NAME, ServiceLinkedRoleFacts

# Found, never created: rows of their own kinds.
INSTANCE = "identity-center-instance"
IDENTITY_STORE = "identity-store"
ACCESS_PORTAL = "access-portal"


def created_by_hsm_setup(state: AccountState | None) -> set[tuple[str, str]]:
    """(kind, id) of every record in the saved state."""
    if state is None:
        return set()
    return {(str(note.get("kind")), str(note.get("id"))) for note in state.created()}


def inventory(results: Mapping[str, StepResult[StepFacts]], state: AccountState | None) -> list[ResourceRow]:
    """Every named thing the checks found, in the steps' order."""
    created = created_by_hsm_setup(state)
    rows: list[ResourceRow] = []

    def facts(step_id: str, kind: type[WantedT]) -> WantedT | None:
        result = results.get(step_id)
        return result.facts_as(kind) if result is not None else None

    ic = facts("identity-center", IdentityCenterFacts)
    if ic is not None and ic.instance is not None:
        step, instance = "identity-center", ic.instance
        rows.append(
            ResourceRow(
                step, INSTANCE, "IAM Identity Center instance", f"{ic.region} ({instance.kind} instance)", instance.arn
            )
        )
        rows.append(
            ResourceRow(step, IDENTITY_STORE, "Identity store", instance.identity_store_id, instance.identity_store_id)
        )
        rows.append(ResourceRow(step, ACCESS_PORTAL, "Access portal", "sign-in URL", ic.portal_url or ""))
    admin = facts("admin-user", AdminUserFacts)
    if admin is not None:
        if admin.user_id:
            rows.append(IdentityCenterUser.row("admin-user", admin.user_name, admin.user_id, created))
        if admin.group_id:
            rows.append(IdentityCenterGroup.row("admin-user", admin.group_name, admin.group_id, created))
        if admin.permission_set_arn:
            rows.append(PermissionSet.row("admin-user", admin.permission_set_name, admin.permission_set_arn, created))
    iam_admin = facts("admin-user", IamAdminFacts)
    if iam_admin is not None:
        if iam_admin.group_arn:
            rows.append(IamGroup.row("admin-user", iam_admin.group_name, iam_admin.group_arn, created))
        if iam_admin.user_arn:
            rows.append(IamUser.row("admin-user", iam_admin.user_name, iam_admin.user_arn, created))
    ps = facts("permission-sets", PermissionSetsFacts)
    if ps is not None:
        if ps.permission_set_arn:
            rows.append(PermissionSet.row("permission-sets", ps.permission_set_name, ps.permission_set_arn, created))
        if ps.group_id:
            rows.append(IdentityCenterGroup.row("permission-sets", ps.group_name, ps.group_id, created))
    group = facts("cloudhsm-group", CloudHsmGroupFacts)
    if group is not None:
        if group.group is not None:
            rows.append(IamGroup.row("cloudhsm-group", group.group_name, group.group.arn, created))
        if group.policy.exists:
            rows.append(IamPolicy.row("cloudhsm-group", group.policy_name, group.policy.arn, created))
    role = facts("service-linked-role", ServiceLinkedRoleFacts)
    if role is not None and role.role_arn:
        rows.append(ServiceLinkedRole.row("service-linked-role", ROLE_NAME, role.role_arn, created))
    return rows
