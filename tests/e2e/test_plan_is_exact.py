"""The plan is exactly what apply does, and apply then teardown leaves the account as it was.

On every practice scenario and in both admin modes, against the practice account's
server over HTTP: apply's successful changing calls are the plan's commands, one for
one, with the values the plan showed; and teardown after apply gives back the account
as it was before apply, except what only a person can undo, which teardown lists.
"""

from __future__ import annotations

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
    if before["organization"] is None and after["organization"] is not None:
        assert any("organization" in kept for kept in teardown.kept), teardown.kept
        after["organization"] = None
    assert after == before
