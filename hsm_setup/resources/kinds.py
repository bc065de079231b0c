"""Every kind hsm-setup creates, in the order teardown undoes them, and reading saved notes back."""

from __future__ import annotations

from collections.abc import Mapping

from hsm_setup.resources.base import Record, UnreadableNote
from hsm_setup.resources.iam_groups import IamGroup, IamGroupMember, IamGroupPolicy
from hsm_setup.resources.iam_policies import IamPolicy, IamPolicyVersion
from hsm_setup.resources.iam_users import IamLoginProfile, IamUser
from hsm_setup.resources.identity_store import GroupMembership, IdentityCenterGroup, IdentityCenterUser
from hsm_setup.resources.organization import Organization
from hsm_setup.resources.permission_sets import (
    AccountAssignment,
    AccountAssignments,
    PermissionSet,
    PermissionSetInlinePolicy,
    PermissionSetManagedPolicy,
    PermissionSetReplacedInlinePolicy,
)
from hsm_setup.resources.service_linked_role import ServiceLinkedRole

# Dependency order: a thing is undone before what it points to.
KINDS: tuple[type[Record], ...] = (
    AccountAssignment,
    AccountAssignments,
    GroupMembership,
    IamGroupMember,
    IamGroupPolicy,
    IdentityCenterGroup,
    IamGroup,
    PermissionSetManagedPolicy,
    PermissionSetInlinePolicy,
    PermissionSetReplacedInlinePolicy,
    PermissionSet,
    IamPolicyVersion,
    IamPolicy,
    IamLoginProfile,
    IamUser,
    IdentityCenterUser,
    ServiceLinkedRole,
    Organization,
)
BY_KIND: dict[str, type[Record]] = {kind.kind: kind for kind in KINDS}
# Kinds whose removal takes their parts with them (a permission set's policies, a policy's versions).
PARENT_KINDS = frozenset(kind.part_of for kind in KINDS if kind.part_of)


def undo_rank(record: Record) -> int:
    return KINDS.index(type(record))


def record_from_note(note: Mapping[str, object]) -> Record:
    """The typed record of one saved note; UnreadableNote for a kind or a shape teardown does not know."""
    kind = BY_KIND.get(str(note.get("kind")))
    if kind is None:
        raise UnreadableNote(
            f"{note.get('kind')} {note.get('id')} (teardown cannot remove this kind yet; remove it in the console)."
        )
    return kind.from_note(note)
