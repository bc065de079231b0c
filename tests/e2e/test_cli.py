"""The headless commands as subprocesses against the practice account's server over HTTP."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import ADMIN_TOML, Cli

pytestmark = pytest.mark.e2e
ACCOUNT = "123456789012"
STEP_IDS = ["root-user", "identity-center", "admin-user", "permission-sets", "cloudhsm-group", "service-linked-role"]


def statuses(payload: dict) -> dict[str, str]:
    return {step["id"]: step["status"] for step in payload["steps"]}


def test_check_on_a_fresh_account_reports_every_step_in_order(cli):
    code, payload = cli.json()
    assert code == 1
    assert set(payload) >= {"account_id", "region", "caller_arn", "steps"}
    assert payload["account_id"] == ACCOUNT
    assert [s["id"] for s in payload["steps"]] == STEP_IDS
    assert statuses(payload) == {
        "root-user": "incomplete",
        "identity-center": "incomplete",
        "admin-user": "blocked",
        "permission-sets": "blocked",
        "cloudhsm-group": "incomplete",
        "service-linked-role": "incomplete",
    }
    for step in payload["steps"]:
        assert step["findings"], step["id"]
        assert all(isinstance(f["ok"], bool) and f["message"] for f in step["findings"])
    root = payload["steps"][0]
    assert any("AccountMFAEnabled = 0" in (f.get("evidence") or "") + f["message"] for f in root["findings"])


def test_plan_prints_aws_cli_commands_and_manual_links(cli):
    done = cli("plan")
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "aws organizations create-organization --feature-set ALL" in out
    assert "aws iam create-group --group-name CloudHSMAdmins" in out
    assert "aws iam create-service-linked-role --aws-service-name cloudhsm.amazonaws.com" in out
    assert "MANUAL" in out and "https://console.aws.amazon.com/" in out


def test_apply_on_fresh_then_the_console_actions_then_apply_finishes(cli, practice):
    first = cli("apply", "--yes")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "Still to do by a person" in first.stdout
    code, payload = cli.json()
    after_first = statuses(payload)
    assert after_first["cloudhsm-group"] == "done"
    assert after_first["service-linked-role"] == "done"
    assert after_first["identity-center"] == "incomplete"  # the console step is still pending

    for simulation in ("root-mfa", "root-access-keys", "enable-identity-center"):
        practice.simulate(simulation, region="us-east-1")
    second = cli("apply", "--yes")
    assert second.returncode == 0, second.stdout + second.stderr
    code, payload = cli.json()
    assert code == 0
    assert set(statuses(payload).values()) == {"done"}


def _inventory(practice) -> dict:
    """What exists in the account, counted the way a duplicate would show."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    iam = session.client("iam", endpoint_url=practice.endpoint_url)
    sso = session.client("sso-admin", endpoint_url=practice.endpoint_url)
    ids = session.client("identitystore", endpoint_url=practice.endpoint_url)
    (instance,) = sso.list_instances()["Instances"]
    arn, store = instance["InstanceArn"], instance["IdentityStoreId"]
    permission_sets = [
        sso.describe_permission_set(InstanceArn=arn, PermissionSetArn=p)["PermissionSet"]["Name"]
        for p in sso.list_permission_sets(InstanceArn=arn)["PermissionSets"]
    ]
    assignments = []
    for p in sso.list_permission_sets(InstanceArn=arn)["PermissionSets"]:
        assignments += sso.list_account_assignments(InstanceArn=arn, AccountId=ACCOUNT, PermissionSetArn=p)[
            "AccountAssignments"
        ]
    groups = ids.list_groups(IdentityStoreId=store)["Groups"]
    memberships = sum(
        len(ids.list_group_memberships(IdentityStoreId=store, GroupId=g["GroupId"])["GroupMemberships"]) for g in groups
    )
    policy_arn = f"arn:aws:iam::{ACCOUNT}:policy/CloudHSMAdminPolicy"
    return {
        "users": sorted(u["UserName"] for u in ids.list_users(IdentityStoreId=store)["Users"]),
        "groups": sorted(g["DisplayName"] for g in groups),
        "memberships": memberships,
        "permission_sets": sorted(permission_sets),
        "assignments": len(assignments),
        "iam_groups": sorted(g["GroupName"] for g in iam.list_groups()["Groups"]),
        "policy_versions": len(iam.list_policy_versions(PolicyArn=policy_arn)["Versions"]),
    }


def test_apply_twice_equals_apply_once(cli, practice):
    for simulation in ("root-mfa", "root-access-keys"):
        practice.simulate(simulation)
    cli("apply", "--yes")
    practice.simulate("enable-identity-center", region="us-east-1")
    assert cli("apply", "--yes").returncode == 0
    once = _inventory(practice)
    again = cli("apply", "--yes")
    assert again.returncode == 0
    assert "Every step is done" in again.stdout
    assert _inventory(practice) == once
    assert once == {
        "users": ["ops.admin"],
        "groups": ["Administrators", "CloudHSMAdmins"],
        "memberships": 2,
        "permission_sets": ["AdministratorAccess", "CloudHSMAdmins"],
        "assignments": 2,
        "iam_groups": ["CloudHSMAdmins"],
        "policy_versions": 1,
    }


def test_partial_account_reports_the_drifted_policy_and_apply_corrects_it(cli, practice):
    practice.reset("partial")
    code, payload = cli.json()
    assert code == 1
    found = statuses(payload)
    assert found["root-user"] == "done" and found["identity-center"] == "done"
    group = next(s for s in payload["steps"] if s["id"] == "cloudhsm-group")
    assert any("differs" in f["message"] for f in group["findings"]), group
    assert cli("apply", "--yes").returncode == 0
    assert _inventory(practice)["policy_versions"] == 2


def test_bad_answers_exit_2_naming_the_key_and_call_nothing(answers_file, trap, state_dir, tmp_path):
    cli = Cli(trap.url, state_dir, tmp_path)
    path = answers_file('[admin]\nuser_name = "Administrator"\nsession_duration = "PT24H"\n')
    for command in (["check"], ["plan"], ["apply", "--yes"]):
        done = cli(*command, "--config", path)
        assert done.returncode == 2
        assert 'admin.user_name: "Administrator" is reserved in IAM Identity Center' in done.stderr
        assert "admin.session_duration:" in done.stderr
        assert "Traceback" not in done.stderr
    assert trap.connections == 0


def test_no_credentials_is_one_clear_line_and_exit_2(state_dir, tmp_path):
    cli = Cli(None, state_dir, tmp_path)
    env = cli.env()
    done = cli("check", AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("hsm-setup: No AWS credentials were found.")
    assert "Traceback" not in done.stderr
    assert env  # the environment had no credentials beyond the blanked ones


def test_unreachable_endpoint_is_explained(trap, state_dir, tmp_path):
    trap.close()  # nothing listens there any more
    cli = Cli(trap.url, state_dir, tmp_path)
    done = cli("check")
    assert done.returncode == 2
    assert "Could not reach the AWS endpoint" in done.stderr


def test_check_uses_the_answers_saved_by_apply(cli, answers_file, practice):
    path = answers_file(ADMIN_TOML + '[cloudhsm]\niam_group = "HsmOperators"\n')
    cli("apply", "--yes", "--config", path)
    _code, payload = cli.json()  # no --config: the saved answers for this account
    group = next(s for s in payload["steps"] if s["id"] == "cloudhsm-group")
    assert group["status"] == "done"
    assert any("HsmOperators" in f["message"] for f in group["findings"])


def test_sandbox_flag_runs_a_practice_account_in_process(state_dir, tmp_path):
    cli = Cli(None, state_dir, tmp_path)
    done = cli("--sandbox", "check", "--json")
    payload = json.loads(done.stdout)
    assert done.returncode == 1
    assert payload["sandbox"] is True
    done = cli("check", "--sandbox", "--scenario", "complete", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
