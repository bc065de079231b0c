"""Least privilege: every API call a step makes, recorded through botocore's event hooks,
is in the step's declared list; the README shows that list."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from hsm_setup.answers.values import Answers, defaults
from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.connection import Connection
from hsm_setup.engine.events import ActionFinished, ActionStarted
from hsm_setup.engine.runner import Engine
from hsm_setup.steps import permissions
from hsm_setup.steps.registry import STEPS

from .conftest import make_ready

pytestmark = pytest.mark.e2e
BY_ID = {s.id: s for s in STEPS}


def _iam_action(record) -> str:
    return f"{ {'sso-admin': 'sso'}.get(record.service, record.service) }:{record.operation}"


class RecordingEngine(Engine):
    """Attributes each call to the step check or action that made it.

    Checks run one at a time here (their own inner threads included), so every call
    between the start and the end of a step's check is that check's. Actions run one
    at a time during apply; the re-checks apply runs between them are not attributed
    (the sequential checks before and after cover them).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.current: tuple[str, str] | None = None
        self.action = None
        self.calls: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.outside_action: list[tuple[str, str]] = []
        self.on_event = self._on_event
        self.aws.add_listener(self._record)

    def check_each_step_alone(self) -> None:
        results = self.check()
        for step in self.steps:
            self.current = (step.id, "check")
            try:
                self.check_step(step, {d: results[d] for d in step.depends_on if d in results})
            finally:
                self.current = None

    def _on_event(self, event) -> None:
        if isinstance(event, ActionStarted):
            self.action = event.action
        elif isinstance(event, ActionFinished):
            self.action = None

    def _record(self, record) -> None:
        action = _iam_action(record)
        if self.current is not None:
            self.calls[self.current].add(action)
        elif self.action is not None:
            self.calls[(self.action.step_id, "apply")].add(action)
            if action not in self.action.permissions:
                self.outside_action.append((self.action.key, action))


def _engine(practice, answers: Answers) -> RecordingEngine:
    aws = AwsSession(Connection(region="us-east-1", **practice.connection_overrides()))
    return RecordingEngine(aws, answers, sandbox=True, sleep=lambda seconds: None)


def test_every_call_of_every_step_is_in_its_declared_permissions(practice):
    recorded: dict[tuple[str, str], set[str]] = defaultdict(set)
    answers = defaults()

    def run(engine: RecordingEngine) -> None:
        engine.check_each_step_alone()
        engine.apply()
        engine.check_each_step_alone()
        assert not engine.outside_action, f"calls an action does not declare: {engine.outside_action}"
        for key, actions in engine.calls.items():
            recorded[key] |= actions

    practice.reset("fresh")
    run(_engine(practice, answers))  # fresh: the organization, the IAM group and policy, the role
    make_ready(practice)
    run(_engine(practice, answers.replace({"cloudhsm.iam_members": ["hsm.auditor"]})))  # every change there is
    practice.reset("partial")
    run(_engine(practice, answers))  # the drifted policy corrected

    for step in STEPS:
        checked = recorded[(step.id, "check")]
        applied = recorded[(step.id, "apply")]
        assert checked, f"{step.id}: its check made no call; the recording is broken"
        assert checked <= set(step.check_permissions), (
            f"{step.id} check calls undeclared {sorted(checked - set(step.check_permissions))}"
        )
        assert applied <= set(step.apply_permissions), (
            f"{step.id} apply calls undeclared {sorted(applied - set(step.apply_permissions))}"
        )
    assert any(recorded[(s.id, "apply")] for s in STEPS)


def _granted(document: dict) -> set[str]:
    return {action for statement in document["Statement"] for action in statement["Action"]}


def test_the_policy_document_grants_exactly_the_declared_actions():
    declared = {a for s in STEPS for a in s.check_permissions + s.apply_permissions}
    assert _granted(permissions.policy_document()) == declared | {
        "sts:GetCallerIdentity",
        "iam:SimulatePrincipalPolicy",
    }
    read_only = _granted(permissions.policy_document(apply=False))
    assert read_only == {a for s in STEPS for a in s.check_permissions} | {"sts:GetCallerIdentity"}
    assert not any(
        a.split(":")[1].startswith(("Create", "Put", "Attach", "Delete", "Add", "Simulate")) for a in read_only
    )


def test_the_readme_permissions_section_is_generated_from_the_declarations():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert permissions.README_HEADING in readme
    assert permissions.readme_section(readme) == permissions.markdown(), (
        "README.md's permissions section is out of date: replace it with hsm_setup.steps.permissions.markdown()"
    )
