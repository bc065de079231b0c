"""The plan as a shell script (hsm_setup.handoff.plan_script), from actions described as data."""

from __future__ import annotations

import datetime as dt
import subprocess

from hsm_setup.aws.cli_command import cli
from hsm_setup.aws.script_call import Call, Change, Learned, Prefixed, Read
from hsm_setup.handoff.plan_script import plan_script
from hsm_setup.model import Status, StepResult
from hsm_setup.steps.actions import Action, ActionKind

USER = Learned(
    "USER_ID_ANN", "user id of ann", Read(Call("identitystore", "get-user-id", (("--user", "ann"),)), "UserId")
)
GROUP = Learned(
    "GROUP_ID_OPS", "group id of ops", Read(Call("identitystore", "get-group-id", (("--g", "ops"),)), "GroupId")
)


def _api(summary: str, change: Change) -> Action:
    return Action("s", summary, ActionKind.API, cli=change.text(), script=change)


def _script(*actions: Action) -> str:
    results = {"s": StepResult("s", Status.INCOMPLETE)}
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    return plan_script(
        {"s": list(actions)}, results, account_id="123456789012", region="eu-west-1", titles={}, now=when
    )


def test_the_text_plan_still_shows_a_placeholder_where_the_script_uses_a_variable():
    call = Call(
        "identitystore", "create-group-membership", (("--group-id", GROUP), ("--member-id", Prefixed("UserId=", USER)))
    )
    assert call.text() == cli(
        "identitystore",
        "create-group-membership",
        ("--group-id", "<group id of ops>"),
        ("--member-id", "UserId=<user id of ann>"),
    )


def test_a_created_id_is_captured_and_a_value_made_elsewhere_is_looked_up_before_its_first_use():
    create = _api(
        "Create ops",
        Change(Call("identitystore", "create-group", (("--name", "ops"),)), learns=GROUP, capture="GroupId"),
    )
    member = Call(
        "identitystore", "create-group-membership", (("--group-id", GROUP), ("--member-id", Prefixed("UserId=", USER)))
    )
    add = _api("Add ann", Change(member, done_when=Read(member, "MembershipId")))
    script = _script(create, add)
    lines = script.splitlines()
    captured = lines.index("  GROUP_ID_OPS=$(aws identitystore create-group --name ops --query GroupId --output text)")
    looked_up = next(
        i for i, line in enumerate(lines) if line.startswith("USER_ID_ANN=$(found aws identitystore get-user-id")
    )
    used = next(i for i, line in enumerate(lines) if line.startswith("  aws identitystore create-group-membership"))
    assert captured < looked_up < used
    assert lines[used].endswith('--group-id "$GROUP_ID_OPS" --member-id "UserId=$USER_ID_ANN"')
    assert "# hsm-setup plan for AWS account 123456789012, Region eu-west-1, made 2026-01-02 03:04:05 UTC." in lines
    assert subprocess.run(["bash", "-n"], input=script, text=True, check=False).returncode == 0


def test_a_console_step_is_a_comment_and_provisioning_runs_only_after_a_change_in_the_same_run():
    manual = Action(
        "s", "Enable MFA", ActionKind.MANUAL, console_url="https://console.aws.amazon.com/iam", instructions=["Sign in"]
    )
    attach = _api(
        "Attach",
        Change(
            Call("sso-admin", "attach", (("--x", "1"),)),
            done_when=Read(Call("sso-admin", "list"), "A"),
            marks="CHANGED_PS",
        ),
    )
    provision = _api("Provision", Change(Call("sso-admin", "provision"), only_if_marked="CHANGED_PS"))
    lines = _script(manual, attach, provision).splitlines()
    assert "# MANUAL (in the console, not run by this script): Enable MFA" in lines
    assert "#   console: https://console.aws.amazon.com/iam" in lines
    assert not any(line.lstrip().startswith("Enable MFA") for line in lines)
    assert (
        lines.index("  CHANGED_PS=1")
        < lines.index('if [ -n "${CHANGED_PS:-}" ]; then')
        < lines.index("  aws sso-admin provision")
    )


def test_an_action_without_a_script_description_is_left_to_apply_as_a_comment():
    password = Action(
        "s", "Give ann a console password", ActionKind.API, cli="aws iam create-login-profile --user-name ann ..."
    )
    lines = _script(password).splitlines()
    assert "#   NOT IN THIS SCRIPT: run `hsm-setup apply` for it:" in lines
    assert "#   aws iam create-login-profile --user-name ann ..." in lines
    assert any(line.startswith("# 1 action(s) below are left to `hsm-setup apply`") for line in lines)
    assert not any(line.startswith("aws iam create-login-profile") for line in lines)
