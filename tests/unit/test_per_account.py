"""The four per-account steps checked and applied in every target account (practice account, `org` scenario)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hsm_setup.answers.values import defaults
from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.connection import Connection
from hsm_setup.cli.render import step_json
from hsm_setup.engine.runner import Engine
from hsm_setup.model import Status
from hsm_setup.sandbox import PracticeAccount
from hsm_setup.sandbox.catalog import ACCOUNT_ID
from hsm_setup.state.account import AccountState

PER_ACCOUNT = ("admin-user", "permission-sets", "cloudhsm-group", "service-linked-role")


@pytest.fixture(scope="module")
def practice() -> Iterator[PracticeAccount]:
    with PracticeAccount("org", accounts=14) as account:
        yield account


@pytest.fixture
def p(practice: PracticeAccount) -> PracticeAccount:
    practice.reset("org")
    return practice


def reachable(p: PracticeAccount) -> list[str]:
    seeded = p.organization
    return [a for a in seeded.member_ids if a not in seeded.suspended | seeded.role_missing]


def engine_for(p: PracticeAccount, targets: list[str], tmp_path: Path) -> Engine:
    answers = defaults(practice=True).replace({"admin.accounts": targets, "cloudhsm.accounts": targets})
    aws = AwsSession(Connection(region="us-east-1", sandbox=True, **p.connection_overrides()))
    state = AccountState(ACCOUNT_ID, sandbox=True, root=tmp_path)
    return Engine(aws, answers, state=state, sandbox=True, sleep=lambda seconds: None)


def test_check_reports_every_target_accounts_status_per_step(p: PracticeAccount, tmp_path: Path) -> None:
    members = reachable(p)[:2]
    results = engine_for(p, ["this", *members], tmp_path).check()
    for step_id in PER_ACCOUNT:
        data = step_json(results[step_id])
        assert data["accounts"] == dict.fromkeys([ACCOUNT_ID, *members], "incomplete"), step_id
    assert "accounts" not in step_json(results["root-user"])


def test_apply_reaches_every_target_and_a_failing_account_does_not_stop_the_others(
    p: PracticeAccount, tmp_path: Path
) -> None:
    members = reachable(p)[:3]
    missing = sorted(p.organization.role_missing)[0]
    engine = engine_for(p, ["this", *members, missing], tmp_path)
    report = engine.apply()
    for step_id in ("admin-user", "permission-sets"):
        # Identity Center's part needs no member role: every target is done
        assert set(report.results[step_id].accounts.values()) == {"done"}, step_id
    for step_id in ("cloudhsm-group", "service-linked-role"):
        accounts = report.results[step_id].accounts
        assert {a for a, s in accounts.items() if s == "done"} == {ACCOUNT_ID, *members}, step_id
        assert accounts[missing] == "error"
        assert report.results[step_id].status is Status.INCOMPLETE
        assert any(f.message.startswith(f"Account {missing}: the role") for f in report.results[step_id].findings)
    failed = [o for o in report.outcomes if not o.ok]
    assert [o.action.step_id for o in failed] == ["cloudhsm-group", "service-linked-role"]
    assert all(missing in o.message and "the others are done" in o.message for o in failed)
    # In each member account, as its own IAM sees it
    credentials = p.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{members[0]}:role/OrganizationAccountAccessRole", RoleSessionName="test"
    )["Credentials"]
    import boto3

    iam = boto3.client(
        "iam",
        endpoint_url=p.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    assert iam.get_group(GroupName="CloudHSMAdmins")["Group"]["GroupName"] == "CloudHSMAdmins"
    assert iam.get_role(RoleName="AWSServiceRoleForCloudHSM")["Role"]["RoleName"] == "AWSServiceRoleForCloudHSM"


def test_apply_again_changes_nothing_where_targets_are_done(p: PracticeAccount, tmp_path: Path) -> None:
    members = reachable(p)[:3]
    engine_for(p, ["this", *members], tmp_path).apply()
    again = engine_for(p, ["this", *members], tmp_path)
    report = again.apply()
    assert report.outcomes == []
    assert again.aws.mutating_calls() == []
    assert all(report.results[s].status is Status.DONE for s in PER_ACCOUNT)


def test_a_creation_sent_before_a_crash_is_followed_not_sent_again(p: PracticeAccount, tmp_path: Path) -> None:
    members = reachable(p)[:2]
    engine = engine_for(p, ["this"], tmp_path)
    engine.apply()  # the permission sets, groups and this account's assignments
    facts = engine.check()["permission-sets"].facts
    assert facts is not None and facts.permission_set is not None and facts.group_id
    # A run sent CreateAccountAssignment for the first member account, kept its request id, then died.
    sso = p.client("sso-admin")
    status = sso.create_account_assignment(
        InstanceArn=facts.identity_center.instance_arn,
        TargetId=members[0],
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=facts.permission_set.arn,
        PrincipalType="GROUP",
        PrincipalId=facts.group_id,
    )["AccountAssignmentCreationStatus"]
    key = f"assignment:{facts.permission_set.arn.rsplit('/', 1)[-1]}:{facts.group_id}:{members[0]}"
    AccountState(ACCOUNT_ID, sandbox=True, root=tmp_path).remember(**{key: status["RequestId"]})

    resumed = engine_for(p, ["this", *members], tmp_path)
    resumed.answers = resumed.answers.replace({"admin.accounts": ["this"]})
    report = resumed.apply()
    created = [c.params["TargetId"] for c in resumed.aws.calls if c.operation == "CreateAccountAssignment"]
    assert created == [members[1]]
    assert report.results["permission-sets"].accounts == dict.fromkeys([ACCOUNT_ID, *members], "done")
    listed = sso.list_account_assignments(
        InstanceArn=facts.identity_center.instance_arn, AccountId=members[0], PermissionSetArn=facts.permission_set.arn
    )["AccountAssignments"]
    assert len(listed) == 1


def test_the_report_lists_every_target_account_and_its_state(p: PracticeAccount, tmp_path: Path) -> None:
    from types import SimpleNamespace

    from hsm_setup.handoff.report import build_report, render_report

    members = reachable(p)[:2]
    engine = engine_for(p, ["this", *members], tmp_path)
    results = engine.check()
    workspace = SimpleNamespace(
        identity=engine.identity(),
        answers=engine.answers,
        engine=engine,
        state=engine.state,
        connection=engine.aws.connection,
    )
    report = build_report(workspace, results)
    entry = next(s for s in report.to_json()["steps"] if s["id"] == "cloudhsm-group")
    assert entry["accounts"] == dict.fromkeys([ACCOUNT_ID, *members], "incomplete")
    markdown = render_report(report, "md")
    assert f"| {members[1]} | " in markdown and "| Target account | State |" in markdown
    assert f"<td>{members[1]}</td>" in render_report(report, "html")


def test_teardown_removes_the_assignments_apply_made_in_every_target_account(
    p: PracticeAccount, tmp_path: Path
) -> None:
    from hsm_setup.handoff.teardown import plan_teardown, run_teardown

    members = reachable(p)[:2]
    engine = engine_for(p, ["this", *members], tmp_path)
    engine.apply()
    facts = engine.check()["permission-sets"].facts
    assert facts is not None and facts.group_id
    instance_arn = facts.identity_center.instance_arn
    sso = p.client("sso-admin")

    def assigned_to_the_cloudhsm_group() -> set[str]:
        listed = sso.list_account_assignments_for_principal(
            InstanceArn=instance_arn, PrincipalId=facts.group_id, PrincipalType="GROUP"
        )["AccountAssignments"]
        return {a["AccountId"] for a in listed}

    assert assigned_to_the_cloudhsm_group() == {ACCOUNT_ID, *members}
    plan = plan_teardown(engine.state)
    summaries = [r.summary for r in plan.removals if r.kind == "account-assignments"]
    shown = ", ".join(sorted(members))
    assert summaries == [
        f"Remove the account assignments AdministratorAccess to the group Administrators on 2 account(s): {shown}",
        f"Remove the account assignments CloudHSMAdmins to the group CloudHSMAdmins on 2 account(s): {shown}",
    ]

    report = run_teardown(engine.aws, engine.state, plan, sleep=lambda seconds: None)
    assert report.ok, [problem.cause for _, problem in report.failed]
    assert assigned_to_the_cloudhsm_group() == set()
    assert plan_teardown(engine.state).removals == []


def test_an_assignment_teardown_cannot_remove_is_named_the_others_go_and_teardown_again_finishes(
    p: PracticeAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hsm_setup.errors import HsmSetupError
    from hsm_setup.handoff.teardown import plan_teardown, run_teardown
    from hsm_setup.resources.permission_sets import AccountAssignment

    members = reachable(p)[:3]
    engine = engine_for(p, ["this"], tmp_path)
    engine.answers = engine.answers.replace({"cloudhsm.accounts": ["this", *members]})
    engine.apply()
    facts = engine.check()["permission-sets"].facts
    assert facts is not None and facts.group_id
    stuck = members[1]
    remove = AccountAssignment.remove

    def refusing(self: AccountAssignment, aws: AwsSession, sleep: object) -> str:
        if self.account_id == stuck:
            raise HsmSetupError("AWS could not remove the assignment: a test said no.", "Try again.")
        return remove(self, aws, sleep)  # type: ignore[arg-type]

    monkeypatch.setattr(AccountAssignment, "remove", refusing)
    plan = plan_teardown(engine.state)
    batch = next(r for r in plan.removals if r.kind == "account-assignments")
    report = run_teardown(engine.aws, engine.state, plan, sleep=lambda seconds: None)
    (failed, problem) = next((r, pr) for r, pr in report.failed if r.kind == "account-assignments")
    assert failed.ident == batch.ident
    assert problem.cause.startswith(f"1 of 3 assignments could not be removed (Account {stuck}: AWS could not remove")
    assert problem.cause.endswith("the others are.")

    listed = p.client("sso-admin").list_account_assignments_for_principal(
        InstanceArn=facts.identity_center.instance_arn, PrincipalId=facts.group_id, PrincipalType="GROUP"
    )["AccountAssignments"]
    assert {a["AccountId"] for a in listed} == {stuck}

    monkeypatch.setattr(AccountAssignment, "remove", remove)
    again = plan_teardown(engine.state)
    assert [r.ident for r in again.removals if r.kind == "account-assignments"] == [batch.ident]
    assert run_teardown(engine.aws, engine.state, again, sleep=lambda seconds: None).ok
    after = p.client("sso-admin").list_account_assignments_for_principal(
        InstanceArn=facts.identity_center.instance_arn, PrincipalId=facts.group_id, PrincipalType="GROUP"
    )["AccountAssignments"]
    assert after == []


def test_teardown_of_an_organizations_assignments_reads_the_principal_once_not_once_more_per_account(
    p: PracticeAccount, tmp_path: Path
) -> None:
    from hsm_setup.handoff.teardown import TeardownPlan, plan_teardown, run_teardown

    members = reachable(p)[:3]
    engine = engine_for(p, ["this"], tmp_path)
    engine.answers = engine.answers.replace({"cloudhsm.accounts": ["this", *members]})
    engine.apply()
    batch = next(r for r in plan_teardown(engine.state).removals if r.kind == "account-assignments")
    before = engine.aws.call_counts()

    report = run_teardown(engine.aws, engine.state, TeardownPlan([batch]), sleep=lambda seconds: None)
    assert report.ok, [problem.cause for _, problem in report.failed]
    calls = engine.aws.call_counts() - before
    # One listing of the principal's assignments (three accounts fit in a page), then one deletion per account.
    assert calls["sso-admin:ListAccountAssignmentsForPrincipal"] == 1
    assert calls["sso-admin:DeleteAccountAssignment"] == 3
