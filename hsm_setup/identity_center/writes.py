"""Identity Center changes, each idempotent: it reads first, adopts what already exists, and saves the
ids it learns so an interrupted run picks up where it stopped. What it creates is recorded for teardown."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hsm_setup.errors import HsmSetupError, is_code, require
from hsm_setup.identity_center.instance import IdentityCenter, StepWork
from hsm_setup.identity_center.polling import retry_on_conflict, wait_for
from hsm_setup.identity_center.reads import (
    assigned_permission_set_arns,
    creation_status,
    describe_permission_set,
    inline_policy,
    managed_policies,
)
from hsm_setup.json_types import JsonObject
from hsm_setup.resources.base import MANAGED_BY_TAG
from hsm_setup.resources.permission_sets import (
    AccountAssignment,
    PermissionSet,
    PermissionSetInlinePolicy,
    PermissionSetManagedPolicy,
    PermissionSetReplacedInlinePolicy,
)

if TYPE_CHECKING:
    from mypy_boto3_sso_admin.client import SSOAdminClient

    from hsm_setup.resources.permission_sets import PrincipalType


def create_or_adopt_permission_set(
    work: StepWork,
    ic: IdentityCenter,
    *,
    name: str,
    description: str,
    session_duration: str,
    known_arn: str | None,
    saved_arn_key: str,
) -> str:
    """The ARN of the permission set `name`: the one already known, else a new one, else the existing one."""
    sso = ic.sso(work)
    # Re-read before writing: an interrupted run may have created it already.
    for arn in dict.fromkeys(a for a in (known_arn, work.saved(saved_arn_key)) if a):
        described = describe_permission_set(sso, ic.instance_arn, arn)
        if described is not None and described.get("Name") == name:
            work.remember(**{saved_arn_key: arn})
            return arn
    try:
        created = sso.create_permission_set(
            InstanceArn=ic.instance_arn,
            Name=name,
            Description=description,
            SessionDuration=session_duration,
            Tags=[MANAGED_BY_TAG.copy()],
        )["PermissionSet"]
        arn = str(created["PermissionSetArn"])
        work.record_created(PermissionSet(arn=arn, name=name, instance_arn=ic.instance_arn, region=ic.region))
    except Exception as exc:
        # ConflictException: a permission set with this name exists but nothing pointed to it.
        if not is_code(exc, "ConflictException"):
            raise
        found = find_permission_set_by_listing(sso, ic.instance_arn, name)
        if found is None:
            raise
        arn = found
    work.remember(**{saved_arn_key: arn})
    return arn


def find_permission_set_by_listing(sso: SSOAdminClient, instance_arn: str, name: str) -> str | None:
    """Only for adopting after CreatePermissionSet said the name exists: this grows with the instance."""
    kwargs: dict[str, Any] = {"InstanceArn": instance_arn}
    while True:
        page = sso.list_permission_sets(**kwargs)
        for arn in page.get("PermissionSets", []):
            described = describe_permission_set(sso, instance_arn, arn)
            if described is not None and described.get("Name") == name:
                return str(arn)
        if not page.get("NextToken"):
            return None
        kwargs["NextToken"] = page["NextToken"]


def attach_managed_policy(work: StepWork, ic: IdentityCenter, permission_set_arn: str, policy_arn: str) -> bool:
    """Attach an AWS managed policy; False when it was attached already."""
    sso = ic.sso(work)
    attached = managed_policies(sso, ic.instance_arn, permission_set_arn) or set()
    if policy_arn in attached:
        return False
    record = PermissionSetManagedPolicy(
        permission_set_arn=permission_set_arn, policy_arn=policy_arn, instance_arn=ic.instance_arn, region=ic.region
    )
    # Noted before the change: a run stopped right after it still leaves teardown something to detach.
    noted_before = work.recorded(record)
    work.record_created(record)
    try:
        sso.attach_managed_policy_to_permission_set(
            InstanceArn=ic.instance_arn, PermissionSetArn=permission_set_arn, ManagedPolicyArn=policy_arn
        )
    except Exception as exc:
        if not is_code(exc, "ConflictException"):  # attached meanwhile
            raise
        if not noted_before:
            work.forget_record(record)  # attached by someone else: not hsm-setup's to detach
        return False
    return True


def put_inline_policy(
    work: StepWork,
    ic: IdentityCenter,
    permission_set_arn: str,
    document: JsonObject,
    *,
    allows_the_same: Callable[[str], bool],
) -> bool:
    """Set the inline policy; False when the live one already allows exactly this.

    `allows_the_same(live)` compares a live document with `document` (the steps' policies
    module does, parsed): handed in, since this package sits below the steps.
    """
    sso = ic.sso(work)
    live = inline_policy(sso, ic.instance_arn, permission_set_arn)
    if live and allows_the_same(live):
        return False
    text = json.dumps(document, separators=(",", ":"), sort_keys=True)
    # Noted before the change, with what was there before, so teardown can put it back even after a crash.
    if live:
        work.record_created(
            PermissionSetReplacedInlinePolicy(
                permission_set_arn=permission_set_arn,
                previous_policy=live,
                instance_arn=ic.instance_arn,
                region=ic.region,
            )
        )
    else:
        work.record_created(
            PermissionSetInlinePolicy(
                permission_set_arn=permission_set_arn, instance_arn=ic.instance_arn, region=ic.region
            )
        )
    retry_on_conflict(
        work,
        lambda: sso.put_inline_policy_to_permission_set(
            InstanceArn=ic.instance_arn, PermissionSetArn=permission_set_arn, InlinePolicy=text
        ),
        "Updating the inline policy",
    )
    return True


def ensure_account_assignment(
    work: StepWork,
    ic: IdentityCenter,
    *,
    permission_set_arn: str,
    principal_type: PrincipalType,
    principal_id: str,
    request_key: str,
    label: str,
) -> str:
    """Assign the permission set to the principal on this account and wait until it is provisioned.

    Reads first: AWS (and the practice account) may accept a duplicate assignment,
    so an interrupted run must not create a second one. Returns the request id, or
    "" when the assignment already existed.
    """
    sso = ic.sso(work)
    account_id = work.account_id

    def describe(request_id: str) -> dict[str, object]:
        found = creation_status(sso, ic.instance_arn, request_id)
        if found is None:
            raise HsmSetupError(f"AWS no longer knows the assignment request {request_id}.", "Run apply again.")
        return found

    saved_request = work.saved(request_key)
    if saved_request:
        status = creation_status(sso, ic.instance_arn, saved_request)
        if status is not None and status.get("Status") == "IN_PROGRESS":
            wait_for(
                work, status, describe, f"Assigning {label}", ("sso-admin DescribeAccountAssignmentCreationStatus",) * 2
            )
            work.forget(request_key)
            return saved_request
    if permission_set_arn in assigned_permission_set_arns(
        sso, ic.instance_arn, principal_type, principal_id, account_id
    ):
        work.forget(request_key)
        return ""
    # Noted before the change: a run stopped right after AWS took it still leaves teardown the assignment to remove.
    work.record_created(
        AccountAssignment(
            permission_set_arn=permission_set_arn,
            principal_type=principal_type,
            principal_id=principal_id,
            account_id=account_id,
            instance_arn=ic.instance_arn,
            region=ic.region,
            label=label,
        )
    )
    response = retry_on_conflict(
        work,
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
    # Saved before waiting: a run stopped mid-wait leaves the request for the next check to follow.
    work.remember(**{request_key: status.get("RequestId")})
    wait_for(
        work,
        status,
        describe,
        f"Assigning {label}",
        ("sso-admin CreateAccountAssignment", "sso-admin DescribeAccountAssignmentCreationStatus"),
    )
    work.forget(request_key)
    return str(status.get("RequestId", ""))


def provision_permission_set(work: StepWork, ic: IdentityCenter, permission_set_arn: str, label: str) -> bool:
    """Push a changed permission set to every account it is provisioned to; False when it is provisioned nowhere."""
    sso = ic.sso(work)
    accounts = sso.list_accounts_for_provisioned_permission_set(
        InstanceArn=ic.instance_arn, PermissionSetArn=permission_set_arn
    ).get("AccountIds", [])
    if not accounts:
        return False  # the first account assignment provisions it
    response = retry_on_conflict(
        work,
        lambda: sso.provision_permission_set(
            InstanceArn=ic.instance_arn, PermissionSetArn=permission_set_arn, TargetType="ALL_PROVISIONED_ACCOUNTS"
        ),
        f"Provisioning {label}",
    )

    def describe(request_id: str) -> dict[str, object]:
        status: dict[str, object] = require(
            sso.describe_permission_set_provisioning_status(
                InstanceArn=ic.instance_arn, ProvisionPermissionSetRequestId=request_id
            ),
            "PermissionSetProvisioningStatus",
            what="sso-admin DescribePermissionSetProvisioningStatus",
            of=dict,
        )
        return status

    first = require(response, "PermissionSetProvisioningStatus", what="sso-admin ProvisionPermissionSet", of=dict)
    wait_for(
        work,
        first,
        describe,
        f"Provisioning {label}",
        ("sso-admin ProvisionPermissionSet", "sso-admin DescribePermissionSetProvisioningStatus"),
    )
    return True
