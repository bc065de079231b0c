"""The pre-flight as a core function over a plan (what every front end shows per step)."""

from __future__ import annotations

import json

import pytest

from hsm_setup.answers.values import defaults
from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.connection import Connection
from hsm_setup.engine.preflight import ALLOWED, MISSING, NOTHING, ROOT, preflight
from hsm_setup.engine.runner import Engine

from .enforced import printed_policy, without

pytestmark = pytest.mark.e2e
ACCOUNT = "123456789012"


def _engine(practice, **credentials: str) -> Engine:
    overrides = practice.connection_overrides()
    overrides.update(credentials)
    # The practice account's engine: its made-up administrator stands in for the one a person names.
    return Engine(
        AwsSession(Connection(region="us-east-1", **overrides)), defaults(), sandbox=True, sleep=lambda seconds: None
    )


def _verdict(engine: Engine):
    results = engine.check()
    return preflight(engine, results, engine.plan(results))


def _simulations(practice, before: int) -> int:
    return sum(1 for call in practice.received_calls()[before:] if call == ("iam", "SimulatePrincipalPolicy"))


def test_missing_actions_are_attributed_to_the_steps_whose_plans_need_them(practice):
    practice.reset("partial")
    iam = practice.client("iam")
    document = without(printed_policy(defaults()), "sso:CreateAccountAssignment")
    arn = iam.create_policy(PolicyName="operator", PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    iam.create_user(UserName="operator")
    iam.attach_user_policy(UserName="operator", PolicyArn=arn)
    key = iam.create_access_key(UserName="operator")["AccessKey"]
    practice.enforce_iam()

    verdict = _verdict(_engine(practice, access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"]))
    assert verdict.outcome == MISSING and verdict.blocks_apply
    assert verdict.principal == f"arn:aws:iam::{ACCOUNT}:user/operator"
    assert verdict.missing_actions() == ["sso:CreateAccountAssignment"]
    for step in ("admin-user", "permission-sets"):
        (missing,) = verdict.for_step(step)
        assert missing.label.startswith("Assign ") and missing.decision == "implicitDeny"
        assert f"arn:aws:sso:::account/{ACCOUNT}" in missing.resources
    assert verdict.for_step("cloudhsm-group") == []
    (statement,) = verdict.policy_statements()
    assert statement["Action"] == ["sso:CreateAccountAssignment"]


def test_an_identity_center_session_is_simulated_as_its_role(practice):
    """An assumed role's session ARN has no path; the role's own ARN does (aws-reserved/sso.amazonaws.com/)."""
    practice.reset("partial")
    iam = practice.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(
        RoleName="AWSReservedSSO_Operator_0123456789abcdef",
        Path="/aws-reserved/sso.amazonaws.com/",
        AssumeRolePolicyDocument=json.dumps(trust),
    )["Role"]
    iam.put_role_policy(
        RoleName=role["RoleName"], PolicyName="hsm", PolicyDocument=json.dumps(printed_policy(defaults()))
    )
    session = practice.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="ops.admin")["Credentials"]
    practice.enforce_iam()

    engine = _engine(
        practice,
        access_key_id=session["AccessKeyId"],
        secret_access_key=session["SecretAccessKey"],
        session_token=session["SessionToken"],
    )
    assert engine.identity().arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/ops.admin"
    verdict = _verdict(engine)
    assert verdict.outcome == ALLOWED, verdict.lines()
    assert verdict.principal == role["Arn"]


def test_root_is_not_simulated(practice):
    practice.reset("partial")
    practice.caller = "root"
    try:
        before = len(practice.received_calls())
        verdict = _verdict(_engine(practice))
    finally:
        practice.caller = "user"  # the server is shared by this module's tests
    assert verdict.outcome == ROOT and not verdict.blocks_apply
    assert "root" in verdict.lines()[0]
    assert _simulations(practice, before) == 0


def test_a_plan_without_changes_asks_nothing(practice):
    practice.reset("complete")
    before = len(practice.received_calls())
    verdict = _verdict(_engine(practice))
    assert verdict.outcome == NOTHING
    assert _simulations(practice, before) == 0


def test_plain_prompts_show_what_iam_refuses_and_change_nothing(practice, tmp_path, monkeypatch):
    """The same pre-flight in plain mode: printed before the question, and the step left without a change."""
    import io

    from hsm_setup.answers.values import from_nested
    from hsm_setup.secrets.store import SecretStore
    from hsm_setup_screens.plain.flow import PlainFlow
    from tests.unit.test_plain_flow import FakeQuestionary, Keys

    monkeypatch.setenv("HSM_SETUP_STATE_DIR", str(tmp_path / "state"))
    answers = from_nested(
        {"admin": {"user_name": "ops.admin", "given_name": "Ops", "family_name": "Admin", "email": "ops@corp.test"}}
    )
    practice.reset("partial")
    iam = practice.client("iam")
    document = without(printed_policy(answers), "sso:CreatePermissionSet")
    arn = iam.create_policy(PolicyName="operator", PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    iam.create_user(UserName="operator")
    iam.attach_user_policy(UserName="operator", PolicyArn=arn)
    key = iam.create_access_key(UserName="operator")["AccessKey"]
    practice.enforce_iam()
    signing_as_operator = {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}
    connection = Connection(region="us-east-1", **{**practice.connection_overrides(), **signing_as_operator})
    FakeQuestionary([("simulate", False), ("Apply", True)]).install(monkeypatch)
    out = io.StringIO()
    flow = PlainFlow(
        connection, answers=answers, out=out, store=SecretStore(), wait_for_input=Keys("s"), sleep=lambda s: None
    )

    flow.run()

    text = out.getvalue()
    assert f"arn:aws:iam::{ACCOUNT}:user/operator may not do everything this plan needs" in text
    assert "sso:CreatePermissionSet" in text
    assert "Left for later: nothing was changed for this step" in text
    assert not any(call[1] == "CreatePermissionSet" for call in practice.received_calls())
