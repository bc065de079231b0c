"""The plan is exactly what apply does, and apply then teardown leaves the account as it was.

On every practice scenario and in both admin modes, against the practice account's
server over HTTP: apply's successful changing calls are the plan's commands, one for
one, with the values the plan showed; and teardown after apply gives back the account
as it was before apply, except what only a person can undo, which teardown lists.
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import replace
from typing import Any

import pytest

from hsm_setup.answers.values import defaults
from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.connection import Connection
from hsm_setup.engine.runner import Engine
from hsm_setup.handoff.teardown import plan_teardown, run_teardown
from hsm_setup.sandbox import SCENARIOS
from hsm_setup.state.account import AccountState
from tests.e2e.plan_audit import ChangeRecorder, compare, planned_call, snapshot

pytestmark = pytest.mark.e2e
MODES = ("identity-center", "iam")


def _engine(practice: Any, mode: str, state_root: pathlib.Path) -> tuple[Engine, AwsSession, ChangeRecorder]:
    connection = replace(Connection(region="us-east-1", sandbox=True), **practice.connection_overrides())
    aws = AwsSession(connection)
    recorder = ChangeRecorder()
    recorder.attach_params(aws)
    recorder.attach(aws)
    answers = defaults(practice=True).replace({"admin.mode": mode})
    state = AccountState(practice.account_id, sandbox=True, root=state_root)
    return Engine(aws, answers, state=state, sandbox=True, sleep=lambda seconds: None), aws, recorder


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_apply_makes_exactly_the_planned_changes_and_teardown_gives_the_account_back(
    practice, scenario: str, mode: str, tmp_path: pathlib.Path
) -> None:
    practice.reset(scenario)
    before = snapshot(practice)
    engine, aws, recorder = _engine(practice, mode, tmp_path / "state")

    results = engine.check()
    plan = engine.plan(results)
    planned = [planned_call(action) for actions in plan.values() for action in actions if not action.is_manual]
    engine.apply(results)
    differences = compare(planned, recorder.changes)
    assert not differences, "\n".join(differences)

    teardown = plan_teardown(engine.state, include_service_linked_role=True)  # type: ignore[arg-type]
    report = run_teardown(aws, engine.state, teardown, sleep=lambda seconds: None)  # type: ignore[arg-type]
    assert report.ok, [(r.summary, str(p)) for r, p in report.failed]
    after = snapshot(practice)
    # What only a person can undo is listed by teardown, and is the only difference left.
    if not before["organization"] and after["organization"]:
        assert any("organization" in kept for kept in teardown.kept), teardown.kept
        after["organization"] = False
    assert after == before


def test_plan_shows_what_it_adopts_with_the_policy_diff_and_where_the_change_reaches(cli, practice) -> None:
    practice.reset("made-by-hand")
    done = cli("plan", "--json")
    assert done.returncode == 1, done.stderr
    planned = json.loads(done.stdout)
    keys = [a["summary"] for a in planned["permission-sets"]]
    # The hand-made permission set is adopted, not created again.
    assert not any(summary.startswith("Create the permission set") for summary in keys), keys
    put = next(a for a in planned["permission-sets"] if "inline" in a["summary"])
    assert "was not made by hsm-setup" in put["changes_existing"]
    assert "provisioned to account(s) 123456789012" in put["changes_existing"]
    assert '-      "Action": "cloudhsm:DescribeClusters",' in put["diff"]
    assert "<" not in put["cli"]  # its ARN is known: no placeholder
    provision = next(a for a in planned["permission-sets"] if a["summary"].startswith("Provision"))
    assert "--target-type ALL_PROVISIONED_ACCOUNTS" in provision["cli"]
    attach = next(a for a in planned["admin-user"] if "AdministratorAccess to" in a["summary"])
    assert "was not made by hsm-setup" in attach["changes_existing"]

    text = cli("plan").stdout
    assert "#   CHANGES WHAT ALREADY EXISTED: the permission set CloudHSMAdmins" in text
    assert '#     -      "Action": "cloudhsm:DescribeClusters",' in text
