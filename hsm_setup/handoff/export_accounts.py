"""The organization's part of the CloudFormation export: the other target accounts.

- Identity Center assignments are made where Identity Center is managed: one AWS::SSO::Assignment per
  target account of `admin.accounts` and `cloudhsm.accounts`, in the stack that holds the permission sets.
- The IAM group with the CloudHSM policy, and the CloudHSM service-linked role, belong in each member
  account: a service-managed StackSet (AWS::CloudFormation::StackSet, PermissionModel SERVICE_MANAGED)
  whose targets are the OUs and accounts `cloudhsm.accounts` names. For a create, CloudFormation takes OU
  ids, and single accounts only as a filter of an OU (AccountFilterType INTERSECTION), so the named
  accounts are given within the root; it never deploys to the management account.
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-cloudformation-stackset-deploymenttargets.html
- A stack holds at most 500 resources
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html): an export
  that would need more is refused with the count and what to do instead.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import msgspec

from hsm_setup.answers.validators import ACCOUNT_ID_FORM, OU_ID_FORM, ROOT_ID_FORM
from hsm_setup.errors import HsmSetupError
from hsm_setup.resources.iam_groups import IamGroup
from hsm_setup.resources.iam_policies import IamPolicy
from hsm_setup.resources.service_linked_role import ServiceLinkedRole
from hsm_setup.steps import policies
from hsm_setup.steps.cloudhsm_group import POLICY_DESCRIPTION

if TYPE_CHECKING:
    from hsm_setup.answers.values import Answers
    from hsm_setup.organizations.per_account import OrganizationScope

MAX_RESOURCES = 500
STACK_SET_NAME = "hsm-setup-cloudhsm-member-accounts"


class AccountTargets(msgspec.Struct, frozen=True):
    """The target accounts other than the connected one, and what the StackSet deploys to."""

    admin_accounts: tuple[str, ...] = ()
    cloudhsm_accounts: tuple[str, ...] = ()
    # The StackSet's targets: OU and root ids as named; single accounts, filtered within the root.
    stack_set_units: tuple[str, ...] = ()
    stack_set_accounts: tuple[str, ...] = ()
    root_id: str = ""
    region: str = "us-east-1"

    @property
    def empty(self) -> bool:
        return not (self.admin_accounts or self.cloudhsm_accounts or self.stack_set_units or self.stack_set_accounts)


def account_targets(answers: Answers, account_id: str, scope: OrganizationScope) -> AccountTargets:
    """What `admin.accounts` and `cloudhsm.accounts` name besides this account (read from the organization,
    which a check has already read); TargetsError names a bad item."""
    named = [str(item) for item in answers["cloudhsm.accounts"] or ["this"]]
    admin = scope.targets("admin.accounts", answers, account_id)
    cloudhsm = scope.targets("cloudhsm.accounts", answers, account_id)
    others_admin = tuple(a for a in admin.accounts if a != account_id)
    others_cloudhsm = tuple(a for a in cloudhsm.accounts if a != account_id)
    if not others_admin and not others_cloudhsm:
        return AccountTargets()
    tree, caller = scope.organization(account_id)
    management = caller.management_account_id
    units = tuple(item for item in named if OU_ID_FORM.match(item) or ROOT_ID_FORM.match(item))
    singles = tuple(item for item in named if ACCOUNT_ID_FORM.match(item) and item not in (account_id, management))
    return AccountTargets(
        admin_accounts=others_admin,
        cloudhsm_accounts=others_cloudhsm,
        stack_set_units=units,
        stack_set_accounts=singles,
        root_id=tree.root.id if tree is not None else "",
        region=str(answers["region"]),
    )


def assignment_resources(targets: AccountTargets, assignment_type: str | None) -> dict[str, object]:
    """One assignment per other target account, beside the permission sets (condition IdentityCenter)."""
    resources: dict[str, object] = {}
    for account in targets.admin_accounts:
        resources[f"AdminGroupAssignment{account}"] = _assignment(
            assignment_type, "AdminPermissionSet", "AdminIdentityCenterGroup", account
        )
    for account in targets.cloudhsm_accounts:
        resources[f"CloudHsmGroupAssignment{account}"] = _assignment(
            assignment_type, "CloudHsmPermissionSet", "CloudHsmIdentityCenterGroup", account
        )
    return resources


def _assignment(assignment_type: str | None, permission_set: str, group: str, account: str) -> dict[str, object]:
    return {
        "Type": assignment_type,
        "Condition": "IdentityCenter",
        "Properties": {
            "InstanceArn": {"Ref": "InstanceArn"},
            "PermissionSetArn": {"Fn::GetAtt": [permission_set, "PermissionSetArn"]},
            "PrincipalId": {"Fn::GetAtt": [group, "GroupId"]},
            "PrincipalType": "GROUP",
            "TargetId": account,
            "TargetType": "AWS_ACCOUNT",
        },
    }


def member_template(answers: Answers) -> dict[str, object]:
    """What each member account gets from the StackSet: the IAM group and policy, and the service-linked role."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "CloudHSM administrators' IAM group and policy, and the CloudHSM service-linked role (exported by hsm-setup)",
        "Parameters": {
            "CreateServiceLinkedRole": {
                "Type": "String",
                "AllowedValues": ["true", "false"],
                "Default": "true",
                "Description": "false where the account already has AWSServiceRoleForCloudHSM (IAM refuses a second)",
            }
        },
        "Conditions": {"ServiceLinkedRole": {"Fn::Equals": [{"Ref": "CreateServiceLinkedRole"}, "true"]}},
        "Resources": {
            "CloudHsmIamGroup": {
                "Type": IamGroup.cfn_type,
                "Properties": {"GroupName": str(answers["cloudhsm.iam_group"])},
            },
            "CloudHsmIamPolicy": {
                "Type": IamPolicy.cfn_type,
                "Properties": {
                    "ManagedPolicyName": str(answers["cloudhsm.policy_name"]),
                    "Description": POLICY_DESCRIPTION,
                    "PolicyDocument": policies.expected(str(answers["cloudhsm.policy"])),
                    "Groups": [{"Ref": "CloudHsmIamGroup"}],
                },
            },
            "CloudHsmServiceLinkedRole": {
                "Type": ServiceLinkedRole.cfn_type,
                "Condition": "ServiceLinkedRole",
                "Properties": {"AWSServiceName": "cloudhsm.amazonaws.com"},
            },
        },
    }


def stack_set_resource(targets: AccountTargets, answers: Answers) -> dict[str, object] | None:
    """The service-managed StackSet for the member accounts, or None when cloudhsm.accounts names none."""
    groups: list[dict[str, object]] = []
    if targets.stack_set_units:
        groups.append(
            {"DeploymentTargets": {"OrganizationalUnitIds": list(targets.stack_set_units)}, "Regions": [targets.region]}
        )
    if targets.stack_set_accounts and targets.root_id:
        groups.append(
            {
                "DeploymentTargets": {
                    "OrganizationalUnitIds": [targets.root_id],
                    "Accounts": list(targets.stack_set_accounts),
                    "AccountFilterType": "INTERSECTION",
                },
                "Regions": [targets.region],
            }
        )
    if not groups:
        return None
    return {
        "Type": "AWS::CloudFormation::StackSet",
        "Condition": "IdentityCenter",
        "Properties": {
            "StackSetName": STACK_SET_NAME,
            "Description": "The CloudHSM administrators' IAM group and policy and the CloudHSM service-linked role in each target member account (exported by hsm-setup)",
            "PermissionModel": "SERVICE_MANAGED",
            "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
            "Capabilities": ["CAPABILITY_NAMED_IAM"],
            "ManagedExecution": {"Active": True},
            "TemplateBody": json.dumps(member_template(answers), indent=2),
            "StackInstancesGroup": groups,
        },
    }


def check_size(resources: dict[str, object], targets: AccountTargets) -> None:
    if len(resources) > MAX_RESOURCES:
        accounts = len(set(targets.admin_accounts) | set(targets.cloudhsm_accounts))
        raise HsmSetupError(
            f"The template would hold {len(resources)} resources ({accounts} target accounts, an assignment each for "
            f"the administrators and the CloudHSM group); a CloudFormation stack holds at most {MAX_RESOURCES} "
            "(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).",
            "Export with fewer accounts in admin.accounts and cloudhsm.accounts at a time (an answers file per "
            "batch), or let `hsm-setup apply` make the assignments.",
        )
