"""service-linked-role: check, plan and apply on moto in-process."""

from __future__ import annotations

from hsm_setup.model import Status
from hsm_setup.steps.service_linked_role import ROLE_NAME, STEP


def test_missing_role_is_incomplete_and_planned(make_engine):
    engine = make_engine()
    result = engine.check_step(STEP, {})
    assert result.status is Status.INCOMPLETE
    assert any(ROLE_NAME in f.message and not f.ok for f in result.findings)
    plan = engine.plan_step(STEP, {STEP.id: result})
    assert [a.cli for a in plan] == ["aws iam create-service-linked-role --aws-service-name cloudhsm.amazonaws.com"]


def test_existing_role_is_done_with_its_arn_as_evidence(make_engine, aws):
    aws.client("iam").create_role(
        RoleName=ROLE_NAME,
        Path="/aws-service-role/cloudhsm.amazonaws.com/",
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudhsm.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
    )
    result = make_engine().check_step(STEP, {})
    assert result.status is Status.DONE
    assert any(
        f.evidence and f.evidence.endswith(f"role/aws-service-role/cloudhsm.amazonaws.com/{ROLE_NAME}")
        for f in result.findings
    )


def test_access_denied_is_an_error_naming_the_action(make_engine, deny):
    deny("GetRole")
    result = make_engine().check_step(STEP, {})
    assert result.status is Status.ERROR
    assert "iam:GetRole" in (result.error or "")
