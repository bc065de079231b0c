"""IAM Identity Center reads and writes the admin-user and permission-sets steps share.

Every read here costs the same number of calls whatever the size of the identity
store or the number of permission sets: users and groups are found by their unique
attribute (GetUserId / GetGroupId), and permission sets through the assignments of
one principal on one account, never by listing and describing them all.

Every write is idempotent: it reads first, adopts what already exists, and saves
the ids it learns so an interrupted run can pick up where it stopped.
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from hsm_setup.steps.context import StepContext
from hsm_setup.errors import HsmSetupError, UnexpectedResponse, is_code, items, known_status, next_token, require
from hsm_setup.model import Status, StepResult

MANAGED_BY_TAG = {"Key": "managed-by", "Value": "hsm-setup"}
# Small on purpose: a check makes a handful of independent reads at a time.
READ_WORKERS = 8
# Polling an asynchronous Identity Center request: 0.5, 1, 2, 4, 8, 15, 15... seconds, at most ~5 minutes.
FIRST_POLL_DELAY = 0.5
MAX_POLL_DELAY = 15.0
MAX_POLL_WAIT = 300.0
# ConflictException while another change to the same permission set is in flight: 2, 4, 8, 16, 32 s.
CONFLICT_ATTEMPTS = 6
FIRST_CONFLICT_DELAY = 2.0
# The statuses of an asynchronous Identity Center request; any other stops the wait with an explanation.
REQUEST_STATUSES = ("IN_PROGRESS", "FAILED", "SUCCEEDED")


# -- where Identity Center is ------------------------------------------------------------
@dataclass(frozen=True)
class IdentityCenter:
    """The instance the identity-center step found, as its dependents see it."""

    instance_arn: str
    identity_store_id: str
    region: str
    portal_url: str

    @classmethod
    def from_ctx(cls, ctx: StepContext) -> "IdentityCenter | None":
        arn = ctx.fact("identity-center", "instance_arn")
        store = ctx.fact("identity-center", "identity_store_id")
        region = ctx.fact("identity-center", "region")
        if not (arn and store and region):
            return None
        return cls(arn, store, region, ctx.fact("identity-center", "portal_url") or portal_url(store))

    def sso(self, ctx: StepContext) -> Any:
        return ctx.client("sso-admin", self.region)

    def store(self, ctx: StepContext) -> Any:
        return ctx.client("identitystore", self.region)


def portal_url(identity_store_id: str) -> str:
    return f"https://{identity_store_id}.awsapps.com/start"


def console_url(region: str, fragment: str = "") -> str:
    return f"https://console.aws.amazon.com/singlesignon/home?region={region}#/{fragment}"


def waiting_for_identity_center(step: Any) -> StepResult:
    """The result of a dependent step checked before Identity Center was found."""
    result = StepResult(step.id, Status.BLOCKED, blocked_by=["identity-center"])
    result.add(False, "Waiting for identity-center: this step needs an organization instance of IAM Identity Center first.")
    return result


# -- users, groups, memberships ------------------------------------------------------------
def find_user_id(store: Any, identity_store_id: str, user_name: str) -> str | None:
    try:
        response = store.get_user_id(
            IdentityStoreId=identity_store_id,
            AlternateIdentifier={"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": user_name}},
        )
    except Exception as exc:
        if is_code(exc, "ResourceNotFoundException"):
            return None
        raise
    return str(require(response, "UserId", what="identitystore GetUserId"))


def find_group_id(store: Any, identity_store_id: str, display_name: str) -> str | None:
    try:
        response = store.get_group_id(
            IdentityStoreId=identity_store_id,
            AlternateIdentifier={"UniqueAttribute": {"AttributePath": "displayName", "AttributeValue": display_name}},
        )
    except Exception as exc:
        if is_code(exc, "ResourceNotFoundException"):
            return None
        raise
    return str(require(response, "GroupId", what="identitystore GetGroupId"))


def membership_id(store: Any, identity_store_id: str, group_id: str, user_id: str) -> str | None:
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
@dataclass
class PermissionSetInfo:
    arn: str
    name: str
    description: str = ""
    session_duration: str | None = None
    # AWS managed policy ARNs, when they were read.
    managed_policies: set[str] | None = None
    # The inline policy as AWS returned it ("" when there is none), when it was read.
    inline_policy: str | None = None


def _describe_permission_set(sso: Any, instance_arn: str, arn: str) -> dict[str, Any] | None:
    try:
        response = sso.describe_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn)
    except Exception as exc:
        if is_code(exc, "ResourceNotFoundException"):
            return None
        raise
    described = require(response, "PermissionSet", what="sso-admin DescribePermissionSet", of=dict)
    # Permission sets are matched by name: one read without a name would be taken for "not ours" and duplicated.
    require(described, "Name", what="sso-admin DescribePermissionSet")
    return described


def _managed_policies(sso: Any, instance_arn: str, arn: str) -> set[str] | None:
    try:
        policies: set[str] = set()
        kwargs: dict[str, Any] = {"InstanceArn": instance_arn, "PermissionSetArn": arn}
        seen: set[str] = set()
        what = "sso-admin ListManagedPoliciesInPermissionSet"
        while True:  # at most 20 managed policies per permission set: one page in practice
            page = sso.list_managed_policies_in_permission_set(**kwargs)
            policies.update(str(require(p, "Arn", what=what)) for p in items(page, "AttachedManagedPolicies", what=what))
            token = next_token(page, "NextToken", seen, what=what)
            if token is None:
                return policies
            kwargs["NextToken"] = token
    except Exception as exc:
        if is_code(exc, "ResourceNotFoundException"):
            return None
        raise


def _inline_policy(sso: Any, instance_arn: str, arn: str) -> str | None:
    try:
        return sso.get_inline_policy_for_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn).get("InlinePolicy") or ""
    except Exception as exc:
        if is_code(exc, "ResourceNotFoundException"):
            return None
        raise


def read_permission_sets(
    pool: ThreadPoolExecutor,
    sso: Any,
    instance_arn: str,
    arns: Iterable[str],
    *,
    managed: bool = False,
    inline: bool = False,
) -> "Callable[[], dict[str, PermissionSetInfo | None]]":
    """Start reading these permission sets (each read concurrently); returns a function that waits for them.

    A permission set that no longer exists reads as None.
    """
    started: dict[str, tuple[Future[Any], Future[Any] | None, Future[Any] | None]] = {}
    for arn in dict.fromkeys(arns):
        started[arn] = (
            pool.submit(_describe_permission_set, sso, instance_arn, arn),
            pool.submit(_managed_policies, sso, instance_arn, arn) if managed else None,
            pool.submit(_inline_policy, sso, instance_arn, arn) if inline else None,
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
                managed_policies=managed_arns,
                inline_policy=inline_text,
            )
        return infos

    return gather


def assigned_permission_set_arns(sso: Any, instance_arn: str, principal_type: str, principal_id: str, account_id: str) -> list[str]:
    """The permission sets a user or group holds on one account (one page unless it holds dozens)."""
    arns: list[str] = []
    kwargs: dict[str, Any] = {
        "InstanceArn": instance_arn,
        "PrincipalId": principal_id,
        "PrincipalType": principal_type,
        "Filter": {"AccountId": account_id},
    }
    seen: set[str] = set()
    what = "sso-admin ListAccountAssignmentsForPrincipal"
    while True:
        page = sso.list_account_assignments_for_principal(**kwargs)
        for assignment in items(page, "AccountAssignments", what=what):
            if not isinstance(assignment, dict):
                raise UnexpectedResponse(what, "with an entry of AccountAssignments that is text, not an object")
            if assignment.get("AccountId", account_id) == account_id and assignment.get("PermissionSetArn"):
                arns.append(assignment["PermissionSetArn"])
        token = next_token(page, "NextToken", seen, what=what)
        if token is None:
            return list(dict.fromkeys(arns))
        kwargs["NextToken"] = token


def creation_status(sso: Any, instance_arn: str, request_id: str) -> dict[str, Any] | None:
    what = "sso-admin DescribeAccountAssignmentCreationStatus"
    try:
        response = sso.describe_account_assignment_creation_status(
            InstanceArn=instance_arn, AccountAssignmentCreationRequestId=request_id
        )
    except Exception as exc:
        if is_code(exc, "ResourceNotFoundException"):
            return None
        raise
    status = require(response, "AccountAssignmentCreationStatus", what=what, of=dict)
    # A request without a status must not read as "no request" (which would forget it).
    require(status, "Status", what=what)
    return status


@dataclass
class AccessLookup:
    """What a check learned about one principal's access through one permission set on this account."""

    principal_id: str | None = None
    permission_set: PermissionSetInfo | None = None
    # The named permission set is assigned to the principal on this account.
    assigned: bool = False
    # The last assignment request hsm-setup made, when one was saved: IN_PROGRESS, FAILED...
    request: dict[str, Any] | None = None
    # Permission sets the principal holds on this account (ARNs), for the evidence.
    held: list[str] = field(default_factory=list)


def look_up_access(
    ctx: StepContext,
    ic: IdentityCenter,
    *,
    permission_set_name: str,
    saved_arn_key: str,
    request_key: str,
    principal_type: str,
    find_principal: Callable[[], str | None],
    managed: bool = False,
    inline: bool = False,
    extra: Iterable[Callable[[], Any]] = (),
    then: Callable[[str | None, list[Any]], Iterable[Callable[[], Any]]] | None = None,
) -> tuple[AccessLookup, list[Any], list[Any]]:
    """Find a principal, the permission set named `permission_set_name`, and whether one is assigned the other.

    Three sequential rounds at most, whatever the store's size:
    1. the principal's id (GetUserId/GetGroupId), the saved permission set, the saved request, and `extra`;
    2. the principal's assignments on this account, beside the reads `then(principal_id, extra results)` asks for;
    3. only when the saved permission set is not the one: the few permission sets the principal holds.
    Returns the lookup, the results of `extra` and the results of `then`, in order.
    """
    sso = ic.sso(ctx)
    saved_arn = ctx.saved(saved_arn_key)
    request_id = ctx.saved(request_key)
    account_id = ctx.account_id
    lookup = AccessLookup()
    with ThreadPoolExecutor(max_workers=READ_WORKERS, thread_name_prefix="hsm-read") as pool:
        # Round 1.
        principal_f = pool.submit(find_principal)
        saved_read = read_permission_sets(pool, sso, ic.instance_arn, [saved_arn] if saved_arn else [], managed=managed, inline=inline)
        request_f = pool.submit(creation_status, sso, ic.instance_arn, request_id) if request_id else None
        extra_fs = [pool.submit(call) for call in extra]

        # Round 2.
        lookup.principal_id = principal_f.result()
        held_f = (
            pool.submit(assigned_permission_set_arns, sso, ic.instance_arn, principal_type, lookup.principal_id, account_id)
            if lookup.principal_id
            else None
        )
        extras = [future.result() for future in extra_fs]
        then_fs = [pool.submit(call) for call in (then(lookup.principal_id, extras) if then else ())]
        lookup.held = held_f.result() if held_f else []

        # Round 3, only when needed.
        saved = saved_read().get(saved_arn) if saved_arn else None
        if saved_arn and saved is None:
            ctx.forget(saved_arn_key)  # deleted outside hsm-setup: look for it afresh
        if saved is not None and saved.name == permission_set_name:
            lookup.permission_set = saved
        else:
            candidates = [arn for arn in lookup.held if arn != saved_arn]
            infos = read_permission_sets(pool, sso, ic.instance_arn, candidates, managed=managed, inline=inline)()
            lookup.permission_set = next(
                (info for info in infos.values() if info is not None and info.name == permission_set_name), None
            )
            if lookup.permission_set is not None:
                ctx.remember(**{saved_arn_key: lookup.permission_set.arn})
        if lookup.permission_set is not None:
            lookup.assigned = lookup.permission_set.arn in lookup.held
        if request_f is not None:
            lookup.request = request_f.result()
            status = (lookup.request or {}).get("Status")
            # A failed request is history once the assignment exists after all (a later run made it).
            if status in (None, "SUCCEEDED") or (status == "FAILED" and lookup.assigned):
                ctx.forget(request_key)
                lookup.request = None
        thens = [future.result() for future in then_fs]
    return lookup, extras, thens


def request_finding(request: dict[str, Any]) -> tuple[str, str]:
    """A message and evidence for an assignment request that is not SUCCEEDED."""
    status = request.get("Status", "UNKNOWN")
    evidence = f"DescribeAccountAssignmentCreationStatus {request.get('RequestId', '')}: Status = {status}".strip()
    if status == "FAILED":
        reason = request.get("FailureReason") or "AWS gave no reason"
        return f"The last account assignment failed: {reason}", evidence
    if status not in REQUEST_STATUSES:
        return (
            f"AWS reports the last account assignment request as {status}, a status hsm-setup does not know; "
            "apply looks at the assignment again.",
            evidence,
        )
    return "The account assignment is still being provisioned; it takes a minute or two.", evidence


# -- writes ------------------------------------------------------------------------------
def create_or_adopt_permission_set(
    ctx: StepContext,
    ic: IdentityCenter,
    *,
    name: str,
    description: str,
    session_duration: str,
    known_arn: str | None,
    saved_arn_key: str,
) -> str:
    """The ARN of the permission set `name`: the one already known, else a new one, else the existing one."""
    sso = ic.sso(ctx)
    # Re-read before writing: an interrupted run may have created it already.
    for arn in dict.fromkeys(a for a in (known_arn, ctx.saved(saved_arn_key)) if a):
        described = _describe_permission_set(sso, ic.instance_arn, arn)
        if described is not None and described.get("Name") == name:
            ctx.remember(**{saved_arn_key: arn})
            return arn
    try:
        created = sso.create_permission_set(
            InstanceArn=ic.instance_arn,
            Name=name,
            Description=description,
            SessionDuration=session_duration,
            Tags=[dict(MANAGED_BY_TAG)],
        )["PermissionSet"]
        arn = created["PermissionSetArn"]
        ctx.record_created("permission-set", arn, name=name, instance_arn=ic.instance_arn, region=ic.region)
    except Exception as exc:
        # ConflictException: a permission set with this name exists but nothing pointed to it.
        if not is_code(exc, "ConflictException"):
            raise
        arn = find_permission_set_by_listing(sso, ic.instance_arn, name)
        if arn is None:
            raise
    ctx.remember(**{saved_arn_key: arn})
    return arn


def find_permission_set_by_listing(sso: Any, instance_arn: str, name: str) -> str | None:
    """Only for adopting after CreatePermissionSet said the name exists: this grows with the instance."""
    kwargs: dict[str, Any] = {"InstanceArn": instance_arn}
    while True:
        page = sso.list_permission_sets(**kwargs)
        for arn in page.get("PermissionSets", []):
            described = _describe_permission_set(sso, instance_arn, arn)
            if described is not None and described.get("Name") == name:
                return arn
        if not page.get("NextToken"):
            return None
        kwargs["NextToken"] = page["NextToken"]


def attach_managed_policy(ctx: StepContext, ic: IdentityCenter, permission_set_arn: str, policy_arn: str) -> bool:
    """Attach an AWS managed policy; False when it was attached already."""
    sso = ic.sso(ctx)
    attached = _managed_policies(sso, ic.instance_arn, permission_set_arn) or set()
    if policy_arn in attached:
        return False
    try:
        sso.attach_managed_policy_to_permission_set(
            InstanceArn=ic.instance_arn, PermissionSetArn=permission_set_arn, ManagedPolicyArn=policy_arn
        )
    except Exception as exc:
        if not is_code(exc, "ConflictException"):  # attached meanwhile
            raise
        return False
    ctx.record_created(
        "permission-set-managed-policy", f"{permission_set_arn}|{policy_arn}",
        permission_set_arn=permission_set_arn, policy_arn=policy_arn, instance_arn=ic.instance_arn, region=ic.region,
    )
    return True


def put_inline_policy(ctx: StepContext, ic: IdentityCenter, permission_set_arn: str, document: dict[str, Any]) -> bool:
    """Set the inline policy; False when the live one already allows exactly this."""
    from hsm_setup.steps.policies import differences

    sso = ic.sso(ctx)
    live = _inline_policy(sso, ic.instance_arn, permission_set_arn)
    if live and not differences(live, document):
        return False
    text = json.dumps(document, separators=(",", ":"), sort_keys=True)
    retry_on_conflict(
        ctx,
        lambda: sso.put_inline_policy_to_permission_set(
            InstanceArn=ic.instance_arn, PermissionSetArn=permission_set_arn, InlinePolicy=text
        ),
        "Updating the inline policy",
    )
    if not live:
        ctx.record_created(
            "permission-set-inline-policy", permission_set_arn,
            permission_set_arn=permission_set_arn, instance_arn=ic.instance_arn, region=ic.region,
        )
    return True


def retry_on_conflict(ctx: StepContext, call: Callable[[], Any], what: str) -> Any:
    """Retry a call AWS refuses with ConflictException while another change to the permission set runs."""
    delay = FIRST_CONFLICT_DELAY
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            return call()
        except Exception as exc:
            if not is_code(exc, "ConflictException") or attempt == CONFLICT_ATTEMPTS:
                raise
            ctx.progress(
                f"{what}: another change to this permission set is in progress; "
                f"trying again in {delay:.0f} s (attempt {attempt + 1} of {CONFLICT_ATTEMPTS})"
            )
            ctx.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


def wait_for(
    ctx: StepContext,
    first: dict[str, Any],
    describe: Callable[[str], dict[str, Any]],
    what: str,
    calls: tuple[str, str] = ("sso-admin", "sso-admin"),
) -> dict[str, Any]:
    """Poll an asynchronous request until SUCCEEDED; FAILED raises with AWS's reason.

    `first` is the status the starting call returned; `describe(request_id)` reads it again.
    `calls` names the call that gave `first` and the one `describe` makes, for a status
    hsm-setup does not know.
    """
    answered_by = calls[0]
    status = first
    delay = FIRST_POLL_DELAY
    waited = 0.0
    while True:
        # Only SUCCEEDED is success; a status hsm-setup does not know stops the wait rather than polling on.
        state = known_status(status.get("Status") if isinstance(status, dict) else None, REQUEST_STATUSES, what=answered_by)
        if state == "SUCCEEDED":
            return status
        if state == "FAILED":
            reason = status.get("FailureReason") or "AWS gave no reason"
            raise HsmSetupError(f"{what} failed: {reason}", "Fix the cause AWS gives and run apply again; progress is kept.")
        if waited >= MAX_POLL_WAIT:
            raise HsmSetupError(
                f"{what} is still {str(state).lower().replace('_', ' ')} after {waited:.0f} s (request {status.get('RequestId')}).",
                "Run `hsm-setup check` in a few minutes: hsm-setup remembers the request and checks it.",
            )
        ctx.progress(f"{what}: {str(state).lower().replace('_', ' ')}; checking again in {delay:.0f} s")
        ctx.sleep(delay)
        waited += delay
        delay = min(delay * 2, MAX_POLL_DELAY)
        status = describe(str(require(status, "RequestId", what=answered_by)))
        answered_by = calls[1]


def ensure_account_assignment(
    ctx: StepContext,
    ic: IdentityCenter,
    *,
    permission_set_arn: str,
    principal_type: str,
    principal_id: str,
    request_key: str,
    label: str,
) -> str:
    """Assign the permission set to the principal on this account and wait until it is provisioned.

    Reads first: AWS (and the practice account) may accept a duplicate assignment,
    so an interrupted run must not create a second one. Returns the request id, or
    "" when the assignment already existed.
    """
    sso = ic.sso(ctx)
    account_id = ctx.account_id

    def describe(request_id: str) -> dict[str, Any]:
        found = creation_status(sso, ic.instance_arn, request_id)
        if found is None:
            raise HsmSetupError(f"AWS no longer knows the assignment request {request_id}.", "Run apply again.")
        return found

    saved_request = ctx.saved(request_key)
    if saved_request:
        status = creation_status(sso, ic.instance_arn, saved_request)
        if status is not None and status.get("Status") == "IN_PROGRESS":
            wait_for(ctx, status, describe, f"Assigning {label}", ("sso-admin DescribeAccountAssignmentCreationStatus",) * 2)
            ctx.forget(request_key)
            return saved_request
    if permission_set_arn in assigned_permission_set_arns(sso, ic.instance_arn, principal_type, principal_id, account_id):
        ctx.forget(request_key)
        return ""
    response = retry_on_conflict(
        ctx,
        lambda: sso.create_account_assignment(
            InstanceArn=ic.instance_arn,
            TargetId=account_id,
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=permission_set_arn,
            PrincipalType=principal_type,
            PrincipalId=principal_id,
        ),
        f"Assigning {label}",
    )
    status = require(response, "AccountAssignmentCreationStatus", what="sso-admin CreateAccountAssignment", of=dict)
    ctx.record_created(
        "account-assignment", f"{permission_set_arn}|{principal_type}|{principal_id}|{account_id}",
        permission_set_arn=permission_set_arn, principal_type=principal_type, principal_id=principal_id,
        account_id=account_id, instance_arn=ic.instance_arn, region=ic.region, label=label,
    )
    # Saved before waiting: a run stopped mid-wait leaves the request for the next check to follow.
    ctx.remember(**{request_key: status.get("RequestId")})
    wait_for(ctx, status, describe, f"Assigning {label}", ("sso-admin CreateAccountAssignment", "sso-admin DescribeAccountAssignmentCreationStatus"))
    ctx.forget(request_key)
    return str(status.get("RequestId", ""))


def provision_permission_set(ctx: StepContext, ic: IdentityCenter, permission_set_arn: str, label: str) -> bool:
    """Push a changed permission set to every account it is provisioned to; False when it is provisioned nowhere."""
    sso = ic.sso(ctx)
    accounts = sso.list_accounts_for_provisioned_permission_set(
        InstanceArn=ic.instance_arn, PermissionSetArn=permission_set_arn
    ).get("AccountIds", [])
    if not accounts:
        return False  # the first account assignment provisions it
    response = retry_on_conflict(
        ctx,
        lambda: sso.provision_permission_set(
            InstanceArn=ic.instance_arn, PermissionSetArn=permission_set_arn, TargetType="ALL_PROVISIONED"
        ),
        f"Provisioning {label}",
    )

    def describe(request_id: str) -> dict[str, Any]:
        return require(
            sso.describe_permission_set_provisioning_status(InstanceArn=ic.instance_arn, ProvisionPermissionSetRequestId=request_id),
            "PermissionSetProvisioningStatus",
            what="sso-admin DescribePermissionSetProvisioningStatus",
            of=dict,
        )

    first = require(response, "PermissionSetProvisioningStatus", what="sso-admin ProvisionPermissionSet", of=dict)
    wait_for(ctx, first, describe, f"Provisioning {label}", ("sso-admin ProvisionPermissionSet", "sso-admin DescribePermissionSetProvisioningStatus"))
    return True


# -- how the plan shows these calls --------------------------------------------------------
def sso_cli(ic: IdentityCenter | None, region: str, command: str, *args: tuple[str, Any] | str) -> str:
    from hsm_setup.steps.base import cli  # here, not at the top: the steps package imports this module
    base: list[tuple[str, Any] | str] = [("--region", region)]
    if ic is not None:
        base.append(("--instance-arn", ic.instance_arn))
    return cli("sso-admin", command, *base, *args)


def store_cli(ic: IdentityCenter, command: str, *args: tuple[str, Any] | str) -> str:
    from hsm_setup.steps.base import cli
    return cli("identitystore", command, ("--region", ic.region), ("--identity-store-id", ic.identity_store_id), *args)


def as_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def placeholder(what: str) -> str:
    """A value the plan cannot know yet (an id AWS assigns when an earlier action runs)."""
    return f"<{what}>"
