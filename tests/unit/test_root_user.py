"""root-user: check and plan on moto in-process.

moto 5.2.5 cannot turn root MFA on (GetAccountSummary's AccountMFAEnabled is always 0),
cannot give root access keys, and its credential report has no root row and a fixed
2015 GeneratedTime. These tests set those values on moto's IAM backend, or adjust
the parsed response, to stand in for what AWS would answer.
"""

from __future__ import annotations

import datetime as dt
import types

import pytest

from hsm_setup.answers.values import Answers
from hsm_setup.engine.events import Progress
from hsm_setup.engine.runner import Engine
from hsm_setup.model import Status
from hsm_setup.steps.root_user import REPORT_POLL_DELAYS, SECURITY_CREDENTIALS_URL, STEP
from tests.conftest import ACCOUNT_ID

ROOT_ARN = f"arn:aws:iam::{ACCOUNT_ID}:root"
REPORT_HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
)


def _iam_backend():
    from moto.iam.models import iam_backends

    return iam_backends[ACCOUNT_ID]["aws"]


def _root_state(mfa: int, keys: int) -> None:
    summary = _iam_backend().account_summary
    summary._account_mfa_enabled = mfa
    summary._account_access_keys_present = keys


def _root_virtual_mfa(aws) -> str:
    """Assign a virtual MFA device to root: moto's EnableMFADevice only takes IAM users."""
    serial = aws.client("iam").create_virtual_mfa_device(VirtualMFADeviceName="root-account-mfa-device")[
        "VirtualMFADevice"
    ]["SerialNumber"]
    device = _iam_backend().virtual_mfa_devices[serial]
    device.enable_date = dt.datetime.now(dt.UTC)
    device.user = types.SimpleNamespace(path="/", name="", id=ACCOUNT_ID, arn=ROOT_ARN, create_date=device.enable_date)
    return serial


def _report_with_root_row(monkeypatch, aws, password_last_used: str, generated: dt.datetime) -> None:
    root = (
        f"<root_account>,{ROOT_ARN},2020-01-01T00:00:00+00:00,not_supported,{password_last_used},"
        "not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
    )
    backend = _iam_backend()
    original = backend.get_credential_report
    monkeypatch.setattr(
        backend, "get_credential_report", lambda: original().replace(REPORT_HEADER, REPORT_HEADER + root)
    )

    def generated_at(parsed, **_):
        parsed["GeneratedTime"] = generated

    aws.client("iam").meta.events.register("after-call.iam.GetCredentialReport", generated_at)


def _messages(result) -> str:
    return "\n".join(f.message for f in result.findings)


def test_fresh_account_needs_root_mfa_as_a_manual_action(make_engine):
    engine = make_engine()
    result = engine.check_step(STEP, {})
    assert result.status is Status.INCOMPLETE
    assert any(not f.ok and f.evidence == "AccountMFAEnabled = 0" for f in result.findings)
    plan = engine.plan_step(STEP, {STEP.id: result})
    assert [a.summary for a in plan] == ["Enable MFA for the root user"]
    assert plan[0].is_manual and plan[0].run is None
    assert plan[0].console_url == SECURITY_CREDENTIALS_URL
    assert plan[0].simulation == "root-mfa"
    assert any("Assign MFA device" in line for line in plan[0].instructions)


def test_root_access_keys_make_the_step_incomplete_and_are_planned(make_engine):
    _root_state(mfa=1, keys=1)
    engine = make_engine()
    result = engine.check_step(STEP, {})
    assert result.status is Status.INCOMPLETE
    assert any(not f.ok and f.evidence == "AccountAccessKeysPresent = 1" for f in result.findings)
    plan = engine.plan_step(STEP, {STEP.id: result})
    assert [(a.summary, a.simulation) for a in plan] == [("Delete the root user's access keys", "root-access-keys")]


def test_mfa_and_no_keys_is_done_with_mfa_that_is_not_virtual(make_engine):
    _root_state(mfa=1, keys=0)
    result = make_engine().check_step(STEP, {})
    assert result.status is Status.DONE
    evidence = {f.evidence for f in result.findings}
    assert {"AccountMFAEnabled = 1", "AccountAccessKeysPresent = 0"} <= evidence
    assert result.facts.mfa_kind == "not-virtual"
    assert not [f for f in result.findings if f.level == "warning"]


def test_virtual_root_mfa_is_advice_not_a_failure(make_engine, aws):
    _root_state(mfa=1, keys=0)
    # Another user's virtual device is assigned too: only root's ARN may count.
    iam = aws.client("iam")
    iam.create_user(UserName="alice")
    alice = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="alice", SerialNumber=alice, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    serial = _root_virtual_mfa(aws)

    result = make_engine().check_step(STEP, {})
    assert result.status is Status.DONE
    assert result.facts.mfa_kind == "virtual"
    advice = [f for f in result.findings if f.level == "warning"]
    assert len(advice) == 1 and advice[0].ok
    assert "passkey or security key" in advice[0].message and advice[0].evidence == serial
    listed = [c.params for c in aws.calls if c.operation == "ListVirtualMFADevices"]
    assert listed == [{"AssignmentStatus": "Assigned", "MaxItems": 1000}]


def test_another_users_virtual_device_does_not_make_root_mfa_virtual(make_engine, aws):
    _root_state(mfa=1, keys=0)
    iam = aws.client("iam")
    iam.create_user(UserName="root-ish")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="root-account-mfa-device")["VirtualMFADevice"][
        "SerialNumber"
    ]
    iam.enable_mfa_device(
        UserName="root-ish", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    result = make_engine().check_step(STEP, {})
    assert result.facts.mfa_kind == "not-virtual"


def test_credential_report_says_when_root_signed_in_and_how_old_it_is(make_engine, aws, monkeypatch):
    _root_state(mfa=1, keys=0)
    now = dt.datetime.now(dt.UTC)
    signed_in = (now - dt.timedelta(days=3, hours=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    _report_with_root_row(monkeypatch, aws, signed_in, generated=now - dt.timedelta(minutes=12, seconds=30))
    events: list = []
    result = make_engine(on_event=events.append).check_step(STEP, {})
    assert result.status is Status.DONE
    report = next(f for f in result.findings if "signed in" in f.message)
    assert "The root user last signed in 3 days ago" in report.message
    assert "report generated 12 minutes ago" in report.message
    assert f"password_last_used = {signed_in}" in (report.evidence or "")
    assert "mfa_active = true" in (report.evidence or "")
    # moto has no report until asked: the check generated one and said it was waiting.
    assert "Waiting for the credential report..." in [e.message for e in events if isinstance(e, Progress)]
    assert "GenerateCredentialReport" in [c.operation for c in aws.calls]


def test_root_that_never_signed_in_with_a_password(make_engine, aws, monkeypatch):
    _report_with_root_row(monkeypatch, aws, "no_information", generated=dt.datetime.now(dt.UTC))
    result = make_engine().check_step(STEP, {})
    report = next(f for f in result.findings if "credential report" in f.message.lower())
    assert "no record of the root user signing in" in report.message
    assert "less than a minute ago" in report.message


def test_report_without_a_root_row_is_said_not_failed(make_engine):
    _root_state(mfa=1, keys=0)
    result = make_engine().check_step(STEP, {})
    assert result.status is Status.DONE
    assert "no row for the root user" in _messages(result)


def test_report_still_generating_gives_up_after_about_ten_seconds(make_engine, deny, aws):
    _root_state(mfa=1, keys=0)
    deny("GetCredentialReport", code="ReportInProgress")
    waits: list[float] = []
    # Built here rather than with make_engine, to record the waits it asks for.
    engine = Engine(aws, Answers({}), sleep=waits.append)
    result = engine.check_step(STEP, {})
    assert result.status is Status.DONE
    assert "still being generated" in _messages(result)
    assert 5 <= sum(waits) <= 15
    assert waits == list(REPORT_POLL_DELAYS)
    # A report being built needs no second request.
    assert sum(1 for c in aws.calls if c.operation == "GenerateCredentialReport") == 1


def test_denied_credential_report_names_the_permission_and_keeps_the_verdict(make_engine, deny):
    _root_state(mfa=1, keys=0)
    deny("GetCredentialReport")
    result = make_engine().check_step(STEP, {})
    assert result.status is Status.DONE
    assert "iam:GetCredentialReport" in _messages(result)


def test_denied_mfa_listing_names_the_permission(make_engine, deny):
    _root_state(mfa=1, keys=0)
    deny("ListVirtualMFADevices")
    result = make_engine().check_step(STEP, {})
    assert result.status is Status.DONE
    assert "iam:ListVirtualMFADevices" in _messages(result)


def test_access_denied_on_the_summary_is_an_error_naming_the_action(make_engine, deny):
    deny("GetAccountSummary")
    result = make_engine().check_step(STEP, {})
    assert result.status is Status.ERROR
    assert "iam:GetAccountSummary" in (result.error or "")


def test_root_credentials_in_use_are_warned_about(make_engine, aws):
    _root_state(mfa=1, keys=0)

    def as_root(parsed, **_):
        parsed["Arn"] = ROOT_ARN

    aws.client("sts").meta.events.register("after-call.sts.GetCallerIdentity", as_root)
    result = make_engine().check_step(STEP, {})
    warning = [f for f in result.findings if not f.ok and "root user's credentials" in f.message]
    assert len(warning) == 1 and warning[0].evidence == ROOT_ARN


def test_non_root_credentials_get_no_such_warning(make_engine):
    result = make_engine().check_step(STEP, {})
    assert "root user's credentials" not in _messages(result)


@pytest.mark.parametrize("mfa,keys", [(0, 0), (1, 1)])
def test_check_changes_nothing_and_calls_only_declared_permissions(make_engine, aws, mfa, keys):
    _root_state(mfa=mfa, keys=keys)
    make_engine().check_step(STEP, {})
    assert aws.mutating_calls() == []
    called = {f"iam:{c.operation}" for c in aws.calls if c.service == "iam"}
    assert called <= set(STEP.check_permissions)
    assert STEP.apply_permissions == ()


def test_root_plans_say_what_aws_recommends_and_that_keys_can_go_by_api_as_root(make_engine):
    _root_state(mfa=0, keys=1)
    engine = make_engine()
    plan = engine.plan_step(STEP, {STEP.id: engine.check_step(STEP, {})})
    mfa, keys = (" ".join(action.instructions) for action in plan)
    assert "Prefer a passkey or a security key" in mfa and "enable-mfa-for-root.html" in mfa
    assert "aws iam delete-access-key --access-key-id" in keys and "signed in as root" in keys
