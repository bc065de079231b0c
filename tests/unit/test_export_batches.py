"""The CloudFormation export of an organization whose assignments do not fit one stack (500 resources,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html): the assignments go
into templates of their own, each under the limit and cfn-lint clean (practice account, `org` with 600 accounts).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from hsm_setup.handoff.export_accounts import MAX_RESOURCES
from hsm_setup.handoff.export_cfn import render_template
from hsm_setup.sandbox import PracticeAccount
from hsm_setup.sandbox.catalog import ACCOUNT_ID
from tests.unit.test_export_accounts import exported, practice_accounts_under

ACCOUNTS = 600
# cfn-lint reads ~600 assignments (about 20 ms each).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def practice() -> Iterator[PracticeAccount]:
    with PracticeAccount("org", accounts=ACCOUNTS) as account:
        yield account


def test_assignments_too_many_for_one_stack_go_into_templates_of_their_own(
    practice: PracticeAccount, tmp_path: Path
) -> None:
    seeded = practice.organization
    root = practice.client("organizations").list_roots()["Roots"][0]["Id"]
    security = seeded.ou_ids["Security"]
    made = exported(practice, [root], ["this", security], tmp_path)  # each template cfn-lint clean
    active = {a for a in (ACCOUNT_ID, *seeded.member_ids) if a not in seeded.suspended}
    wanted = {
        "AdminPermissionSetArn": active - {ACCOUNT_ID},
        "CloudHsmPermissionSetArn": {
            a for a in practice_accounts_under(practice, security) if a not in seeded.suspended
        },
    }
    assert sum(len(accounts) for accounts in wanted.values()) > MAX_RESOURCES  # more than one stack holds

    # The template keeps the permission sets, groups, this account's assignments and the StackSet, and exports
    # every id the assignment templates import.
    resources = made.template["Resources"]
    assert isinstance(resources, dict)
    assert not [name for name in resources if name.startswith(("AdminGroupAssignment2", "CloudHsmGroupAssignment2"))]
    assert {"AdminGroupAssignment", "CloudHsmGroupAssignment", "CloudHsmMemberAccountsStackSet"} <= set(resources)
    outputs = made.template["Outputs"]
    assert isinstance(outputs, dict)
    exports = {
        o["Export"]["Name"]["Fn::Sub"].removeprefix("${AWS::StackName}-") for o in outputs.values() if "Export" in o
    }
    assert exports >= {"AdminPermissionSetArn", "AdminGroupId", "CloudHsmPermissionSetArn", "CloudHsmGroupId"}

    assert len(made.assignment_templates) == 2
    held: dict[str, Counter[str]] = {name: Counter() for name in wanted}
    for template in made.assignment_templates:
        parts = template["Resources"]
        assert isinstance(parts, dict)
        assert 0 < len(parts) <= MAX_RESOURCES
        for resource in parts.values():
            assert resource["Type"] == "AWS::SSO::Assignment"
            properties = resource["Properties"]
            imported = properties["PermissionSetArn"]["Fn::ImportValue"]["Fn::Sub"]
            assert imported.startswith("${IdentityCenterStackName}-")
            set_name = imported.removeprefix("${IdentityCenterStackName}-")
            group = properties["PrincipalId"]["Fn::ImportValue"]["Fn::Sub"].removeprefix("${IdentityCenterStackName}-")
            assert group == set_name.replace("PermissionSetArn", "GroupId") and group in exports
            held[set_name][properties["TargetId"]] += 1
        # A stack's template read from S3 holds at most 1 MB (the same quotas page).
        assert len(render_template(template).encode()) < 1_000_000
    # Every target account exactly once per group, across the templates.
    for set_name, accounts in wanted.items():
        assert set(held[set_name]) == accounts, set_name
        assert max(held[set_name].values()) == 1, set_name


def test_an_export_that_fits_one_stack_is_one_template(practice: PracticeAccount, tmp_path: Path) -> None:
    seeded = practice.organization
    members = [a for a in seeded.member_ids if a not in seeded.suspended][:3]
    made = exported(practice, ["this", *members], ["this"], tmp_path)
    assert made.assignment_templates == []
    resources = made.template["Resources"]
    assert isinstance(resources, dict)
    assert [resources[f"AdminGroupAssignment{a}"]["Properties"]["TargetId"] for a in members] == members
    assert "AdminGroupId" not in json.dumps(made.template["Outputs"])
