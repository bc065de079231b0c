"""The IAM path end to end: the real program against the practice account over HTTP.

The console password is shown only on a terminal, so the applies that must show it
run in a pseudo-terminal; the others run with pipes, as CI or a log would see them.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.e2e.test_plain_pty import PROGRAM, Terminal

pytestmark = pytest.mark.e2e
USER = "hsm.admin"
ANSWERS = f"""
[admin]
mode = "iam"
user_name = "{USER}"

[cloudhsm]
iam_members = ["{USER}"]
"""
PASSWORD_LINE = re.compile(r"copy it now and hand it to the user securely:\n\n {4}(\S+)\n")


def statuses(payload: dict) -> dict[str, str]:
    return {step["id"]: step["status"] for step in payload["steps"]}


def apply_on_terminal(cli, config: str) -> tuple[int, str]:
    term = Terminal([str(PROGRAM), "apply", "--yes", "--config", config], cli.env())
    end = time.monotonic() + 90
    while term.process.poll() is None and time.monotonic() < end:
        term.read_until_quiet(quiet=0.5, limit=10)
    term.read_until_quiet(quiet=0.2, limit=2)
    code = term.close()
    return code, term.text


def shown_password(text: str) -> str:
    match = PASSWORD_LINE.search(text)
    assert match, text
    return match.group(1)


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]


def test_iam_mode_from_fresh_to_done_shows_the_password_once_and_nowhere_else(cli, practice, answers_file, state_dir):
    config = answers_file(ANSWERS)
    for simulation in ("root-mfa", "root-access-keys"):
        practice.simulate(simulation, region="us-east-1")

    code, payload = cli.json("--config", config)
    assert statuses(payload)["identity-center"] == "skipped"
    assert statuses(payload)["permission-sets"] == "skipped"
    assert statuses(payload)["admin-user"] == "incomplete"
    plan = cli("plan", "--config", config)
    assert (
        "aws iam create-login-profile --user-name hsm.admin --password '<generated: shown once at apply>' --password-reset-required"
        in plan.stdout
    )

    code, text = apply_on_terminal(cli, config)
    assert code == 0, text
    password = shown_password(text)
    assert "shown this once" in text
    assert "https://123456789012.signin.aws.amazon.com/console" in text
    assert text.count(password) == 1

    iam = practice.client("iam")
    assert iam.get_login_profile(UserName=USER)["LoginProfile"]["PasswordResetRequired"] is True
    groups = {g["GroupName"] for g in iam.list_groups_for_user(UserName=USER)["Groups"]}
    assert groups == {"Administrators", "CloudHSMAdmins"}

    code, payload = cli.json("--config", config)
    assert code == 0, payload
    assert set(statuses(payload).values()) == {"done", "skipped"}
    admin = next(s for s in payload["steps"] if s["id"] == "admin-user")
    assert any("has no MFA device" in f["message"] and f.get("level") == "warning" for f in admin["findings"])

    again = cli("apply", "--yes", "--config", config)
    assert again.returncode == 0 and "Every step is done." in again.stdout

    report = cli("report", "--config", config)
    outputs = [report.stdout, report.stderr, again.stdout, again.stderr]
    assert all(password not in out for out in outputs)
    assert files_under(state_dir)
    for path in files_under(state_dir):
        assert password.encode() not in path.read_bytes(), path

    # Teardown removes the IAM administrator hsm-setup made, password first, and its groups.
    down = cli("teardown", "--yes", "--config", config)
    assert down.returncode == 0, down.stdout + down.stderr
    assert "aws iam delete-login-profile --user-name hsm.admin" in down.stdout
    assert USER not in {u["UserName"] for u in iam.list_users()["Users"]}
    assert not {"Administrators", "CloudHSMAdmins"} & {g["GroupName"] for g in iam.list_groups()["Groups"]}


def test_without_a_terminal_the_password_is_not_shown_and_the_next_apply_on_a_terminal_resets_it(
    cli, practice, answers_file, state_dir
):
    config = answers_file(ANSWERS)
    piped = cli("apply", "--yes", "--config", config)
    assert piped.returncode == 1
    assert "was set but not shown" in piped.stderr
    assert "copy it now" not in piped.stdout + piped.stderr
    _, payload = cli.json("--config", config)
    admin = next(s for s in payload["steps"] if s["id"] == "admin-user")
    assert admin["status"] == "incomplete"
    assert any("never showed" in f["message"] for f in admin["findings"])
    assert "aws iam update-login-profile --user-name hsm.admin" in cli("plan", "--config", config).stdout

    _, text = apply_on_terminal(cli, config)
    password = shown_password(text)
    assert "Reset the console password of hsm.admin" in text
    _code, payload = cli.json("--config", config)
    assert statuses(payload)["admin-user"] == "done"
    for path in files_under(state_dir):
        assert password.encode() not in path.read_bytes(), path


def test_the_practice_account_refuses_a_password_that_breaks_its_policy(practice):
    iam = practice.client("iam")
    iam.update_account_password_policy(MinimumPasswordLength=20, RequireSymbols=True)
    iam.create_user(UserName="someone")
    with pytest.raises(Exception) as raised:
        iam.create_login_profile(UserName="someone", Password="Short1abc", PasswordResetRequired=True)
    assert "PasswordPolicyViolation" in str(raised.value)


def test_a_bad_iam_user_name_is_refused_before_any_call(cli, answers_file, trap):
    config = answers_file('[admin]\nmode = "iam"\nuser_name = "has space"\n')
    done = cli("check", "--config", config, AWS_ENDPOINT_URL=trap.url)
    assert done.returncode == 2
    assert "admin.user_name:" in done.stderr and "Traceback" not in done.stderr
    assert trap.connections == 0


def test_the_report_lists_the_iam_administrator_and_its_group_as_made_by_hsm_setup(
    cli, practice, answers_file, tmp_path
):
    config = answers_file(ANSWERS)
    assert cli("apply", "--yes", "--config", config).returncode in (
        0,
        1,
    )  # with pipes the password is not shown: still to do
    out = tmp_path / "report.json"
    done = cli("report", "--format", "json", "--output", str(out), "--config", config)
    assert done.returncode in (0, 1), done.stderr
    rows = {(r["what"], r["name"]): r for r in json.loads(out.read_text())["resources"]}
    assert rows[("IAM user", USER)]["identifier"] == f"arn:aws:iam::123456789012:user/{USER}"
    assert rows[("IAM user", USER)]["created_by_hsm_setup"] is True
    assert rows[("IAM group", "Administrators")]["created_by_hsm_setup"] is True
