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
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html). When the
  assignments do not fit beside the rest, they go into templates of their own, each a stack of at most 500
  assignments that imports the permission sets and groups from the identity-center stack's exports, as the
  `assignment` part already does. Separate stacks rather than nested ones (AWS::CloudFormation::Stack): a
  stack hierarchy creates, updates or deletes at most 2,500 resources in one operation (same page), which an
  organization of about 1,250 target accounts already needs, and each template here deploys with one
  `aws cloudformation deploy`, with no packaging step.

The targets are those the check resolved (each per-account step's `accounts`); only a step the check could
not judge (blocked, in error) has its targets resolved here from the answers.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import msgspec

from hsm_setup.answers.validators import ACCOUNT_ID_FORM, OU_ID_FORM, ROOT_ID_FORM
from hsm_setup.handoff.cfn_parts import IDENTITY_CENTER_STACK, imported, instance_arn_param, stack_name_param
from hsm_setup.organizations.per_account import ASSIGNMENT_STEPS, IAM_STEPS
from hsm_setup.resources.iam_groups import IamGroup
from hsm_setup.resources.iam_policies import IamPolicy
from hsm_setup.resources.service_linked_role import ServiceLinkedRole
from hsm_setup.steps import policies
from hsm_setup.steps.cloudhsm_group import POLICY_DESCRIPTION

if TYPE_CHECKING:
    from hsm_setup.answers.values import Answers
    from hsm_setup.model import StepFacts, StepResult
    from hsm_setup.organizations.per_account import OrganizationScope

MAX_RESOURCES = 500
STACK_SET_NAME = "hsm-setup-cloudhsm-member-accounts"
# The two grants an assignment carries out: the logical names of its permission set and group in the template,
# and the names the identity-center stack exports their ids under.
ADMIN = "Admin"
CLOUDHSM = "CloudHsm"


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


def account_targets(
    answers: Answers, account_id: str, scope: OrganizationScope, results: dict[str, StepResult[StepFacts]]
) -> AccountTargets:
    """What `admin.accounts` and `cloudhsm.accounts` name besides this account: as the check resolved them
    (its per-account steps' `accounts`), or, for a step it could not judge, resolved from the answers (reading
    the organization the check already read); TargetsError names a bad item."""
    named = [str(item) for item in answers["cloudhsm.accounts"] or ["this"]]
    others_admin = tuple(a for a in _checked(answers, account_id, scope, results, "admin.accounts") if a != account_id)
    others_cloudhsm = tuple(
        a for a in _checked(answers, account_id, scope, results, "cloudhsm.accounts") if a != account_id
    )
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


def _checked(
    answers: Answers, account_id: str, scope: OrganizationScope, results: dict[str, StepResult[StepFacts]], key: str
) -> tuple[str, ...]:
    for step_id, step_key in (*ASSIGNMENT_STEPS.items(), *IAM_STEPS.items()):
        result = results.get(step_id) if step_key == key else None
        if result is not None and result.accounts:
            return tuple(result.accounts)
    return scope.targets(key, answers, account_id).accounts


# -- the assignments --------------------------------------------------------------------------
def assignment_resources(targets: AccountTargets, assignment_type: str | None) -> dict[str, object]:
    """One assignment per other target account, beside the permission sets (condition IdentityCenter)."""
    return {
        name: {
            "Type": assignment_type,
            "Condition": "IdentityCenter",
            "Properties": _assignment(
                {"Fn::GetAtt": [f"{grant}PermissionSet", "PermissionSetArn"]},
                {"Fn::GetAtt": [f"{grant}IdentityCenterGroup", "GroupId"]},
                account,
            ),
        }
        for name, grant, account in _assignments(targets)
    }


def assignment_templates(
    targets: AccountTargets, assignment_type: str | None, instance_arn: str
) -> list[dict[str, object]]:
    """The assignments as templates of their own, at most MAX_RESOURCES each, for stacks deployed beside the
    identity-center stack: they import its permission sets' and groups' ids (`<stack name>-...`)."""
    every = _assignments(targets)
    batches = [every[start : start + MAX_RESOURCES] for start in range(0, len(every), MAX_RESOURCES)]
    return [
        _assignment_template(batch, n, len(batches), assignment_type, instance_arn)
        for n, batch in enumerate(batches, 1)
    ]


def _assignment_template(
    batch: list[tuple[str, str, str]], number: int, count: int, assignment_type: str | None, instance_arn: str
) -> dict[str, object]:
    accounts = len({account for _, _, account in batch})
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            f"CloudHSM administrative groups (exported by hsm-setup): account assignments, part {number} of {count} "
            f"({len(batch)} assignments in {accounts} accounts); deploy after the {IDENTITY_CENTER_STACK} stack"
        ),
        "Parameters": {
            "InstanceArn": instance_arn_param(instance_arn),
            "IdentityCenterStackName": stack_name_param(
                "The name of the identity-center stack whose exports (permission sets, groups) to use"
            ),
        },
        "Resources": {
            name: {
                "Type": assignment_type,
                "Properties": _assignment(imported(f"{grant}PermissionSetArn"), imported(f"{grant}GroupId"), account),
            }
            for name, grant, account in batch
        },
    }


def _assignments(targets: AccountTargets) -> list[tuple[str, str, str]]:
    """(logical name, grant, account) for every assignment in another target account, administrators first."""
    return [(f"{ADMIN}GroupAssignment{account}", ADMIN, account) for account in targets.admin_accounts] + [
        (f"{CLOUDHSM}GroupAssignment{account}", CLOUDHSM, account) for account in targets.cloudhsm_accounts
    ]


def _assignment(permission_set_arn: object, group_id: object, account: str) -> dict[str, object]:
    return {
        "InstanceArn": {"Ref": "InstanceArn"},
        "PermissionSetArn": permission_set_arn,
        "PrincipalId": group_id,
        "PrincipalType": "GROUP",
        "TargetId": account,
        "TargetType": "AWS_ACCOUNT",
    }


# -- the member accounts --------------------------------------------------------------------
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
