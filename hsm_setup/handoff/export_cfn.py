"""The resources hsm-setup manages, as a CloudFormation template (JSON) for StackSets and pipelines.

The template holds the two permission sets with their policies, the Identity
Center group and its assignment, and the IAM group with its customer managed
policy. The account and the instance are parameters, with this account's values
as defaults, so one template serves many accounts. `Deploy` picks the part: the
IAM group belongs in every member account (a StackSet); the permission sets and
the group exist once per Identity Center instance (one stack where Identity
Center is managed), which exports their ids so that further `assignment` stacks
give the group its permission set on other accounts. The administrator's own
assignment is left out: it names a person, which a template for many accounts should not.
When admin.accounts or cloudhsm.accounts name other accounts of the organization, the
identity-center part also holds their assignments and a StackSet for their IAM
(handoff/export_accounts.py); assignments too many for one stack go into templates of their own.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from hsm_setup.handoff.cfn_parts import imported, instance_arn_param, param, stack_name_param
from hsm_setup.handoff.export_accounts import (
    MAX_RESOURCES,
    AccountTargets,
    account_targets,
    assignment_resources,
    assignment_templates,
    stack_set_resource,
)
from hsm_setup.model import StepFacts, StepResult
from hsm_setup.resources.base import MANAGED_BY_TAG, Record, Tag
from hsm_setup.resources.iam_groups import IamGroup
from hsm_setup.resources.iam_policies import IamPolicy
from hsm_setup.resources.identity_store import IdentityCenterGroup
from hsm_setup.resources.permission_sets import AccountAssignment, PermissionSet
from hsm_setup.steps import policies
from hsm_setup.steps.admin_user import DESCRIPTION as ADMIN_DESCRIPTION
from hsm_setup.steps.admin_user import GROUP_DESCRIPTION as ADMIN_GROUP_DESCRIPTION
from hsm_setup.steps.cloudhsm_group import POLICY_DESCRIPTION
from hsm_setup.steps.identity_center import IdentityCenterFacts
from hsm_setup.steps.permission_sets import GROUP_DESCRIPTION, PERMISSION_SET_DESCRIPTION

if TYPE_CHECKING:
    from hsm_setup.answers.values import Answers
    from hsm_setup.session.workspace import Workspace

FORMATS = ("cloudformation",)


def _tags() -> list[Tag]:
    return [MANAGED_BY_TAG.copy()]


def _resource(kind: type[Record], condition: str, properties: dict[str, object]) -> dict[str, object]:
    """A template resource of one of hsm-setup's kinds, typed as the kind declares."""
    if kind.cfn_type is None:  # pragma: no cover - only kinds with a CloudFormation type are exported
        raise ValueError(f"{kind.kind} has no CloudFormation resource type")
    return {"Type": kind.cfn_type, "Condition": condition, "Properties": properties}


class Export(msgspec.Struct):
    """What `export` writes: the template, and the assignments in other accounts when they do not fit its stack."""

    template: dict[str, object]
    # Each the template of a stack of its own (at most MAX_RESOURCES assignments), deployed after the template's
    # identity-center part, whose exports it imports.
    assignment_templates: list[dict[str, object]] = msgspec.field(default_factory=list)


def build_template(
    answers: Answers,
    *,
    account_id: str = "",
    instance_arn: str = "",
    identity_store_id: str = "",
    targets: AccountTargets | None = None,
) -> Export:
    """The template for these answers; the ids given become the parameters' defaults. `targets`: the other
    accounts admin.accounts and cloudhsm.accounts name (their assignments, and the StackSet for their IAM)."""
    cloudhsm_set_arn = {
        "Fn::If": [
            "IdentityCenter",
            {"Fn::GetAtt": ["CloudHsmPermissionSet", "PermissionSetArn"]},
            imported("CloudHsmPermissionSetArn"),
        ]
    }
    group_id = {
        "Fn::If": [
            "IdentityCenter",
            {"Fn::GetAtt": ["CloudHsmIdentityCenterGroup", "GroupId"]},
            imported("CloudHsmGroupId"),
        ]
    }

    def export(name: str) -> dict[str, object]:
        return {"Name": {"Fn::Sub": "${AWS::StackName}-" + name}}

    template: dict[str, object] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "CloudHSM administrative groups (exported by hsm-setup): permission sets, Identity Center group and its assignment, IAM group and policy",
        "Metadata": {
            "AWS::CloudFormation::Interface": {
                "ParameterGroups": [
                    {"Label": {"default": "What to deploy"}, "Parameters": ["Deploy", "AccountId"]},
                    {
                        "Label": {"default": "IAM Identity Center"},
                        "Parameters": ["InstanceArn", "IdentityStoreId", "IdentityCenterStackName"],
                    },
                ]
            }
        },
        "Parameters": {
            "Deploy": param(
                "everything: all of it in this account; iam: only the IAM group and policy (a StackSet to member accounts); "
                "identity-center: the permission sets, the group and its assignment on AccountId (once, where Identity Center "
                "is managed); assignment: only the group's assignment on AccountId, reusing an identity-center stack's exports",
                "everything" if instance_arn else "iam",
                allowed=["everything", "iam", "identity-center", "assignment"],
            ),
            "AccountId": param(
                "The AWS account the CloudHSM group gets its permission set on", account_id, r"^\d{12}$"
            ),
            "InstanceArn": instance_arn_param(instance_arn),
            "IdentityStoreId": param("The identity store id of that instance", identity_store_id, r"^[\w-]+$"),
            "IdentityCenterStackName": stack_name_param(
                "For Deploy=assignment: the name of the identity-center stack whose exports to reuse"
            ),
        },
        "Conditions": {
            "Iam": {
                "Fn::Or": [
                    {"Fn::Equals": [{"Ref": "Deploy"}, "everything"]},
                    {"Fn::Equals": [{"Ref": "Deploy"}, "iam"]},
                ]
            },
            "IdentityCenter": {
                "Fn::Or": [
                    {"Fn::Equals": [{"Ref": "Deploy"}, "everything"]},
                    {"Fn::Equals": [{"Ref": "Deploy"}, "identity-center"]},
                ]
            },
            "AssignmentOnly": {"Fn::Equals": [{"Ref": "Deploy"}, "assignment"]},
            "Assign": {"Fn::Or": [{"Condition": "IdentityCenter"}, {"Condition": "AssignmentOnly"}]},
        },
        "Resources": {
            "AdminPermissionSet": _resource(
                PermissionSet,
                "IdentityCenter",
                {
                    "InstanceArn": {"Ref": "InstanceArn"},
                    "Name": str(answers["admin.permission_set"]),
                    "Description": ADMIN_DESCRIPTION,
                    "SessionDuration": str(answers["admin.session_duration"]),
                    "ManagedPolicies": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"}],
                    "Tags": _tags(),
                },
            ),
            # The guide's pattern: the administrators group holds AdministratorAccess (its members are
            # Identity Center users, which CloudFormation cannot name: hsm-setup adds them).
            "AdminIdentityCenterGroup": _resource(
                IdentityCenterGroup,
                "IdentityCenter",
                {
                    "IdentityStoreId": {"Ref": "IdentityStoreId"},
                    "DisplayName": str(answers["admin.group"]),
                    "Description": ADMIN_GROUP_DESCRIPTION,
                },
            ),
            "AdminGroupAssignment": _resource(
                AccountAssignment,
                "IdentityCenter",
                {
                    "InstanceArn": {"Ref": "InstanceArn"},
                    "PermissionSetArn": {"Fn::GetAtt": ["AdminPermissionSet", "PermissionSetArn"]},
                    "PrincipalId": {"Fn::GetAtt": ["AdminIdentityCenterGroup", "GroupId"]},
                    "PrincipalType": "GROUP",
                    "TargetId": {"Ref": "AccountId"},
                    "TargetType": "AWS_ACCOUNT",
                },
            ),
            "CloudHsmPermissionSet": _resource(
                PermissionSet,
                "IdentityCenter",
                {
                    "InstanceArn": {"Ref": "InstanceArn"},
                    "Name": str(answers["cloudhsm.permission_set"]),
                    "Description": PERMISSION_SET_DESCRIPTION,
                    "SessionDuration": str(answers["cloudhsm.session_duration"]),
                    "InlinePolicy": policies.expected(str(answers["cloudhsm.policy"])),
                    "Tags": _tags(),
                },
            ),
            "CloudHsmIdentityCenterGroup": _resource(
                IdentityCenterGroup,
                "IdentityCenter",
                {
                    "IdentityStoreId": {"Ref": "IdentityStoreId"},
                    "DisplayName": str(answers["cloudhsm.identity_center_group"]),
                    "Description": GROUP_DESCRIPTION,
                },
            ),
            "CloudHsmGroupAssignment": _resource(
                AccountAssignment,
                "Assign",
                {
                    "InstanceArn": {"Ref": "InstanceArn"},
                    "PermissionSetArn": cloudhsm_set_arn,
                    "PrincipalId": group_id,
                    "PrincipalType": "GROUP",
                    "TargetId": {"Ref": "AccountId"},
                    "TargetType": "AWS_ACCOUNT",
                },
            ),
            "CloudHsmIamGroup": _resource(IamGroup, "Iam", {"GroupName": str(answers["cloudhsm.iam_group"])}),
            "CloudHsmIamPolicy": _resource(
                IamPolicy,
                "Iam",
                {
                    "ManagedPolicyName": str(answers["cloudhsm.policy_name"]),
                    "Description": POLICY_DESCRIPTION,
                    "PolicyDocument": policies.expected(str(answers["cloudhsm.policy"])),
                    "Groups": [{"Ref": "CloudHsmIamGroup"}],
                },
            ),
        },
        "Outputs": {
            "AdminPermissionSetArn": {
                "Condition": "IdentityCenter",
                "Value": {"Fn::GetAtt": ["AdminPermissionSet", "PermissionSetArn"]},
                "Export": export("AdminPermissionSetArn"),
            },
            "CloudHsmPermissionSetArn": {
                "Condition": "IdentityCenter",
                "Value": {"Fn::GetAtt": ["CloudHsmPermissionSet", "PermissionSetArn"]},
                "Export": export("CloudHsmPermissionSetArn"),
            },
            "CloudHsmGroupId": {
                "Condition": "IdentityCenter",
                "Value": {"Fn::GetAtt": ["CloudHsmIdentityCenterGroup", "GroupId"]},
                "Export": export("CloudHsmGroupId"),
            },
            "CloudHsmIamGroupArn": {"Condition": "Iam", "Value": {"Fn::GetAtt": ["CloudHsmIamGroup", "Arn"]}},
            "CloudHsmIamPolicyArn": {"Condition": "Iam", "Value": {"Ref": "CloudHsmIamPolicy"}},
        },
    }
    if targets is None or targets.empty:
        return Export(template)
    resources, outputs = template["Resources"], template["Outputs"]
    assert isinstance(resources, dict) and isinstance(outputs, dict)
    assignments = assignment_resources(targets, AccountAssignment.cfn_type)
    stack_set = stack_set_resource(targets, answers)
    fits = len(resources) + len(assignments) + (stack_set is not None) <= MAX_RESOURCES
    if fits:
        resources.update(assignments)
    if stack_set is not None:
        resources["CloudHsmMemberAccountsStackSet"] = stack_set
    if fits:
        return Export(template)
    # Too many for one stack: the assignments go into stacks of their own, which import the ids they need.
    outputs["AdminGroupId"] = {
        "Condition": "IdentityCenter",
        "Value": {"Fn::GetAtt": ["AdminIdentityCenterGroup", "GroupId"]},
        "Export": export("AdminGroupId"),
    }
    return Export(template, assignment_templates(targets, AccountAssignment.cfn_type, instance_arn))


def template_from(workspace: Workspace, results: dict[str, StepResult[StepFacts]]) -> Export:
    """The template, with this account's ids (from a finished check) as the parameters' defaults, and the
    other target accounts as the check resolved them."""
    found = results.get("identity-center")
    facts = found.facts_as(IdentityCenterFacts) if found is not None else None
    instance = facts.instance if facts is not None else None
    account_id = workspace.identity.account_id
    return build_template(
        workspace.answers,
        account_id=account_id,
        instance_arn=instance.arn if instance else "",
        identity_store_id=instance.identity_store_id if instance else "",
        targets=account_targets(workspace.answers, account_id, workspace.engine.organization, results),
    )


def render_template(template: dict[str, object]) -> str:
    return json.dumps(template, indent=2) + "\n"


def assignment_paths(output: Path, count: int) -> list[Path]:
    """Where the assignment templates go: beside the template, named after it (hsm.json: hsm-assignments-1.json...)."""
    suffix = output.suffix or ".json"
    return [output.with_name(f"{output.stem}-assignments-{n}{suffix}") for n in range(1, count + 1)]


def earlier_assignment_files(output: Path, count: int) -> list[Path]:
    """Assignment templates an earlier export wrote beside `output` beyond the `count` this one writes: left,
    they would be deployed again with assignments that are no longer wanted (or that now sit in another part)."""
    suffix = output.suffix or ".json"
    numbered = re.compile(rf"{re.escape(output.stem)}-assignments-([1-9][0-9]*){re.escape(suffix)}")
    found: list[tuple[int, Path]] = []
    with contextlib.suppress(OSError):
        for path in output.parent.iterdir():
            match = numbered.fullmatch(path.name)
            if match and int(match.group(1)) > count:
                found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]
