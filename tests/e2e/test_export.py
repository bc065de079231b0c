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


# -- an organization whose assignments do not fit one stack ----------------------------------
# The practice account's `org` scenario with 600 member accounts, in the program's own process.
ORG_EXPORT = ("export", "--format", "cloudformation", "--sandbox", "--scenario", "org", "--accounts", "600")


def _org_answers(tmp_path) -> tuple[str, list[str]]:
    """admin.accounts naming every active member account of the scenario (their ids are fixed)."""
    from hsm_setup.sandbox.organization import SUSPENDED_EVERY, member_id

    active = [member_id(n) for n in range(600) if n % SUSPENDED_EVERY != SUSPENDED_EVERY - 1]
    path = tmp_path / "org.toml"
    path.write_text(f"[admin]\naccounts = {json.dumps(['this', *active])}\n", encoding="utf-8")
    return str(path), active


@pytest.mark.slow
def test_export_of_more_accounts_than_a_stack_holds_writes_the_assignments_beside_the_template(state_dir, tmp_path):
    from tests.e2e.conftest import Cli

    cli = Cli(None, state_dir, tmp_path)
    answers, active = _org_answers(tmp_path)
    out = tmp_path / "hsm.json"
    stale = tmp_path / "hsm-assignments-7.json"  # an earlier, larger export's
    stale.write_text("{}", encoding="utf-8")
    done = cli(*ORG_EXPORT, "--config", answers, "--output", str(out))
    assert done.returncode == 0, done.stderr
    parts = sorted(tmp_path.glob("hsm-assignments-*.json"))
    assert [p.name for p in parts] == ["hsm-assignments-1.json", "hsm-assignments-2.json"]
    assert f"Removed {stale}" in done.stderr and "deploy hsm.json first" in done.stderr
    assert lint(out.read_text()) == []
    targets = []
    for part in parts:
        resources = json.loads(part.read_text())["Resources"]
        assert len(resources) <= 500
        targets += [r["Properties"]["TargetId"] for r in resources.values()]
    assert sorted(targets) == sorted(active)  # each once

    # Standard output holds one file: the export says to give --output.
    done = cli(*ORG_EXPORT, "--config", answers)
    assert done.returncode == 2 and done.stdout == ""
    assert "--output" in done.stderr and "Give --output FILE" in done.stderr
