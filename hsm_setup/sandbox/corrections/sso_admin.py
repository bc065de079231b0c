"""sso-admin (IAM Identity Center administration), as AWS answers it.

moto invents an ACTIVE instance in every Region, lacks CreateInstance,
DescribeInstance (with the instance's primary and additional Regions), ListRegions,
DescribeRegion, AddRegion, DescribePermissionSetProvisioningStatus and ListAccountAssignmentCreationStatus, accepts
duplicate permission sets and assignments, lets account instances hold
permission sets, and finishes asynchronous requests at once.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from .. import backends
from ..exchange import Exchange
from ..wire import Reply
from ..world import ACCOUNT_INSTANCE, AsyncRequest, InstanceRecord, new_request_id, now

SERVICE = "sso-admin"

# Operations that need no existing instance, or answer a missing one themselves.
_NO_INSTANCE_NEEDED = {
    "ListInstances",
    "CreateInstance",
    "DescribeInstance",
    "ListRegions",
    "DescribeRegion",
    "AddRegion",
}
# What an additional Region of a replicated instance answers (besides applications, which hsm-setup
# does not use): instance reads. Permission sets and assignments live in the primary Region.
# https://docs.aws.amazon.com/singlesignon/latest/userguide/api-support-in-additional-regions.html
_ADDITIONAL_REGION_OPERATIONS = {"DescribeInstance", "ListRegions", "DescribeRegion", "ListInstances"}
PERMISSION_SET_NAME = re.compile(r"^[\w+=,.@-]{1,32}$", re.ASCII)
SESSION_DURATION = re.compile(r"^PT(?:(\d{1,2})H)?(?:(\d{1,3})M)?$")


def _not_found(x: Exchange, what: str) -> Reply:
    return x.error("ResourceNotFoundException", what)


def _account_instance_refused(x: Exchange, record: InstanceRecord) -> Reply:
    return x.error(
        "ValidationException",
        f"The instance {record.arn} is an account instance of IAM Identity Center: account instances "
        "cannot hold permission sets or grant access to AWS accounts. Use an organization instance, "
        "enabled in the organization's management account.",
    )


def guard_instance(x: Exchange) -> Reply | None:
    """Any call naming an instance that does not exist in this Region fails as in AWS; in an
    additional Region of a replicated instance only instance reads are answered.

    The error AWS gives for the rest there is not documented; a ValidationException naming
    the primary Region is the practice account's stand-in.
    """
    if x.call.operation in _NO_INSTANCE_NEEDED:
        return None
    arn = x.call.param("InstanceArn")
    if arn is None:
        return None
    record = x.world.instance(arn)
    if record is None or not record.enabled_in(x.call.region):
        return _not_found(x, f"Instance {arn} does not exist in {x.call.region}.")
    if x.call.region != record.region and x.call.operation not in _ADDITIONAL_REGION_OPERATIONS:
        return x.error(
            "ValidationException",
            f"{x.call.operation} is not supported in {x.call.region}, an additional Region of this instance; "
            f"call the primary Region {record.region}.",
        )
    return None


def _visible(x: Exchange, arn: Any) -> InstanceRecord | None:
    """The instance `arn` if it is enabled in the Region called (primary or additional)."""
    record = x.world.instance(arn)
    return record if record is not None and record.enabled_in(x.call.region) else None


# -- instances ---------------------------------------------------------------------------
def list_instances(x: Exchange) -> Reply:
    """The instances enabled in the Region called; with RegionScope=ALL_REGIONS, in every Region."""
    if x.call.param("RegionScope") == "ALL_REGIONS":
        records = list(x.world.instances)
    else:
        records = x.world.instances_visible_in(x.call.region)
    return x.result({"Instances": [r.describe() for r in records]})


def create_instance(x: Exchange) -> Reply:
    if backends.is_management_account():
        return x.error(
            "ValidationException",
            "CreateInstance is not supported in an organization management account: "
            "enable IAM Identity Center in the console to create an organization instance.",
        )
    token = x.call.param("ClientToken")
    for record in x.world.instances:
        if token and record.client_token == token and record.region == x.call.region:
            return x.result({"InstanceArn": record.arn})  # a retried request: same instance
    if x.world.instances:
        existing = x.world.instances[0]
        return x.error(
            "ConflictException",
            f"This account already has an instance of IAM Identity Center ({existing.arn} in "
            f"{existing.region}); an account can have only one.",
        )
    record = new_instance(x.world.account_id, x.call.region, ACCOUNT_INSTANCE, name=x.call.param("Name"))
    record.client_token = token
    x.world.instances.append(record)
    backends.register_instance(record)
    return x.result({"InstanceArn": record.arn})


def new_instance(account_id: str, region: str, kind: str, name: str | None = None) -> InstanceRecord:
    return InstanceRecord(
        arn=f"arn:aws:sso:::instance/ssoins-{secrets.token_hex(8)}",
        identity_store_id=f"d-{secrets.token_hex(5)}",
        region=region,
        kind=kind,
        owner_account_id=account_id,
        name=name,
    )


def describe_instance(x: Exchange) -> Reply:
    """Not in moto (HTTP 500). As AWS: the instance with its PrimaryRegion and every enabled Region."""
    arn = x.call.param("InstanceArn")
    record = _visible(x, arn)
    if record is None:
        return _not_found(x, f"Instance {arn} does not exist in {x.call.region}.")
    return x.result(record.describe())


def list_regions(x: Exchange) -> Reply:
    """Not in moto. The Regions the instance is enabled in, the primary one first."""
    arn = x.call.param("InstanceArn")
    record = _visible(x, arn)
    if record is None:
        return _not_found(x, f"Instance {arn} does not exist in {x.call.region}.")
    return x.result({"Regions": record.describe()["Regions"]})


def describe_region(x: Exchange) -> Reply:
    """Not in moto. One enabled Region of the instance."""
    arn = x.call.param("InstanceArn")
    record = _visible(x, arn)
    region = str(x.call.param("RegionName", ""))
    if record is None:
        return _not_found(x, f"Instance {arn} does not exist in {x.call.region}.")
    if not record.enabled_in(region):
        return _not_found(x, f"Region {region} is not enabled for instance {arn}.")
    return x.result(record.region_metadata(region))


def add_region(x: Exchange) -> Reply:
    """Not in moto. AWS replicates only an organization instance that uses a customer managed KMS key
    and an external identity provider; the practice account has neither, so it refuses as AWS would.
    The add-identity-center-region simulation stands in for a replication made in the console.
    https://docs.aws.amazon.com/singlesignon/latest/userguide/multi-region-iam-identity-center.html
    """
    arn = x.call.param("InstanceArn")
    record = x.world.instance(arn, x.call.region)
    if record is None:
        return _not_found(x, f"Instance {arn} does not exist in {x.call.region}.")
    if record.kind == ACCOUNT_INSTANCE:
        return x.error(
            "ValidationException",
            "Only an organization instance of IAM Identity Center can be replicated to additional Regions.",
        )
    return x.error(
        "ValidationException",
        "The instance does not meet the prerequisites for additional Regions: it must be encrypted with a customer "
        "managed KMS key and connected to an external identity provider.",
    )


def delete_instance(x: Exchange) -> Reply:
    """Not in moto. The instance and what it held are gone; the account may enable Identity Center again."""
    record = x.world.instance(x.call.param("InstanceArn"), x.call.region)
    assert record is not None  # guard_instance ran first
    x.world.instances.remove(record)
    backends.unregister_instance(record)
    return x.result({})


def update_instance(x: Exchange) -> Reply | None:
    record = x.world.instance(x.call.param("InstanceArn"), x.call.region)
    if record is not None and x.call.param("Name"):
        record.name = x.call.param("Name")
    return None  # moto updates its own copy


# -- permission sets ---------------------------------------------------------------------
def create_permission_set(x: Exchange) -> Reply | None:
    record = x.world.instance(x.call.param("InstanceArn"), x.call.region)
    assert record is not None  # guard_instance ran first
    if record.kind == ACCOUNT_INSTANCE:
        return _account_instance_refused(x, record)
    name = str(x.call.param("Name", ""))
    if not PERMISSION_SET_NAME.match(name):
        return x.error(
            "ValidationException",
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
            "Member must have length between 1 and 32 and match pattern [\\w+=,.@-]+",
        )
    description = x.call.param("Description")
    if description is not None and not 1 <= len(str(description)) <= 700:
        return x.error("ValidationException", "Description must be 1 to 700 characters.")
    duration = x.call.param("SessionDuration")
    if duration is not None and not _valid_duration(str(duration)):
        return x.error(
            "ValidationException",
            f"SessionDuration '{duration}' is not valid: use an ISO-8601 duration from PT1H to PT12H.",
        )
    for permission_set in backends.sso_admin(x.call.region).permission_sets:
        if permission_set.instance_arn == record.arn and permission_set.name == name:
            return x.error("ConflictException", f"PermissionSet with name {name} already exists.")
    if duration is None:  # AWS's default; moto would store the number 3600
        return x.forward({**x.call.params, "SessionDuration": "PT1H"})
    return None


def _valid_duration(text: str) -> bool:
    match = SESSION_DURATION.match(text)
    if not match or not (match.group(1) or match.group(2)):
        return False
    minutes = int(match.group(1) or 0) * 60 + int(match.group(2) or 0)
    return 60 <= minutes <= 720


def _permission_set(x: Exchange, arn: str | None) -> Any:
    for permission_set in backends.sso_admin(x.call.region).permission_sets:
        if permission_set.instance_arn == x.call.param("InstanceArn") and permission_set.permission_set_arn == arn:
            return permission_set
    return None


def _mark_provisioned(x: Exchange, permission_set: Any) -> None:
    # AWS provisions a permission set to the account it is assigned in; moto only
    # on ProvisionPermissionSet, and once per call.
    instance = backends.moto_instance(permission_set.instance_arn, x.call.region)
    if instance is not None and permission_set not in instance.provisioned_permission_sets:
        instance.provisioned_permission_sets.append(permission_set)


# -- account assignments -----------------------------------------------------------------
def create_account_assignment(x: Exchange) -> Reply:
    record = x.world.instance(x.call.param("InstanceArn"), x.call.region)
    assert record is not None
    if record.kind == ACCOUNT_INSTANCE:
        return _account_instance_refused(x, record)
    ps_arn = x.call.param("PermissionSetArn")
    permission_set = _permission_set(x, ps_arn)
    if permission_set is None:
        return _not_found(x, f"Could not find PermissionSet with id {str(ps_arn).split('/')[-1]}")
    keys = ("TargetId", "TargetType", "PermissionSetArn", "PrincipalType", "PrincipalId")
    wanted = {k: x.call.param(k) for k in keys}
    existing = [
        a
        for a in backends.sso_admin(x.call.region).account_assignments
        if a.instance_arn == record.arn
        and (a.target_id, a.target_type, a.permission_set_arn, a.principal_type, a.principal_id)
        == tuple(wanted.values())
    ]
    if existing:
        # AWS answers a new request that succeeds and adds nothing; moto would add a duplicate.
        summary: dict[str, Any] = {**wanted, "RequestId": new_request_id(), "CreatedDate": now()}
    else:
        reply = x.forward()
        if reply.status != 200:
            return reply
        summary = dict(reply.json()["AccountAssignmentCreationStatus"])
        summary.pop("Status", None)
        summary["CreatedDate"] = now()
    _mark_provisioned(x, permission_set)
    request = AsyncRequest(summary, instance_arn=record.arn)
    x.world.assignment_requests[summary["RequestId"]] = request
    return x.result({"AccountAssignmentCreationStatus": {**summary, "Status": "IN_PROGRESS"}})


def describe_account_assignment_creation_status(x: Exchange) -> Reply:
    request_id = x.call.param("AccountAssignmentCreationRequestId")
    request = x.world.assignment_requests.get(request_id)
    if request is None:
        return _not_found(x, f"AccountAssignmentCreationRequest {request_id} does not exist.")
    return x.result({"AccountAssignmentCreationStatus": request.poll()})


def list_account_assignment_creation_status(x: Exchange) -> Reply:
    """The instance's creation requests, oldest first, optionally only those with one status; 100 a page at most.

    moto lacks it. Each listing is a status query of every request it looks at (AsyncRequest.poll): a request
    is listed IN_PROGRESS by the first query of any kind, as DescribeAccountAssignmentCreationStatus answers it.
    https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_ListAccountAssignmentCreationStatus.html
    """
    instance_arn = x.call.param("InstanceArn")
    wanted = (x.call.param("Filter") or {}).get("Status")
    fields = ("Status", "RequestId", "CreatedDate")
    listed: list[dict[str, Any]] = [
        {k: status[k] for k in fields if k in status}
        for request in x.world.assignment_requests.values()
        if request.instance_arn == instance_arn
        for status in (request.poll(),)
        if wanted is None or status["Status"] == wanted
    ]
    return x.result(_page(x, listed, "AccountAssignmentsCreationStatus"))


def _page(x: Exchange, listed: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """One page of `listed` from the request's NextToken, MaxResults long (at most 100)."""
    token = x.call.param("NextToken")
    start = int(token) if isinstance(token, str) and token.isdigit() else 0
    size = min(int(x.call.param("MaxResults") or 100), 100)
    page: dict[str, Any] = {key: listed[start : start + size]}
    if start + size < len(listed):
        page["NextToken"] = str(start + size)
    return page


# -- provisioning ------------------------------------------------------------------------
def provision_permission_set(x: Exchange) -> Reply:
    ps_arn = x.call.param("PermissionSetArn")
    permission_set = _permission_set(x, ps_arn)
    if permission_set is None:
        return _not_found(x, f"Could not find PermissionSet with id {str(ps_arn).split('/')[-1]}")
    _mark_provisioned(x, permission_set)
    summary: dict[str, Any] = {"RequestId": new_request_id(), "PermissionSetArn": ps_arn, "CreatedDate": now()}
    if x.call.param("TargetType") == "AWS_ACCOUNT":
        summary["AccountId"] = x.call.param("TargetId") or x.world.account_id
    request = AsyncRequest(summary)
    x.world.provisioning_requests[summary["RequestId"]] = request
    return x.result({"PermissionSetProvisioningStatus": {**summary, "Status": "IN_PROGRESS"}})


def describe_permission_set_provisioning_status(x: Exchange) -> Reply:
    request_id = x.call.param("ProvisionPermissionSetRequestId")
    request = x.world.provisioning_requests.get(request_id)
    if request is None:
        return _not_found(x, f"ProvisionPermissionSetRequest {request_id} does not exist.")
    return x.result({"PermissionSetProvisioningStatus": request.poll()})


HANDLERS = {
    "ListInstances": list_instances,
    "CreateInstance": create_instance,
    "DescribeInstance": describe_instance,
    "ListRegions": list_regions,
    "DescribeRegion": describe_region,
    "AddRegion": add_region,
    "DeleteInstance": delete_instance,
    "UpdateInstance": update_instance,
    "CreatePermissionSet": create_permission_set,
    "CreateAccountAssignment": create_account_assignment,
    "DescribeAccountAssignmentCreationStatus": describe_account_assignment_creation_status,
    "ListAccountAssignmentCreationStatus": list_account_assignment_creation_status,
    "ProvisionPermissionSet": provision_permission_set,
    "DescribePermissionSetProvisioningStatus": describe_permission_set_provisioning_status,
}
GUARDS = [guard_instance]
