"""The CloudFormation export covers the other target accounts: an assignment in each, and a service-managed
StackSet for their IAM group, policy and service-linked role (practice account, `org` scenario); cfn-lint clean."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest

from hsm_setup.answers.values import defaults
from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.connection import Connection
from hsm_setup.engine.runner import Engine
from hsm_setup.handoff.export_cfn import render_template, template_from
from hsm_setup.sandbox import PracticeAccount
from hsm_setup.sandbox.catalog import ACCOUNT_ID
from hsm_setup.state.account import AccountState

if TYPE_CHECKING:
    from hsm_setup.handoff.export_cfn import Export


@pytest.fixture(scope="module")
def practice() -> Iterator[PracticeAccount]:
    with PracticeAccount("org", accounts=14) as account:
        yield account


def lint(text: str) -> list[str]:
    from cfnlint.api import ManualArgs
    from cfnlint.api import lint as cfn_lint

    return [str(match) for match in cfn_lint(text, config=ManualArgs(regions=["us-east-1"]))]


def exported(
    p: PracticeAccount, admin: list[str], cloudhsm: list[str], tmp_path: Path, *, resolve_again: bool = True
) -> Export:
    """The export of a checked account, every template of it cfn-lint clean. `resolve_again=False`: resolving
    the targets once more after the check fails the test."""
    answers = defaults(practice=True).replace({"admin.accounts": admin, "cloudhsm.accounts": cloudhsm})
    aws = AwsSession(Connection(region="us-east-1", sandbox=True, **p.connection_overrides()))
    state = AccountState(ACCOUNT_ID, sandbox=True, root=tmp_path)
    engine = Engine(aws, answers, state=state, sandbox=True, sleep=lambda seconds: None)
    results = engine.check()
    if not resolve_again:

        def resolved_again(*args: object) -> object:
            raise AssertionError("the export resolved the targets again")

        engine.organization.targets = resolved_again  # type: ignore[method-assign]
    workspace = SimpleNamespace(identity=engine.identity(), answers=answers, engine=engine)
    made = template_from(workspace, results)  # type: ignore[arg-type]
    for template in (made.template, *made.assignment_templates):
        assert lint(render_template(template)) == []
    assert aws.mutating_calls() == []
    return made


def export(p: PracticeAccount, admin: list[str], cloudhsm: list[str], tmp_path: Path) -> dict:
    made = exported(p, admin, cloudhsm, tmp_path)
    assert made.assignment_templates == []  # a few accounts: everything in the one template
    return json.loads(render_template(made.template))


def test_each_other_target_account_gets_its_assignments_and_the_member_accounts_a_stack_set(
    practice: PracticeAccount, tmp_path: Path
) -> None:
    seeded = practice.organization
    reachable = [a for a in seeded.member_ids if a not in seeded.suspended]
    ou = seeded.ou_ids["CloudHSM"]
    single = next(a for a in reachable if a not in practice_accounts_under(practice, ou))
    template = export(practice, ["this", reachable[0]], ["this", ou, single], tmp_path)
    resources = template["Resources"]

    admin = {k: v for k, v in resources.items() if k.startswith("AdminGroupAssignment") and k != "AdminGroupAssignment"}
    assert [v["Properties"]["TargetId"] for v in admin.values()] == [reachable[0]]
    cloudhsm = [
        v["Properties"]["TargetId"]
        for k, v in resources.items()
        if k.startswith("CloudHsmGroupAssignment") and k != "CloudHsmGroupAssignment"
    ]
    # The OU's active accounts (a suspended one is left out, as apply leaves it) and the single account.
    assert sorted(cloudhsm) == sorted(
        [*(a for a in practice_accounts_under(practice, ou) if a not in seeded.suspended), single]
    )
    for account in cloudhsm:
        properties = resources[f"CloudHsmGroupAssignment{account}"]["Properties"]
        assert properties["PermissionSetArn"] == {"Fn::GetAtt": ["CloudHsmPermissionSet", "PermissionSetArn"]}
        assert properties["PrincipalId"] == {"Fn::GetAtt": ["CloudHsmIdentityCenterGroup", "GroupId"]}

    stack_set = resources["CloudHsmMemberAccountsStackSet"]
    assert stack_set["Type"] == "AWS::CloudFormation::StackSet"
    properties = stack_set["Properties"]
    assert properties["PermissionModel"] == "SERVICE_MANAGED"
    root = practice.client("organizations").list_roots()["Roots"][0]["Id"]
    assert properties["StackInstancesGroup"] == [
        {"DeploymentTargets": {"OrganizationalUnitIds": [ou]}, "Regions": ["us-east-1"]},
        {
            "DeploymentTargets": {
                "OrganizationalUnitIds": [root],
                "Accounts": [single],
                "AccountFilterType": "INTERSECTION",
            },
            "Regions": ["us-east-1"],
        },
    ]
    member = json.loads(properties["TemplateBody"])
    assert lint(json.dumps(member)) == []
    kinds = {name: r["Type"] for name, r in member["Resources"].items()}
    assert kinds == {
        "CloudHsmIamGroup": "AWS::IAM::Group",
        "CloudHsmIamPolicy": "AWS::IAM::ManagedPolicy",
        "CloudHsmServiceLinkedRole": "AWS::IAM::ServiceLinkedRole",
    }
    assert member["Resources"]["CloudHsmIamGroup"]["Properties"]["GroupName"] == "CloudHSMAdmins"


def test_an_export_for_this_account_only_is_the_single_account_template(
    practice: PracticeAccount, tmp_path: Path
) -> None:
    resources = export(practice, ["this"], ["this"], tmp_path)["Resources"]
    assert "CloudHsmMemberAccountsStackSet" not in resources
    assert not [k for k in resources if k.startswith("CloudHsmGroupAssignment") and k != "CloudHsmGroupAssignment"]


def test_the_targets_are_those_the_check_resolved_not_resolved_again(practice: PracticeAccount, tmp_path: Path) -> None:
    """The check's per-account steps hold their targets (`accounts`): the export takes them from there."""
    seeded = practice.organization
    ou = seeded.ou_ids["CloudHSM"]
    member = next(a for a in seeded.member_ids if a not in seeded.suspended)
    made = exported(practice, ["this", member], ["this", ou], tmp_path, resolve_again=False)
    resources = made.template["Resources"]
    assert isinstance(resources, dict)
    assert resources[f"AdminGroupAssignment{member}"]["Properties"]["TargetId"] == member
    cloudhsm = sorted(
        k.removeprefix("CloudHsmGroupAssignment") for k in resources if k.startswith("CloudHsmGroupAssignment2")
    )
    assert cloudhsm == sorted(a for a in practice_accounts_under(practice, ou) if a not in seeded.suspended)


def practice_accounts_under(practice: PracticeAccount, ou: str) -> list[str]:
    organizations = practice.client("organizations")
    accounts = organizations.get_paginator("list_accounts_for_parent")
    units = organizations.get_paginator("list_organizational_units_for_parent")
    found: list[str] = []
    stack = [ou]
    while stack:
        parent = stack.pop()
        found += [a["Id"] for page in accounts.paginate(ParentId=parent) for a in page["Accounts"]]
        stack += [u["Id"] for page in units.paginate(ParentId=parent) for u in page["OrganizationalUnits"]]
    return found
