"""`hsm-setup teardown` against the practice account's server: removes what hsm-setup created, and only that."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Cli
from tests.e2e.handoff import ACCOUNT, apply_everything, clients, inventory

pytestmark = pytest.mark.e2e
POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/CloudHSMAdminPolicy"


def statuses(cli) -> dict[str, str]:
    _, payload = cli.json()
    return {step["id"]: step["status"] for step in payload["steps"]}


def test_teardown_removes_everything_hsm_setup_created_and_keeps_the_rest(cli, practice):
    apply_everything(cli, practice)
    before = inventory(practice)
    assert before["permission_sets"] == ["AdministratorAccess", "CloudHSMAdmins"]

    done = cli("teardown", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    # The plan is shown as AWS CLI commands, in dependency order.
    out = done.stdout
    order = [
        "aws sso-admin delete-account-assignment",
        "aws identitystore delete-group-membership",
        "aws iam detach-group-policy",
        "aws identitystore delete-group ",
        "aws iam delete-group ",
        "aws sso-admin delete-permission-set",
        "aws iam delete-policy ",
        "aws identitystore delete-user",
    ]
    positions = [out.index(command) for command in order]
    assert positions == sorted(positions)

    after = inventory(practice)
    assert after["permission_sets"] == [] and after["assignments"] == 0
    assert after["groups"] == [] and after["memberships"] == 0 and after["users"] == []
    assert "CloudHSMAdmins" not in after["iam_groups"] and "CloudHSMAdminPolicy" not in after["policies"]
    # Never touched: the organization, Identity Center's enablement, the root user; the role stays unless asked.
    assert after["organization"] == before["organization"] and after["instances"] == 1
    assert "AWSServiceRoleForCloudHSM" in after["roles"]
    found = statuses(cli)
    assert (
        found["root-user"] == "done" and found["identity-center"] == "done" and found["service-linked-role"] == "done"
    )
    assert found["admin-user"] == "incomplete" and found["cloudhsm-group"] == "incomplete"

    again = cli("teardown", "--yes")
    assert again.returncode == 0
    assert "Nothing to remove" in again.stdout


def test_adopted_resources_stay_and_a_policy_version_is_given_back(cli, practice):
    practice.reset("partial")  # the admin user and a drifted policy exist before hsm-setup runs
    iam = clients(practice)["iam"]
    assert cli("apply", "--yes").returncode == 0
    assert len(iam.list_policy_versions(PolicyArn=POLICY_ARN)["Versions"]) == 2

    done = cli("teardown", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    after = inventory(practice)
    assert after["users"] == ["ops.admin"]  # adopted: kept
    assert "CloudHSMAdminPolicy" in after["policies"]  # adopted: kept, with its own document again
    versions = iam.list_policy_versions(PolicyArn=POLICY_ARN)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v1", True)]
    assert after["permission_sets"] == [] and after["groups"] == [] and "CloudHSMAdmins" not in after["iam_groups"]


def test_a_complete_account_made_elsewhere_loses_nothing(cli, practice):
    practice.reset("complete")  # everything exists, none of it made by this state directory's runs
    cli("check")
    before = inventory(practice)
    done = cli("teardown", "--yes")
    assert done.returncode == 0
    assert "Nothing to remove" in done.stdout
    assert inventory(practice) == before


def test_without_yes_and_without_a_terminal_it_asks_for_yes_and_removes_nothing(cli, practice):
    apply_everything(cli, practice)
    before = inventory(practice)
    done = cli("teardown", input="y\n")
    assert done.returncode == 2
    assert "aws sso-admin delete-permission-set" in done.stdout  # the plan is still shown
    assert "--yes" in done.stderr and "Traceback" not in done.stderr
    assert inventory(practice) == before


def test_a_rerun_finishes_what_an_interrupted_teardown_left(cli, practice, state_dir):
    apply_everything(cli, practice)
    # As if a first teardown stopped midway: some things are already gone, their notes still saved.
    c = clients(practice)
    sso, ids = c["sso-admin"], c["identitystore"]
    (instance,) = sso.list_instances()["Instances"]
    arn, store = instance["InstanceArn"], instance["IdentityStoreId"]
    for ps in sso.list_permission_sets(InstanceArn=arn)["PermissionSets"]:
        for a in sso.list_account_assignments(InstanceArn=arn, AccountId=ACCOUNT, PermissionSetArn=ps)[
            "AccountAssignments"
        ]:
            sso.delete_account_assignment(
                InstanceArn=arn,
                TargetId=ACCOUNT,
                TargetType="AWS_ACCOUNT",
                PermissionSetArn=ps,
                PrincipalType=a["PrincipalType"],
                PrincipalId=a["PrincipalId"],
            )
    for group in ids.list_groups(IdentityStoreId=store)["Groups"]:
        for m in ids.list_group_memberships(IdentityStoreId=store, GroupId=group["GroupId"])["GroupMemberships"]:
            ids.delete_group_membership(IdentityStoreId=store, MembershipId=m["MembershipId"])
        ids.delete_group(IdentityStoreId=store, GroupId=group["GroupId"])

    done = cli("teardown", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "already gone" in done.stdout
    after = inventory(practice)
    assert after["permission_sets"] == [] and after["users"] == [] and "CloudHSMAdmins" not in after["iam_groups"]
    saved = json.loads(next(state_dir.glob("*/state.json")).read_text())
    # Left: the role (kept unless asked) and the organization apply created (only a person can delete it).
    assert sorted(e["kind"] for e in saved["created"]) == ["organization", "service-linked-role"]


def test_the_service_linked_role_goes_only_when_asked(cli, practice):
    apply_everything(cli, practice)
    done = cli("teardown", "--yes", "--include-service-linked-role")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "aws iam delete-service-linked-role --role-name AWSServiceRoleForCloudHSM" in done.stdout
    assert "AWSServiceRoleForCloudHSM" not in inventory(practice)["roles"]


def test_bad_answers_file_exits_2_and_calls_nothing(answers_file, trap, state_dir, tmp_path):
    cli = Cli(trap.url, state_dir, tmp_path)
    path = answers_file('[admin]\nuser_name = "Administrator"\n')
    done = cli("teardown", "--yes", "--config", path)
    assert done.returncode == 2
    assert "admin.user_name" in done.stderr and "Traceback" not in done.stderr
    assert trap.connections == 0
