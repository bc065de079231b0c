"""`hsm-setup export --format cloudformation`: a template that passes cfn-lint, made without changing the account."""

from __future__ import annotations

import json

import pytest

from hsm_setup.steps import policies
from tests.e2e.handoff import ACCOUNT, clients, inventory

pytestmark = pytest.mark.e2e


def lint(text: str) -> list[str]:
    from cfnlint.api import ManualArgs
    from cfnlint.api import lint as cfn_lint

    return [str(match) for match in cfn_lint(text, config=ManualArgs(regions=["us-east-1", "eu-west-1"]))]


def test_export_after_apply_is_a_lint_clean_template_with_this_account_as_defaults(cli, practice, tmp_path):
    practice.reset("partial")
    assert cli("apply", "--yes").returncode == 0
    before = inventory(practice)
    out = tmp_path / "hsm.json"
    done = cli("export", "--format", "cloudformation", "--output", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert lint(text) == []
    template = json.loads(text)
    (instance,) = clients(practice)["sso-admin"].list_instances()["Instances"]
    params = template["Parameters"]
    assert params["AccountId"]["Default"] == ACCOUNT
    assert params["InstanceArn"]["Default"] == instance["InstanceArn"]
    assert params["IdentityStoreId"]["Default"] == instance["IdentityStoreId"]
    assert params["Deploy"]["Default"] == "everything"
    types = {name: r["Type"] for name, r in template["Resources"].items()}
    assert sorted(set(types.values())) == [
        "AWS::IAM::Group",
        "AWS::IAM::ManagedPolicy",
        "AWS::IdentityStore::Group",
        "AWS::SSO::Assignment",
        "AWS::SSO::PermissionSet",
    ]
    resources = template["Resources"]
    assert resources["CloudHsmPermissionSet"]["Properties"]["InlinePolicy"] == policies.expected()
    # The CloudHSM permission set's own session length (cloudhsm.session_duration, AWS's default PT1H).
    assert resources["CloudHsmPermissionSet"]["Properties"]["SessionDuration"] == "PT1H"
    assert resources["AdminPermissionSet"]["Properties"]["SessionDuration"] == "PT4H"
    # AdministratorAccess goes to the administrators group.
    assert resources["AdminIdentityCenterGroup"]["Properties"]["DisplayName"] == "Administrators"
    assignment = resources["AdminGroupAssignment"]["Properties"]
    assert assignment["PrincipalType"] == "GROUP"
    assert assignment["PrincipalId"] == {"Fn::GetAtt": ["AdminIdentityCenterGroup", "GroupId"]}
    assert resources["AdminPermissionSet"]["Properties"]["ManagedPolicies"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"}
    ]
    assert resources["CloudHsmIamPolicy"]["Properties"]["PolicyDocument"] == policies.expected()
    assert resources["CloudHsmIamPolicy"]["Properties"]["Groups"] == [{"Ref": "CloudHsmIamGroup"}]
    assert resources["CloudHsmGroupAssignment"]["Properties"]["PrincipalType"] == "GROUP"
    assert inventory(practice) == before  # nothing changed in the account


def test_export_to_stdout_on_a_fresh_account_still_lints_and_asks_for_the_instance(cli, answers_file):
    path = answers_file('[cloudhsm]\niam_group = "HsmOperators"\npolicy_name = "HsmOperatorPolicy"\n')
    done = cli("export", "--format", "cloudformation", "--config", path)
    assert done.returncode == 0, done.stderr
    assert lint(done.stdout) == []
    template = json.loads(done.stdout)
    assert "Default" not in template["Parameters"]["InstanceArn"]  # no instance yet: the deployer gives it
    assert template["Parameters"]["Deploy"]["Default"] == "iam"
    assert template["Resources"]["CloudHsmIamGroup"]["Properties"]["GroupName"] == "HsmOperators"


def test_export_without_a_format_is_a_usage_error(cli):
    done = cli("export")
    assert done.returncode == 2 and "--format" in done.stderr


def test_export_carries_the_chosen_policy_and_session_duration(cli, answers_file):
    path = answers_file('[cloudhsm]\npolicy = "read-only"\nsession_duration = "PT2H"\n')
    done = cli("export", "--format", "cloudformation", "--config", path)
    assert done.returncode == 0, done.stderr
    assert lint(done.stdout) == []
    resources = json.loads(done.stdout)["Resources"]
    assert resources["CloudHsmIamPolicy"]["Properties"]["PolicyDocument"] == policies.expected("read-only")
    assert resources["CloudHsmPermissionSet"]["Properties"]["InlinePolicy"] == policies.expected("read-only")
    assert resources["CloudHsmPermissionSet"]["Properties"]["SessionDuration"] == "PT2H"
