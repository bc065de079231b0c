"""The four per-account steps checked and applied in every target account (practice account, `org` scenario)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hsm_setup.answers.values import defaults
from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.connection import Connection
from hsm_setup.cli.render import step_json
from hsm_setup.engine.runner import Engine
from hsm_setup.model import Status
from hsm_setup.organizations.sent_requests import SentRequests
from hsm_setup.sandbox import PracticeAccount
from hsm_setup.sandbox.catalog import ACCOUNT_ID
from hsm_setup.sandbox.organization import MEMBER_ROLE
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


def member_client(p: PracticeAccount, account: str, service: str = "iam") -> Any:
    """A client of a member account's own, through its member role."""
    import boto3

    credentials = p.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{MEMBER_ROLE}", RoleSessionName="test"
    )["Credentials"]
    return boto3.client(
        service,
        endpoint_url=p.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def member_iam(p: PracticeAccount, account: str) -> Any:
    return member_client(p, account, "iam")


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
    iam = member_iam(p, members[0])
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


def test_a_step_waiting_only_on_other_accounts_plans_nothing_more_in_this_one(
    p: PracticeAccount, tmp_path: Path
) -> None:
    """This account has its role, group and assignments; the other targets do not yet. The plan reaches them and
    makes nothing again here (the service-linked role's step planned to create this account's role again, which
    IAM refuses as taken)."""
    members = reachable(p)[:2]
    engine_for(p, ["this"], tmp_path).apply()
    engine = engine_for(p, ["this", *members], tmp_path)
    plan = engine.plan(engine.check())
    for step_id in PER_ACCOUNT:
        assert [a.key for a in plan[step_id]] == [f"{step_id}:accounts"], step_id
    report = engine.apply()
    assert {c.operation for c in engine.aws.mutating_calls()} == {
        "CreateAccountAssignment",
        "CreatePolicy",
        "CreateGroup",
        "AttachGroupPolicy",
        "CreateServiceLinkedRole",
    }
    created_roles = [c for c in engine.aws.mutating_calls() if c.operation == "CreateServiceLinkedRole"]
    assert len(created_roles) == len(members)  # one in each member account, none here
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
    folder = AccountState(ACCOUNT_ID, sandbox=True, root=tmp_path).folder
    SentRequests(folder, facts.permission_set.arn, facts.group_id).sent(members[0], status["RequestId"])

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


def test_a_kept_request_is_dropped_once_its_account_holds_the_assignment(p: PracticeAccount, tmp_path: Path) -> None:
    """A run killed mid-way keeps the creations it sent; once their accounts hold the assignment the next check
    drops them (no run would: every target is done, so none plans the step again). One whose account has no
    assignment yet is kept for the next apply to follow."""
    from hsm_setup.organizations.per_account import grant_of

    members = reachable(p)[:2]
    engine = engine_for(p, ["this"], tmp_path)
    engine.apply()
    grant = grant_of("permission-sets", engine.check()["permission-sets"].facts)
    assert grant is not None
    p.client("sso-admin").create_account_assignment(
        InstanceArn=grant.instance_arn,
        TargetId=members[0],
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=grant.permission_set_arn,
        PrincipalType=grant.principal_type,
        PrincipalId=grant.principal_id,
    )
    folder = AccountState(ACCOUNT_ID, sandbox=True, root=tmp_path).folder
    kept = SentRequests(folder, grant.permission_set_arn, grant.principal_id)
    kept.sent(members[0], "request-1")
    kept.sent(members[1], "request-2")

    engine_for(p, ["this", *members], tmp_path).check()
    left = SentRequests(folder, grant.permission_set_arn, grant.principal_id)
    assert left.request(members[0]) is None
    assert left.request(members[1]) == "request-2"


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


# -- what apply made in member accounts, and teardown ------------------------------------------------
GROUP, POLICY, ROLE = "CloudHSMAdmins", "CloudHSMAdminPolicy", "AWSServiceRoleForCloudHSM"


def held(p: PracticeAccount, account: str) -> set[str]:
    """What a member account holds of the CloudHSM group, its policy, their attachment and the service-linked role."""
    iam = member_iam(p, account)
    found: set[str] = set()
    policy_arn = f"arn:aws:iam::{account}:policy/{POLICY}"
    for name, read in (
        ("group", lambda: iam.get_group(GroupName=GROUP)),
        ("policy", lambda: iam.get_policy(PolicyArn=policy_arn)),
        ("role", lambda: iam.get_role(RoleName=ROLE)),
    ):
        try:
            read()
        except iam.exceptions.NoSuchEntityException:
            continue
        found.add(name)
    if "group" in found:
        attached = iam.list_attached_group_policies(GroupName=GROUP)["AttachedPolicies"]
        if any(a["PolicyArn"] == policy_arn for a in attached):
            found.add("attached")
    return found


def member_section(listing: str, account: str) -> list[str]:
    """The teardown listing's commands for one member account."""
    lines = listing.splitlines()
    start = lines.index(f"# In account {account}, as its role {MEMBER_ROLE}:") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
    return lines[start:end]


def cut_off(account: str) -> None:
    """The member role deleted in `account` (someone removed it): hsm-setup can no longer reach the account."""
    from moto.iam.models import iam_backends

    iam_backends[account]["global"].delete_role(MEMBER_ROLE)


def restored(account: str) -> None:
    """The member role made again in `account`, trusting the management account as AWS Organizations makes it."""
    from hsm_setup.sandbox.organization import add_member_role

    add_member_role(account, ACCOUNT_ID)


class Crash(BaseException):
    """The process dying mid-apply: nothing after it runs, not even the engine's journal of a failure."""


def test_teardown_removes_what_apply_made_in_each_member_account_and_leaves_what_was_there(
    p: PracticeAccount, tmp_path: Path
) -> None:
    from hsm_setup.handoff.teardown import plan_teardown, plan_text, run_teardown

    had_group, had_role, fresh = reachable(p)[:3]
    member_iam(p, had_group).create_group(GroupName=GROUP)
    member_iam(p, had_role).create_service_linked_role(AWSServiceName="cloudhsm.amazonaws.com")
    engine = engine_for(p, ["this", had_group, had_role, fresh], tmp_path)
    report = engine.apply()
    for step_id in ("cloudhsm-group", "service-linked-role"):
        assert set(report.results[step_id].accounts.values()) == {"done"}, step_id
    for account in (had_group, had_role, fresh):
        assert held(p, account) == {"group", "policy", "attached", "role"}

    # What teardown shows before it acts: each member account, with exactly what apply made there.
    plan = plan_teardown(engine.state, include_service_linked_role=True)
    assert plan.in_words(ACCOUNT_ID).endswith(" and what hsm-setup created in 3 member account(s)")
    listing = plan_text(plan)
    detach = f"aws iam detach-group-policy --group-name {GROUP} --policy-arn arn:aws:iam::{{}}:policy/{POLICY}"
    delete_group = f"aws iam delete-group --group-name {GROUP}"
    delete_policy = f"aws iam delete-policy --policy-arn arn:aws:iam::{{}}:policy/{POLICY}"
    delete_role = f"aws iam delete-service-linked-role --role-name {ROLE}"
    assert member_section(listing, had_group) == [
        detach.format(had_group),
        delete_policy.format(had_group),
        delete_role,
    ]
    assert member_section(listing, had_role) == [
        detach.format(had_role),
        delete_group,
        delete_policy.format(had_role),
    ]
    assert member_section(listing, fresh) == [
        detach.format(fresh),
        delete_group,
        delete_policy.format(fresh),
        delete_role,
    ]

    # Unless asked, the service-linked roles stay, as the connected account's does, and the plan says so.
    kept = plan_teardown(engine.state).kept
    assert (
        f"The service-linked role {ROLE} in 2 member account(s): {had_group}, {fresh} (AWS keeps it while clusters exist; add --include-service-linked-role to remove it)."
        in kept
    )

    result = run_teardown(engine.aws, engine.state, plan, sleep=lambda seconds: None)
    assert result.ok, [problem.cause for _, problem in result.failed]
    assert held(p, had_group) == {"group"}  # there before apply: kept, without the policy hsm-setup attached
    assert held(p, had_role) == {"role"}
    assert held(p, fresh) == set()
    assert [r.kind for r in plan_teardown(engine.state, include_service_linked_role=True).removals] == []


def test_a_member_account_the_role_cannot_reach_is_named_the_others_are_cleaned_and_teardown_again_finishes(
    p: PracticeAccount, tmp_path: Path
) -> None:
    from hsm_setup.handoff.teardown import plan_teardown, run_teardown

    members = reachable(p)[:3]
    engine = engine_for(p, ["this", *members], tmp_path)
    engine.apply()
    unreachable = members[1]
    cut_off(unreachable)

    report = tear_down(engine)
    ((failed, problem),) = report.failed
    assert failed.kind == "member-account-resources"
    assert problem.cause.startswith(
        f"1 of 3 member accounts still hold what hsm-setup made there (Account {unreachable}: the role "
        f"{MEMBER_ROLE} cannot be assumed there"
    )
    assert "Create the role in that account" in problem.cause  # the reason's next move, kept with the account
    assert held(p, members[0]) == held(p, members[2]) == set()

    restored(unreachable)
    assert held(p, unreachable) == {"group", "policy", "attached", "role"}
    again = plan_teardown(engine.state, include_service_linked_role=True)
    (rest,) = again.removals
    assert rest.kind == "member-account-resources" and rest.summary.startswith(
        f"Remove what hsm-setup created in 1 member account(s) ({unreachable})"
    )
    assert run_teardown(engine.aws, engine.state, again, sleep=lambda s: None).ok
    assert held(p, unreachable) == set()


def apply_until_crash(engine: Engine, account: str, operation: str, *, after: bool) -> None:
    """Apply, dying in `account` just before (or just after) hsm-setup's call `operation` there."""
    from hsm_setup.organizations.member_access import MemberAccess

    call = MemberAccess.call

    def dying(self: MemberAccess, in_account: str, service: str, name: str, **params: Any) -> Any:
        if in_account == account and name == operation and not after:
            raise Crash
        answer = call(self, in_account, service, name, **params)
        if in_account == account and name == operation:
            raise Crash
        return answer

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MemberAccess, "call", dying)
        with pytest.raises(Crash):
            engine.apply()


def tear_down(engine: Engine) -> Any:
    """Teardown of everything noted, service-linked roles included; the report."""
    from hsm_setup.handoff.teardown import plan_teardown, run_teardown

    assert engine.state is not None
    plan = plan_teardown(engine.state, include_service_linked_role=True)
    return run_teardown(engine.aws, engine.state, plan, sleep=lambda seconds: None)


def test_a_crash_after_a_note_and_before_its_creation_leaves_teardown_able_to_clean_up(
    p: PracticeAccount, tmp_path: Path
) -> None:
    members = reachable(p)[:2]
    engine = engine_for(p, ["this", *members], tmp_path)
    apply_until_crash(engine, members[0], "create_group", after=False)
    # The policy made, the group noted but not made (the service-linked roles' fan-out runs beside this one).
    assert held(p, members[0]) - {"role"} == {"policy"}

    report = tear_down(engine)
    assert report.ok, [problem.cause for _, problem in report.failed]
    assert held(p, members[0]) == held(p, members[1]) == set()


def test_a_crash_right_after_a_creation_then_apply_again_still_leaves_it_to_teardown(
    p: PracticeAccount, tmp_path: Path
) -> None:
    members = reachable(p)[:2]
    apply_until_crash(engine_for(p, ["this", *members], tmp_path), members[0], "create_service_linked_role", after=True)
    assert "role" in held(p, members[0])  # AWS made the role; the run died before hearing so

    # The next apply finds the role there: noted before the crash, so still hsm-setup's to remove.
    engine = engine_for(p, ["this", *members], tmp_path)
    engine.apply()
    report = tear_down(engine)
    assert report.ok, [problem.cause for _, problem in report.failed]
    assert held(p, members[0]) == held(p, members[1]) == set()


def test_a_service_linked_role_a_cluster_still_uses_is_named_with_the_cause_and_kept_for_the_next_teardown(
    p: PracticeAccount, tmp_path: Path
) -> None:
    from hsm_setup.handoff.teardown import plan_teardown, run_teardown

    in_use, free = reachable(p)[:2]
    engine = engine_for(p, ["this", in_use, free], tmp_path)
    engine.apply()
    cluster = member_client(p, in_use, "cloudhsmv2").create_cluster(
        HsmType="hsm1.medium", SubnetIds=["subnet-0123456789abcdef0"]
    )["Cluster"]

    report = tear_down(engine)
    ((_, problem),) = report.failed
    cluster_arn = f"arn:aws:cloudhsm:us-east-1:{in_use}:cluster/{cluster['ClusterId']}"
    assert problem.cause.startswith(
        f"1 of 2 member accounts still hold what hsm-setup made there (Account {in_use}: AWS did not delete {ROLE}: "
    )
    assert f"still in use by {cluster_arn} (us-east-1)" in problem.cause
    assert "Delete the CloudHSM clusters that use it" in problem.cause
    assert "https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html" in problem.cause
    assert held(p, in_use) == {"role"} and held(p, free) == set()

    # Only the role is left to the next teardown, which finishes once the cluster is gone.
    again = plan_teardown(engine.state, include_service_linked_role=True)
    (rest,) = again.removals
    assert rest.cli == [
        f"# In account {in_use}, as its role {MEMBER_ROLE}:",
        f"aws iam delete-service-linked-role --role-name {ROLE}",
    ]
    member_client(p, in_use, "cloudhsmv2").delete_cluster(ClusterId=cluster["ClusterId"])
    assert run_teardown(engine.aws, engine.state, again, sleep=lambda s: None).ok
    assert held(p, in_use) == set()


def test_member_accounts_named_by_id_are_read_while_the_organizations_tree_is_read(
    p: PracticeAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tree comes 20 accounts a page (7 s for 1,256 accounts at 80 ms a request); accounts named by id need
    reading whatever it holds, so both IAM steps' reads of them go on meanwhile."""
    import threading

    from hsm_setup.organizations import per_account
    from hsm_setup.organizations.member_access import MemberAccess

    members = reachable(p)[:3]
    read_before_tree: set[str] = set()  # member reads made before the tree was read whole
    tree_read = threading.Event()
    both_steps_read = threading.Event()
    call = MemberAccess.call

    def member_call(self: MemberAccess, account: str, service: str, operation: str, **params: Any) -> Any:
        if not tree_read.is_set():
            read_before_tree.add(operation)
            if {"get_group", "get_role"} <= read_before_tree:  # cloudhsm-group's read and service-linked-role's
                both_steps_read.set()
        return call(self, account, service, operation, **params)

    read_tree = per_account.read_tree

    def slow_tree(organizations: Any) -> Any:
        both_steps_read.wait(timeout=5)  # as a big organization's pages take: the member reads go on meanwhile
        tree = read_tree(organizations)
        tree_read.set()
        return tree

    monkeypatch.setattr(MemberAccess, "call", member_call)
    monkeypatch.setattr(per_account, "read_tree", slow_tree)
    results = engine_for(p, ["this", *members], tmp_path).check()

    assert both_steps_read.is_set(), read_before_tree
    # And the statuses are those of the targets resolved from the tree, as before.
    for step_id in ("cloudhsm-group", "service-linked-role"):
        assert set(results[step_id].accounts) == {ACCOUNT_ID, *members}


def test_an_unknown_account_named_by_id_is_still_refused_by_name_after_its_early_read(
    p: PracticeAccount, tmp_path: Path
) -> None:
    stranger = "999999999999"
    results = engine_for(p, ["this", stranger], tmp_path).check()
    for step_id in ("cloudhsm-group", "service-linked-role"):
        assert results[step_id].status is Status.ERROR
        assert stranger in results[step_id].error
