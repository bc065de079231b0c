"""On a real account hsm-setup makes no administrator up: plan and apply need one named, check does not."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import ADMIN_TOML, Cli

pytestmark = pytest.mark.e2e
IDENTITY = ["admin.user_name", "admin.given_name", "admin.family_name", "admin.email"]


def _named(stderr: str) -> list[str]:
    return [line.split(":")[1].strip() for line in stderr.splitlines() if line.startswith("hsm-setup: admin.")]


@pytest.mark.parametrize("command", [["plan"], ["apply", "--yes"]])
def test_an_answers_file_without_the_administrator_exits_2_naming_each_key_before_any_call(
    command, answers_file, trap, state_dir, tmp_path
):
    cli = Cli(trap.url, state_dir, tmp_path)
    done = cli(*command, "--config", answers_file('[cloudhsm]\niam_group = "HsmOperators"\n'))
    assert done.returncode == 2, done.stdout + done.stderr
    assert _named(done.stderr) == IDENTITY
    assert "not given; hsm-setup does not make up the administrator on a real account" in done.stderr
    assert "Nothing was changed." in done.stderr
    assert "Traceback" not in done.stderr
    assert trap.connections == 0


def test_without_answers_plan_exits_2_once_the_account_is_known_and_changes_nothing(practice, state_dir, tmp_path):
    cli = Cli(practice.endpoint_url, state_dir, tmp_path)  # no saved answers for this account
    for command in (["plan"], ["apply", "--yes"]):
        done = cli(*command)
        assert done.returncode == 2, done.stdout + done.stderr
        assert _named(done.stderr) == IDENTITY
        assert "aws " not in done.stdout  # no plan was printed
    assert practice.client("iam").list_groups()["Groups"] == []


def test_the_practice_accounts_made_up_administrator_in_an_answers_file_is_refused_on_a_real_account(
    answers_file, trap, state_dir, tmp_path
):
    cli = Cli(trap.url, state_dir, tmp_path)
    made_up = (
        '[admin]\nuser_name = "ops.admin"\ngiven_name = "Ops"\nfamily_name = "Admin"\nemail = "ops.admin@example.com"\n'
    )
    done = cli("plan", "--config", answers_file(made_up))
    assert done.returncode == 2
    assert "hsm-setup: admin.email: 'ops.admin@example.com' is the practice account's made-up value" in done.stderr
    assert trap.connections == 0


def test_check_works_without_the_administrator_and_says_what_it_needs(practice, state_dir, tmp_path):
    practice.reset("partial")  # Identity Center enabled: admin-user and permission-sets can be checked
    cli = Cli(practice.endpoint_url, state_dir, tmp_path)
    code, payload = cli.json()
    assert code == 1
    steps = {s["id"]: s for s in payload["steps"]}
    assert steps["root-user"]["status"] == "done" and steps["identity-center"]["status"] == "done"
    assert steps["admin-user"]["status"] == "incomplete"
    assert steps["admin-user"]["missing_answers"] == IDENTITY
    assert steps["permission-sets"]["missing_answers"] == ["admin.user_name"]
    assert steps["admin-user"]["findings"][0]["message"].startswith(
        "Not checked yet: this step needs the administrator's"
    )
    assert "missing_answers" not in steps["cloudhsm-group"]


def test_iam_mode_needs_only_the_user_name(answers_file, practice, state_dir, tmp_path):
    cli = Cli(practice.endpoint_url, state_dir, tmp_path)
    done = cli("plan", "--config", answers_file('[admin]\nmode = "iam"\nuser_name = "hsm.admin"\n'))
    assert done.returncode == 1, done.stderr
    assert "aws iam create-user --user-name hsm.admin" in done.stdout


def test_a_named_administrator_is_planned(answers_file, practice, state_dir, tmp_path):
    cli = Cli(practice.endpoint_url, state_dir, tmp_path)
    practice.reset("partial")
    named = ADMIN_TOML.replace("ops.admin", "josé.núñez").replace("josé.núñez@corp.test", "jose@corp.test")
    done = cli("plan", "--config", answers_file(named))
    assert done.returncode == 1, done.stderr
    assert "Create the Identity Center user josé.núñez" in done.stdout


def test_the_practice_account_has_its_made_up_administrator(state_dir, tmp_path):
    cli = Cli(None, state_dir, tmp_path)
    done = cli("--sandbox", "plan", "--json")
    assert done.returncode == 1, done.stderr
    plan = json.loads(done.stdout)
    assert plan["identity-center"]  # the fresh practice account starts with Identity Center to enable
