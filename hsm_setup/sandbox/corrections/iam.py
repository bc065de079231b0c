"""IAM, as AWS answers it for the practice account.

moto knows no root user (AccountMFAEnabled is always 0, the credential report
has no root row), dates every credential report 2015, names the CloudHSM
service-linked role AWSServiceRoleForcloudhsm, deletes that role even while a
CloudHSM cluster uses it, accepts names of any length, and lacks
ListOrganizationsFeatures (centrally managed root access).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from .. import backends
from ..exchange import Exchange
from ..wire import Reply
from ..world import now

SERVICE = "iam"

ROOT_MFA_SERIAL = "arn:aws:iam::{account}:mfa/root-account-mfa-device"
CLOUDHSM_SERVICE = "cloudhsm.amazonaws.com"
CLOUDHSM_ROLE = "AWSServiceRoleForCloudHSM"
MOTO_CLOUDHSM_ROLE = "AWSServiceRoleForcloudhsm"
# AWS regenerates a credential report once the last one is older than this.
REPORT_LIFETIME = dt.timedelta(hours=4)
REPORT_DATE = "%Y-%m-%dT%H:%M:%S+00:00"

IAM_NAME = re.compile(r"^[\w+=,.@-]+$", re.ASCII)
# Operation -> (parameter, the name AWS's message uses, maximum length).
NAME_LIMITS = {
    "CreateUser": ("UserName", "userName", 64),
    "CreateGroup": ("GroupName", "groupName", 128),
    "CreatePolicy": ("PolicyName", "policyName", 128),
    "CreateRole": ("RoleName", "roleName", 64),
}


def _root_arn(x: Exchange) -> str:
    return f"arn:aws:iam::{x.world.account_id}:root"


# -- the root user -----------------------------------------------------------------------
def get_account_summary(x: Exchange) -> Reply:
    summary = dict(backends.iam().get_account_summary().summary_map)
    summary["AccountMFAEnabled"] = int(x.world.root.mfa)
    summary["AccountAccessKeysPresent"] = int(x.world.root.access_keys)
    return x.result({"SummaryMap": summary})


def list_virtual_mfa_devices(x: Exchange) -> Reply:
    status = x.call.param("AssignmentStatus", "Any")
    devices: list[dict[str, Any]] = []
    root = x.world.root
    if root.mfa and status in ("Assigned", "Any"):
        devices.append(
            {
                "SerialNumber": ROOT_MFA_SERIAL.format(account=x.world.account_id),
                "User": {
                    # AWS lists root's device with no UserName: match on the ARN.
                    "Path": "/",
                    "UserId": x.world.account_id,
                    "Arn": _root_arn(x),
                    "CreateDate": root.account_created,
                    "PasswordLastUsed": root.password_last_used,
                },
                "EnableDate": root.mfa_enabled_at or now(),
            }
        )
    for device in backends.iam().virtual_mfa_devices.values():
        assigned = device.enable_date is not None
        if status == "Any" or (status == "Assigned") == assigned:
            devices.append(_moto_device(device))
    devices.sort(key=lambda d: d["SerialNumber"])
    start = int(x.call.param("Marker", "0") or 0)
    size = int(x.call.param("MaxItems", "100") or 100)
    page = devices[start : start + size]
    data: dict[str, Any] = {"VirtualMFADevices": page, "IsTruncated": start + size < len(devices)}
    if data["IsTruncated"]:
        data["Marker"] = str(start + size)
    return x.result(data)


def _moto_device(device: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"SerialNumber": device.serial_number}
    if device.enable_date is not None:
        data["EnableDate"] = device.enable_date
    user = device.user
    if user is not None:
        data["User"] = {
            "Path": user.path,
            "UserName": user.name,
            "UserId": user.id,
            "Arn": user.arn,
            "CreateDate": user.create_date,
        }
    return data


def generate_credential_report(x: Exchange) -> Reply:
    world = x.world
    if world.report_generated_at is not None and now() - world.report_generated_at < REPORT_LIFETIME:
        return x.result({"State": "COMPLETE"})
    world.report_generated_at = now()
    backends.iam().credential_report = True
    return x.result({"State": "STARTED", "Description": "No report exists. Starting a new report generation task"})


def get_credential_report(x: Exchange) -> Reply:
    generated = x.world.report_generated_at
    if generated is None:
        return x.error("ReportNotPresent", "Credential report not present. Call GenerateCredentialReport first.", 410)
    header, _, users = backends.iam().get_credential_report().partition("\n")
    content = f"{header}\n{root_report_row(x)}\n{users}"
    return x.result({"Content": content.encode(), "ReportFormat": "text/csv", "GeneratedTime": generated})


def root_report_row(x: Exchange) -> str:
    """The `<root_account>` row the way AWS writes it: root has no console password setting of its own."""
    root = x.world.root
    keys = root.access_keys
    columns = [
        "<root_account>",
        _root_arn(x),
        root.account_created.strftime(REPORT_DATE),
        "not_supported",  # password_enabled
        # A root without a password (deleted centrally) has never signed in with one.
        root.password_last_used.strftime(REPORT_DATE) if root.password else "no_information",
        "not_supported",  # password_last_changed
        "not_supported",  # password_next_rotation
        _flag(root.mfa),
        _flag(keys),
        root.account_created.strftime(REPORT_DATE) if keys else "N/A",
        root.password_last_used.strftime(REPORT_DATE) if keys and root.password else "N/A",
        "us-east-1" if keys else "N/A",
        "iam" if keys else "N/A",
        "false",
        "N/A",
        "N/A",
        "N/A",
        "N/A",
        "false",
        "N/A",
        "false",
        "N/A",
    ]
    return ",".join(columns)


def _flag(value: bool) -> str:
    return "true" if value else "false"


# -- centrally managed root access (not in moto) ---------------------------------------------
def list_organizations_features(x: Exchange) -> Reply:
    """Who may list the organization's centralized root access features, and what they see, as AWS answers.

    https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListOrganizationsFeatures.html
    The error codes are the botocore model's shape names (the model gives them no other code).
    """
    backend = backends.organization_backend()
    if backend is None:
        return x.error(
            "OrganizationNotFoundException",
            "The request was rejected because no organization is associated with your account.",
        )
    org = backend.org
    if org.feature_set != "ALL":
        return x.error(
            "OrganizationNotInAllFeaturesModeException",
            "The request was rejected because your organization does not have All features enabled.",
        )
    central = x.world.central_root
    if not backends.is_management_account() and not (central is not None and central.delegated_to_this_account):
        return x.error(
            "AccountNotManagementOrDelegatedAdministratorException",
            "The request was rejected because the account making the request is not the management account or "
            "delegated administrator account for centralized root access.",
        )
    if central is None or not central.trusted_access:
        return x.error(
            "ServiceAccessNotEnabledException",
            "The request was rejected because trusted access is not enabled for IAM in AWS Organizations.",
        )
    return x.result({"OrganizationId": org.id, "EnabledFeatures": list(central.features)})


# -- the CloudHSM service-linked role ----------------------------------------------------
def create_service_linked_role(x: Exchange) -> Reply | None:
    if x.call.param("AWSServiceName") != CLOUDHSM_SERVICE:
        return None
    from .sts import caller_of

    # The caller's own account: a member account's role session makes the role in that account.
    iam = backends.iam_of(caller_of(x).account)
    if any(role.name == CLOUDHSM_ROLE for role in iam.roles.values()):
        return x.error(
            "InvalidInput",
            f"Service role name {CLOUDHSM_ROLE} has been taken in this account, please try a different suffix.",
        )
    reply = x.forward()
    if reply.status != 200:
        return reply
    for role in iam.roles.values():
        if role.name == MOTO_CLOUDHSM_ROLE:
            role.name = CLOUDHSM_ROLE
    return reply.with_body(reply.body.replace(MOTO_CLOUDHSM_ROLE.encode(), CLOUDHSM_ROLE.encode()))


def delete_service_linked_role(x: Exchange) -> Reply | None:
    """AWS takes the request, and the deletion task fails while the linked service still uses the role, naming what
    uses it (https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteServiceLinkedRole.html); CloudHSM uses
    its role while a cluster exists (https://docs.aws.amazon.com/cloudhsm/latest/userguide/service-linked-roles.html).
    moto deletes the role whatever uses it."""
    if x.call.param("RoleName") != CLOUDHSM_ROLE:
        return None
    from .sts import caller_of

    account = caller_of(x).account
    in_use = _cloudhsm_clusters(account)
    if not in_use:
        return None  # nothing uses it: moto deletes it, as AWS does
    task = f"task/aws-service-role/{CLOUDHSM_SERVICE}/{CLOUDHSM_ROLE}/{uuid.uuid4()}"
    with x.world.lock:
        x.world.failed_role_deletions[task] = {
            "Reason": f"{CLOUDHSM_ROLE} is in use by {CLOUDHSM_SERVICE}: delete these resources first",
            "RoleUsageList": [{"Region": region, "Resources": arns} for region, arns in sorted(in_use.items())],
        }
    return x.result({"DeletionTaskId": task})


def get_service_linked_role_deletion_status(x: Exchange) -> Reply | None:
    with x.world.lock:
        reason = x.world.failed_role_deletions.get(str(x.call.param("DeletionTaskId", "")))
    if reason is None:
        return None
    return x.result({"Status": "FAILED", "Reason": reason})


def _cloudhsm_clusters(account: str) -> dict[str, list[str]]:
    """The CloudHSM clusters of an account, by Region (as ARNs)."""
    from moto.cloudhsmv2.models import cloudhsmv2_backends

    if account not in cloudhsmv2_backends:
        return {}
    return {
        region: [f"arn:aws:cloudhsm:{region}:{account}:cluster/{cluster_id}" for cluster_id in backend.clusters]
        for region, backend in cloudhsmv2_backends[account].items()
        if backend.clusters
    }


# -- names -------------------------------------------------------------------------------
def check_name_limits(x: Exchange) -> Reply | None:
    """IAM refuses names longer than its limits or outside its pattern; moto accepts anything."""
    limit = NAME_LIMITS.get(x.call.operation)
    if limit is None:
        return None
    param, label, max_len = limit
    value = str(x.call.param(param, ""))
    if len(value) > max_len:
        return x.error(
            "ValidationError",
            f"1 validation error detected: Value '{value}' at '{label}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {max_len}",
        )
    if value and not IAM_NAME.match(value):
        return x.error(
            "ValidationError",
            f"1 validation error detected: Value '{value}' at '{label}' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        )
    return None


# -- AWS managed policies and console passwords ---------------------------------------------
AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"
POLICY_ARN_OPERATIONS = {"AttachGroupPolicy", "AttachUserPolicy", "AttachRolePolicy", "GetPolicy", "GetPolicyVersion"}
_aws_managed_data: dict[str, Any] | None = None


def load_aws_managed_policy(arn: str) -> bool:
    """Make one AWS managed policy exist in moto's IAM, as it always does in AWS. True when it is known.

    moto loads all of them only with MOTO_IAM_LOAD_MANAGED_POLICIES (about a thousand,
    slow to start); loading the one a request names keeps the practice account quick.
    """
    global _aws_managed_data
    if not arn.startswith(AWS_MANAGED_PREFIX):
        return False
    iam = backends.iam()
    if arn in iam.managed_policies:
        return True
    if _aws_managed_data is None:
        _aws_managed_data = {}
    name = arn.rsplit("/", 1)[-1]
    if name not in _aws_managed_data:
        _aws_managed_data[name] = backends.managed_policy_data(name)
    data = _aws_managed_data[name]
    if data is None:
        return False
    from moto.iam.models import AWSManagedPolicy

    policy = AWSManagedPolicy.from_data(name, iam.account_id, iam.region_name, data)
    iam.managed_policies[policy.arn] = policy
    return policy.arn == arn


def aws_managed_policies(x: Exchange) -> Reply | None:
    if x.call.operation in POLICY_ARN_OPERATIONS:
        load_aws_managed_policy(str(x.call.param("PolicyArn", "")))
    return None


def _policy_violation(x: Exchange) -> Reply | None:
    """IAM checks a console password against the account's password policy (AWS's default when none); moto does not."""
    from hsm_setup.secrets.passwords import AWS_DEFAULT_POLICY, PasswordPolicy, problems

    moto_policy = backends.iam().account_password_policy
    if moto_policy is None:
        policy = AWS_DEFAULT_POLICY
    else:
        policy = PasswordPolicy(
            minimum_length=int(moto_policy.minimum_password_length or 6),
            require_symbols=bool(moto_policy.require_symbols),
            require_numbers=bool(moto_policy.require_numbers),
            require_uppercase=bool(moto_policy.require_uppercase_characters),
            require_lowercase=bool(moto_policy.require_lowercase_characters),
        )
    found = problems(policy, str(x.call.param("Password", "")))
    if found:
        return x.error(
            "PasswordPolicyViolation",
            "Password does not conform to the account password policy: " + "; ".join(found) + ".",
        )
    return None


def create_login_profile(x: Exchange) -> Reply | None:
    violation = _policy_violation(x)
    if violation is not None:
        return violation
    reply = x.forward()
    if reply.status != 200:
        return reply
    # moto drops PasswordResetRequired on create; AWS keeps it until the user sets a new password.
    required = str(x.call.param("PasswordResetRequired", "false")).lower() == "true"
    user = backends.iam().get_user(str(x.call.param("UserName")))
    user.password_reset_required = required
    return reply.with_body(
        reply.body.replace(
            b"<PasswordResetRequired>false</PasswordResetRequired>",
            b"<PasswordResetRequired>true</PasswordResetRequired>",
        )
        if required
        else reply.body
    )


def update_login_profile(x: Exchange) -> Reply | None:
    if x.call.param("Password") is not None:
        violation = _policy_violation(x)
        if violation is not None:
            return violation
    reply = x.forward()
    if reply.status == 200:
        # moto stores the query string "false" as given, which reads as true.
        flag = x.call.param("PasswordResetRequired")
        if flag is not None:
            backends.iam().get_user(str(x.call.param("UserName"))).password_reset_required = str(flag).lower() == "true"
    return reply


HANDLERS = {
    "CreateLoginProfile": create_login_profile,
    "UpdateLoginProfile": update_login_profile,
    "GetAccountSummary": get_account_summary,
    "ListVirtualMFADevices": list_virtual_mfa_devices,
    "GenerateCredentialReport": generate_credential_report,
    "GetCredentialReport": get_credential_report,
    "CreateServiceLinkedRole": create_service_linked_role,
    "DeleteServiceLinkedRole": delete_service_linked_role,
    "GetServiceLinkedRoleDeletionStatus": get_service_linked_role_deletion_status,
    "ListOrganizationsFeatures": list_organizations_features,
}
GUARDS = [check_name_limits, aws_managed_policies]
