"""Reads whose cost does not grow with the identity store or the number of permission sets.

Users and groups are found by their unique attribute (GetUserId / GetGroupId), and
permission sets through the assignments of one principal on one account, never by
listing and describing them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import msgspec

from hsm_setup.errors import ACCESS_DENIED_CODES, UnexpectedResponse, is_code, items, next_token, require
from hsm_setup.identity_center.instance import IdentityCenter, StepWork

if TYPE_CHECKING:
    from mypy_boto3_identitystore.client import IdentityStoreClient
    from mypy_boto3_sso_admin.client import SSOAdminClient
    from mypy_boto3_sso_admin.type_defs import PermissionSetTypeDef

    from hsm_setup.resources.permission_sets import PrincipalType

# Small on purpose: a check makes a handful of independent reads at a time.
READ_WORKERS = 8


# -- users, groups, memberships ------------------------------------------------------------
def find_user_id(store: IdentityStoreClient, identity_store_id: str, user_name: str) -> str | None:
    try:
        response = store.get_user_id(
            IdentityStoreId=identity_store_id,
            # The stubs type AttributeValue as a JSON document (a mapping); GetUserId takes the name as a string.
            AlternateIdentifier={"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": user_name}},  # type: ignore[typeddict-item]
        )
    except Exception as exc:
        if is_code(exc, "ResourceNotFoundException"):
            return None
        raise
    return str(require(response, "UserId", what="identitystore GetUserId"))


def find_group_id(store: IdentityStoreClient, identity_store_id: str, display_name: str) -> str | None:
    try:
        response = store.get_group_id(
            IdentityStoreId=identity_store_id,
            # As in find_user_id: the display name is a string, whatever the stubs say.
            AlternateIdentifier={"UniqueAttribute": {"AttributePath": "displayName", "AttributeValue": display_name}},  # type: ignore[typeddict-item]
        )
    except Exception as exc:
        if is_code(exc, "ResourceNotFoundException"):
            return None
        raise
    return str(require(response, "GroupId", what="identitystore GetGroupId"))


def membership_id(store: IdentityStoreClient, identity_store_id: str, group_id: str, user_id: str) -> str | None:
    try:
        response = store.get_group_membership_id(
            IdentityStoreId=identity_store_id, GroupId=group_id, MemberId={"UserId": user_id}
        )
    except Exception as exc:
        if is_code(exc, "ResourceNotFoundException"):
            return None
        raise
    return str(require(response, "MembershipId", what="identitystore GetGroupMembershipId"))


# -- permission sets -------------------------------------------------------------------
class PermissionSetInfo(msgspec.Struct, frozen=True):
    arn: str
    name: str
    description: str = ""
    session_duration: str | None = None
    # AWS managed policy ARNs, when they were read.
    managed_policies: frozenset[str] | None = None
    # The inline policy as AWS returned it ("" when there is none), when it was read.
    inline_policy: str | None = None


def describe_permission_set(sso: SSOAdminClient, instance_arn: str, arn: str) -> PermissionSetTypeDef | None:
    try:
        response = sso.describe_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn)
    except Exception as exc:
        if is_code(exc, "ResourceNotFoundException"):
            return None
        raise
    described: PermissionSetTypeDef = require(
        response, "PermissionSet", what="sso-admin DescribePermissionSet", of=dict
    )
    # Permission sets are matched by name: one read without a name would be taken for "not ours" and duplicated.
    require(described, "Name", what="sso-admin DescribePermissionSet")
    return described


def managed_policies(sso: SSOAdminClient, instance_arn: str, arn: str) -> set[str] | None:
    try:
        policies: set[str] = set()
        kwargs: dict[str, Any] = {"InstanceArn": instance_arn, "PermissionSetArn": arn}
        seen: set[str] = set()
        what = "sso-admin ListManagedPoliciesInPermissionSet"
        while True:  # at most 20 managed policies per permission set: one page in practice
            page = sso.list_managed_policies_in_permission_set(**kwargs)
            policies.update(
                str(require(p, "Arn", what=what)) for p in items(page, "AttachedManagedPolicies", what=what)
            )
            token = next_token(page, "NextToken", seen, what=what)
            if token is None:
                return policies
            kwargs["NextToken"] = token
    except Exception as exc:
        if is_code(exc, "ResourceNotFoundException"):
            return None
        raise


def inline_policy(sso: SSOAdminClient, instance_arn: str, arn: str) -> str | None:
    try:
        return str(
            sso.get_inline_policy_for_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn).get("InlinePolicy")
            or ""
        )
    except Exception as exc:
        if is_code(exc, "ResourceNotFoundException"):
            return None
        raise


def read_permission_sets(
    pool: ThreadPoolExecutor,
    sso: SSOAdminClient,
    instance_arn: str,
    arns: Iterable[str],
    *,
    managed: bool = False,
    inline: bool = False,
) -> Callable[[], dict[str, PermissionSetInfo | None]]:
    """Start reading these permission sets (each read concurrently); returns a function that waits for them.

    A permission set that no longer exists reads as None.
    """
    started: dict[
        str, tuple[Future[PermissionSetTypeDef | None], Future[set[str] | None] | None, Future[str | None] | None]
    ] = {}
    for arn in dict.fromkeys(arns):
        started[arn] = (
            pool.submit(describe_permission_set, sso, instance_arn, arn),
            pool.submit(managed_policies, sso, instance_arn, arn) if managed else None,
            pool.submit(inline_policy, sso, instance_arn, arn) if inline else None,
        )

    def gather() -> dict[str, PermissionSetInfo | None]:
        infos: dict[str, PermissionSetInfo | None] = {}
        for arn, (described, policies, document) in started.items():
            data = described.result()
            managed_arns = policies.result() if policies else None
            inline_text = document.result() if document else None
            if data is None:
                infos[arn] = None
                continue
            infos[arn] = PermissionSetInfo(
                arn=arn,
                name=data.get("Name", ""),
                description=data.get("Description", "") or "",
                session_duration=data.get("SessionDuration"),
                managed_policies=frozenset(managed_arns) if managed_arns is not None else None,
                inline_policy=inline_text,
            )
        return infos

    return gather


def find_permission_set_by_name(
    pool: ThreadPoolExecutor,
    sso: Any,
    instance_arn: str,
    name: str,
    *,
    managed: bool = False,
    inline: bool = False,
) -> PermissionSetInfo | None:
    """The permission set called `name`, looked for among all of the instance's (a listing, one page at a time)."""
    kwargs: dict[str, Any] = {"InstanceArn": instance_arn}
    seen: set[str] = set()
    what = "sso-admin ListPermissionSets"
    while True:
        page = sso.list_permission_sets(**kwargs)
        arns = [str(arn) for arn in items(page, "PermissionSets", what=what)]
        described = read_permission_sets(pool, sso, instance_arn, arns)()
        match = next((arn for arn, info in described.items() if info is not None and info.name == name), None)
        if match is not None:
            return read_permission_sets(pool, sso, instance_arn, [match], managed=managed, inline=inline)()[match]
        token = next_token(page, "NextToken", seen, what=what)
        if token is None:
            return None
        kwargs["NextToken"] = token


def provisioned_accounts(sso: Any, instance_arn: str, arn: str) -> tuple[str, ...] | None:
    """The accounts a permission set is provisioned to: a change to it reaches them once it is provisioned again.

    None when the caller may not read it: the plan then provisions again anyway, and apply's
    pre-flight names the missing permission before anything changes.
    """
    try:
        return _provisioned_accounts(sso, instance_arn, arn)
    except Exception as exc:
        if is_code(exc, *ACCESS_DENIED_CODES):
            return None
        raise


def _provisioned_accounts(sso: Any, instance_arn: str, arn: str) -> tuple[str, ...]:
    accounts: list[str] = []
    kwargs: dict[str, Any] = {"InstanceArn": instance_arn, "PermissionSetArn": arn}
    seen: set[str] = set()
    what = "sso-admin ListAccountsForProvisionedPermissionSet"
    while True:
        page = sso.list_accounts_for_provisioned_permission_set(**kwargs)
        accounts.extend(str(account) for account in items(page, "AccountIds", what=what))
        token = next_token(page, "NextToken", seen, what=what)
        if token is None:
            return tuple(dict.fromkeys(accounts))
        kwargs["NextToken"] = token


def _principal_assignments(
    sso: SSOAdminClient, instance_arn: str, principal_type: PrincipalType, principal_id: str, **narrowed: Any
) -> Iterator[dict[str, Any]]:
    """Every assignment of a user or group (ListAccountAssignmentsForPrincipal), page by page."""
    kwargs: dict[str, Any] = {
        "InstanceArn": instance_arn,
        "PrincipalId": principal_id,
        "PrincipalType": principal_type,
        **narrowed,
    }
    seen: set[str] = set()
    what = "sso-admin ListAccountAssignmentsForPrincipal"
    while True:
        page = sso.list_account_assignments_for_principal(**kwargs)
        for assignment in items(page, "AccountAssignments", what=what):
            if not isinstance(assignment, dict):
                raise UnexpectedResponse(what, "with an entry of AccountAssignments that is text, not an object")
            yield assignment
        token = next_token(page, "NextToken", seen, what=what)
        if token is None:
            return
        kwargs["NextToken"] = token


def accounts_holding(
    sso: SSOAdminClient, instance_arn: str, principal_type: PrincipalType, principal_id: str, permission_set_arn: str
) -> set[str]:
    """The accounts where a user or group holds one permission set: the principal's assignments, 100 a page
    (pages, not accounts: an organization of a thousand accounts is read in ten calls)."""
    return {
        str(a["AccountId"])
        for a in _principal_assignments(sso, instance_arn, principal_type, principal_id, MaxResults=100)
        if a.get("PermissionSetArn") == permission_set_arn and a.get("AccountId")
    }


def assigned_permission_set_arns(
    sso: SSOAdminClient, instance_arn: str, principal_type: PrincipalType, principal_id: str, account_id: str
) -> list[str]:
    """The permission sets a user or group holds on one account (one page unless it holds dozens)."""
    held = _principal_assignments(sso, instance_arn, principal_type, principal_id, Filter={"AccountId": account_id})
    arns = [
        a["PermissionSetArn"]
        for a in held
        if a.get("AccountId", account_id) == account_id and a.get("PermissionSetArn")
    ]
    return list(dict.fromkeys(arns))


# -- assignment requests -------------------------------------------------------------------
class AssignmentRequest(msgspec.Struct, frozen=True):
    """An asynchronous account assignment request, as DescribeAccountAssignmentCreationStatus tells it."""

    status: str
    request_id: str = ""
    failure_reason: str | None = None

    @classmethod
    def from_status(cls, status: dict[str, Any]) -> AssignmentRequest:
        return cls(
            str(status.get("Status", "UNKNOWN")), str(status.get("RequestId", "") or ""), status.get("FailureReason")
        )


def creation_status(sso: SSOAdminClient, instance_arn: str, request_id: str) -> dict[str, object] | None:
    what = "sso-admin DescribeAccountAssignmentCreationStatus"
    try:
        response = sso.describe_account_assignment_creation_status(
            InstanceArn=instance_arn, AccountAssignmentCreationRequestId=request_id
        )
    except Exception as exc:
        if is_code(exc, "ResourceNotFoundException"):
            return None
        raise
    status: dict[str, object] = require(response, "AccountAssignmentCreationStatus", what=what, of=dict)
    # A request without a status must not read as "no request" (which would forget it).
    require(status, "Status", what=what)
    return status


# -- one principal's access through one permission set ---------------------------------------
class AccessLookup(msgspec.Struct, frozen=True):
    """What a check learned about one principal's access through one permission set on this account."""

    principal_id: str | None = None
    permission_set: PermissionSetInfo | None = None
    # The named permission set is assigned to the principal on this account.
    assigned: bool = False
    # The last assignment request hsm-setup made, when one was saved and is not SUCCEEDED.
    request: AssignmentRequest | None = None
    # Permission sets the principal holds on this account (ARNs), for the evidence.
    held: tuple[str, ...] = ()


def look_up_access(
    work: StepWork,
    ic: IdentityCenter,
    *,
    permission_set_name: str,
    saved_arn_key: str,
    request_key: str,
    principal_type: PrincipalType,
    find_principal: Callable[[], str | None],
    managed: bool = False,
    inline: bool = False,
    extra: Iterable[Callable[[], str | None]] = (),
    then: Callable[[str | None, list[str | None]], Iterable[Callable[[], str | None]]] | None = None,
) -> tuple[AccessLookup, list[str | None], list[str | None]]:
    """Find a principal, the permission set named `permission_set_name`, and whether one is assigned the other.

    Three sequential rounds at most, whatever the store's size:
    1. the principal's id (GetUserId/GetGroupId), the saved permission set, the saved request, and `extra`;
    2. the principal's assignments on this account, beside the reads `then(principal_id, extra results)` asks for;
    3. only when the saved permission set is not the one: the few permission sets the principal holds.
    Returns the lookup, the results of `extra` and the results of `then`, in order.
    """
    sso = ic.sso(work)
    saved_arn = work.saved(saved_arn_key)
    request_id = work.saved(request_key)
    account_id = work.account_id
    with ThreadPoolExecutor(max_workers=READ_WORKERS, thread_name_prefix="hsm-read") as pool:
        # Round 1.
        principal_f = pool.submit(find_principal)
        saved_read = read_permission_sets(
            pool, sso, ic.instance_arn, [saved_arn] if saved_arn else [], managed=managed, inline=inline
        )
        request_f = pool.submit(creation_status, sso, ic.instance_arn, request_id) if request_id else None
        extra_fs = [pool.submit(call) for call in extra]

        # Round 2.
        principal_id = principal_f.result()
        held_f = (
            pool.submit(assigned_permission_set_arns, sso, ic.instance_arn, principal_type, principal_id, account_id)
            if principal_id
            else None
        )
        extras = [future.result() for future in extra_fs]
        then_fs = [pool.submit(call) for call in (then(principal_id, extras) if then else ())]
        held = held_f.result() if held_f else []

        # Round 3, only when needed.
        saved = saved_read().get(saved_arn) if saved_arn else None
        if saved_arn and saved is None:
            work.forget(saved_arn_key)  # deleted outside hsm-setup: look for it afresh
        permission_set: PermissionSetInfo | None
        if saved is not None and saved.name == permission_set_name:
            permission_set = saved
        else:
            candidates = [arn for arn in held if arn != saved_arn]
            infos = read_permission_sets(pool, sso, ic.instance_arn, candidates, managed=managed, inline=inline)()
            permission_set = next(
                (info for info in infos.values() if info is not None and info.name == permission_set_name), None
            )
            if permission_set is None:
                # Not held by the principal: one of that name made elsewhere (by hand, by a landing zone) would be
                # adopted by apply, so the plan must know it. Only a step that is not done gets here.
                permission_set = find_permission_set_by_name(
                    pool, sso, ic.instance_arn, permission_set_name, managed=managed, inline=inline
                )
            if permission_set is not None:
                work.remember(**{saved_arn_key: permission_set.arn})
        assigned = permission_set is not None and permission_set.arn in held
        request: AssignmentRequest | None = None
        if request_f is not None:
            found = request_f.result()
            status = (found or {}).get("Status")
            # A failed request is history once the assignment exists after all (a later run made it).
            if status in (None, "SUCCEEDED") or (status == "FAILED" and assigned):
                work.forget(request_key)
            elif found is not None:
                request = AssignmentRequest.from_status(found)
        thens = [future.result() for future in then_fs]
    lookup = AccessLookup(principal_id, permission_set, assigned, request, tuple(held))
    return lookup, extras, thens
