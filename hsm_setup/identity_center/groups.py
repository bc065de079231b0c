"""Identity Center groups and memberships, each change idempotent: read first, adopt what exists,
record what is created (for teardown, the report and the export)."""

from __future__ import annotations

from hsm_setup.errors import is_code
from hsm_setup.identity_center.instance import IdentityCenter, StepWork
from hsm_setup.identity_center.reads import find_group_id, membership_id
from hsm_setup.resources.identity_store import GroupMembership, IdentityCenterGroup


def ensure_group(work: StepWork, ic: IdentityCenter, name: str, description: str) -> str:
    """The id of the group `name`: the existing one (an interrupted run, or someone else's), else a new one."""
    store = ic.store(work)
    group_id = find_group_id(store, ic.identity_store_id, name)
    if group_id is not None:
        # Found by the create itself: hsm-setup's when an interrupted run was making it.
        work.record_if_resuming(
            IdentityCenterGroup(group_id=group_id, name=name, identity_store_id=ic.identity_store_id, region=ic.region)
        )
        return group_id
    try:
        created = str(
            store.create_group(IdentityStoreId=ic.identity_store_id, DisplayName=name, Description=description)[
                "GroupId"
            ]
        )
    except Exception as exc:
        # Made meanwhile (display names are unique in a store): adopt it.
        adopted = find_group_id(store, ic.identity_store_id, name) if is_code(exc, "ConflictException") else None
        if adopted is None:
            raise
        return adopted
    work.record_created(
        IdentityCenterGroup(group_id=created, name=name, identity_store_id=ic.identity_store_id, region=ic.region)
    )
    return created


def ensure_membership(
    work: StepWork, ic: IdentityCenter, *, group_id: str, group_name: str, user_id: str, user_name: str
) -> str:
    """The membership id of the user in the group, adding it when it is not a member yet."""
    store = ic.store(work)

    def membership(membership_id: str) -> GroupMembership:
        return GroupMembership(
            membership_id=membership_id,
            group=group_name,
            group_id=group_id,
            user=user_name,
            identity_store_id=ic.identity_store_id,
            region=ic.region,
        )

    existing = membership_id(store, ic.identity_store_id, group_id, user_id)
    if existing:
        # Found by the add itself: hsm-setup's when an interrupted run was adding it.
        work.record_if_resuming(membership(existing))
        return existing
    try:
        created = str(
            store.create_group_membership(
                IdentityStoreId=ic.identity_store_id, GroupId=group_id, MemberId={"UserId": user_id}
            )["MembershipId"]
        )
    except Exception as exc:
        if not is_code(exc, "ConflictException"):  # already a member
            raise
        return membership_id(store, ic.identity_store_id, group_id, user_id) or ""
    work.record_created(membership(created))
    return created
