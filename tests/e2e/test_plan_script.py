"""`hsm-setup plan --format sh`: the plan as a bash script, run with the real AWS CLI against the practice account.

In each practice scenario the script applies the plan as it stands; a second run makes no changing call;
after the console steps the scenario needs (done by the practice account's simulations) the script is
written again and run, and then `hsm-setup check` finds every step done (exit 0), except in a member
account, where what waits for the management account's people is all that is left.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hsm_setup.aws.clients import is_mutating

from .conftest import Cli

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent

# The console steps each scenario's plan lists (done by the practice account's simulations): those
# nothing waits for, before the first script; those other steps wait for, between two scripts.
# A member account (member-managed-root) waits for a person at the management account: there is no
# simulation for that, so the steps after identity-center stay to do there.
ROOT_CONSOLE_STEPS = ("root-mfa", "root-access-keys")
CONSOLE_STEPS_BEFORE = {
    "fresh": ROOT_CONSOLE_STEPS,
    "partial": (),
    "made-by-hand": (),
    "member-managed-root": (),
    "org": ROOT_CONSOLE_STEPS,
    "delegated": ROOT_CONSOLE_STEPS,
}
CONSOLE_STEPS_BETWEEN = {"fresh": ("enable-identity-center",)}
LEFT_FOR_A_PERSON = {"member-managed-root": {"identity-center", "admin-user", "permission-sets"}}


def _changing_calls(practice, since: int) -> list[tuple[str, str]]:
    return [call for call in practice.received_calls()[since:] if is_mutating(call[1])]


def _run_script(cli, script: Path) -> subprocess.CompletedProcess[str]:
    # The practice account answers a status query IN_PROGRESS once, as AWS may: the script asks again
    # sooner than its default 2 s, which only the waits' length changes.
    env = cli.env(
        AWS_DEFAULT_REGION="us-east-1",
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        HSM_SETUP_POLL_SECONDS="0.1",
    )
    return subprocess.run(["bash", str(script)], capture_output=True, text=True, env=env, timeout=300)


def _write_script(cli, tmp_path: Path, name: str) -> Path:
    planned = cli("plan", "--format", "sh")
    assert planned.returncode in (0, 1), planned.stderr
    assert planned.stdout.startswith("#!/usr/bin/env bash\n"), planned.stdout[:200] + planned.stderr
    script = tmp_path / name
    script.write_text(planned.stdout, encoding="utf-8")
    return script


def _apply_with_script(cli, practice, tmp_path: Path, name: str) -> list[tuple[str, str]]:
    """Write the plan as a script, run it, run it again; what the first run changed."""
    script = _write_script(cli, tmp_path, name)
    before = len(practice.received_calls())
    first = _run_script(cli, script)
    assert first.returncode == 0, first.stderr + "\n" + script.read_text()
    changed = _changing_calls(practice, before)

    before = len(practice.received_calls())
    second = _run_script(cli, script)
    assert second.returncode == 0, second.stderr
    assert _changing_calls(practice, before) == [], second.stderr
    return changed


@pytest.mark.slow
@pytest.mark.long
@pytest.mark.skipif(not (BIN / "aws").exists(), reason="the AWS CLI (awscli, in the test extras) is not installed")
@pytest.mark.parametrize("scenario", sorted(CONSOLE_STEPS_BEFORE))
def test_the_script_applies_the_plan_and_a_second_run_changes_nothing(cli, practice, tmp_path, scenario):
    practice.reset(scenario)
    for simulation in CONSOLE_STEPS_BEFORE[scenario]:
        practice.simulate(simulation, region="us-east-1")
    changed = _apply_with_script(cli, practice, tmp_path, "plan-1.sh")
    assert changed, "the first run of the script changed nothing"
    assert ("iam", "CreateServiceLinkedRole") in changed

    if scenario in CONSOLE_STEPS_BETWEEN:
        for simulation in CONSOLE_STEPS_BETWEEN[scenario]:
            practice.simulate(simulation, region="us-east-1")
        changed = _apply_with_script(cli, practice, tmp_path, "plan-2.sh")
        assert ("sso-admin", "CreateAccountAssignment") in changed

    code, report = cli.json()
    unfinished = {step["id"] for step in report["steps"] if step["status"] not in ("done", "skipped")}
    assert unfinished == LEFT_FOR_A_PERSON.get(scenario, set()), json.dumps(report, indent=1)
    assert code == (1 if unfinished else 0)
    # Nothing left that a script could do: the plan written now holds no AWS CLI command.
    assert "\naws " not in cli("plan").stdout


def test_a_format_not_offered_is_refused_with_the_choices_and_nothing_is_called(trap, state_dir, tmp_path):
    done = Cli(trap.url, state_dir, tmp_path)("plan", "--format", "yaml")
    assert done.returncode == 2
    assert "--format" in done.stderr and "'text', 'json', 'sh'" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert trap.connections == 0


def test_json_stays_an_alias_of_format_json(cli):
    alias, spelled = cli("plan", "--json"), cli("plan", "--format", "json")
    assert alias.returncode == spelled.returncode == 1
    assert json.loads(alias.stdout) == json.loads(spelled.stdout)
    assert "identity-center" in json.loads(alias.stdout)


def test_ids_aws_assigns_are_placeholders_in_text_and_captured_in_the_script(cli, practice):
    practice.reset("partial")
    text = cli("plan").stdout
    assert "--group-id '<group id of Administrators>'" in text
    script = cli("plan", "--format", "sh").stdout
    assert "<group id of" not in script and "<ARN of" not in script
    assert "GROUP_ID_ADMINISTRATORS=$(aws identitystore create-group " in script
    assert "--query GroupId --output text)" in script
    assert '--group-id "$GROUP_ID_ADMINISTRATORS"' in script
    assert "--query PermissionSet.PermissionSetArn --output text)" in script
    assert "wait_for_assignment us-east-1 " in script
    assert script.splitlines()[1].startswith("# hsm-setup plan for AWS account 123456789012, Region us-east-1, made ")
    assert "set -euo pipefail" in script.splitlines()


@pytest.mark.slow
@pytest.mark.long
@pytest.mark.skipif(not (BIN / "aws").exists(), reason="the AWS CLI (awscli, in the test extras) is not installed")
def test_in_iam_mode_the_script_leaves_only_the_console_password_to_apply(cli, practice, tmp_path, answers_file):
    practice.reset("partial")
    config = answers_file('region = "us-east-1"\n[admin]\nmode = "iam"\nuser_name = "ops.admin"\n')
    planned = cli("plan", "--format", "sh", "--config", config)
    assert "#   NOT IN THIS SCRIPT: run `hsm-setup apply` for it:" in planned.stdout
    script = tmp_path / "plan.sh"
    script.write_text(planned.stdout, encoding="utf-8")

    before = len(practice.received_calls())
    assert _run_script(cli, script).returncode == 0
    changed = _changing_calls(practice, before)
    assert ("iam", "CreateUser") in changed and ("iam", "AddUserToGroup") in changed
    assert ("iam", "CreateLoginProfile") not in changed
    before = len(practice.received_calls())
    assert _run_script(cli, script).returncode == 0
    assert _changing_calls(practice, before) == []

    left = [line for line in cli("plan", "--config", config).stdout.splitlines() if line.startswith("aws ")]
    assert [line.split(" --")[0] for line in left] == ["aws iam create-login-profile"]
