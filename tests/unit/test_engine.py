"""The engine: concurrency along dependencies, blocked steps, errors that don't stop the others, apply order."""

from __future__ import annotations

import threading

from hsm_setup.model import Status, StepFacts, Verdict
from hsm_setup.steps.base import Step


class SeenDeps(StepFacts, frozen=True):
    # The steps whose results the check was given.
    seen_deps: tuple[str, ...]


class FakeStep(Step):
    def __init__(self, step_id, depends_on=(), status=Status.DONE, fail=None, barrier=None, plan_calls=None):
        self.id = step_id
        self.title = step_id
        self.depends_on = tuple(depends_on)
        self.status = status
        self.fail = fail
        self.barrier = barrier
        self.applied = []

    def check(self, ctx):
        if self.barrier is not None:
            self.barrier.wait(timeout=5)
        if self.fail:
            raise self.fail
        return self.judged(SeenDeps(tuple(sorted(ctx.deps))), Verdict(Status.DONE if self.applied else self.status))

    def plan(self, ctx, result):
        return [self.api("fix", f"fix {self.id}", f"aws fix {self.id}", lambda c: self.applied.append(True))]


def test_independent_checks_run_at_the_same_time(make_engine):
    # Three independent steps each wait for the other two: only concurrent checks get past the barrier.
    barrier = threading.Barrier(3)
    steps = tuple(FakeStep(name, barrier=barrier) for name in ("a", "b", "c"))
    results = make_engine(steps=steps).check()
    assert [r.status for r in results.values()] == [Status.DONE] * 3


def test_a_step_whose_dependency_is_not_done_is_blocked_and_names_it(make_engine):
    steps = (FakeStep("base", status=Status.INCOMPLETE), FakeStep("child", depends_on=["base"]))
    results = make_engine(steps=steps).check()
    assert results["child"].status is Status.BLOCKED
    assert results["child"].blocked_by == ["base"]
    assert "base" in results["child"].findings[0].message


def test_dependents_see_their_dependencies_results(make_engine):
    steps = (FakeStep("base"), FakeStep("child", depends_on=["base"]))
    results = make_engine(steps=steps).check()
    assert results["child"].facts.seen_deps == ("base",)


def test_access_denied_is_an_error_and_the_other_steps_still_report(make_engine):
    from botocore.exceptions import ClientError

    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetRole")
    steps = (FakeStep("a", fail=denied), FakeStep("b"))
    results = make_engine(steps=steps).check()
    assert results["a"].status is Status.ERROR
    assert "iam:GetRole" in results["a"].error
    assert results["b"].status is Status.DONE


def test_apply_unblocks_dependents_in_the_same_run(make_engine):
    base = FakeStep("base", status=Status.INCOMPLETE)
    child = FakeStep("child", depends_on=["base"], status=Status.INCOMPLETE)
    report = make_engine(steps=(base, child)).apply()
    assert base.applied and child.applied
    assert report.all_done
    assert [o.action.step_id for o in report.outcomes] == ["base", "child"]


class FanOutStep(FakeStep):
    """A step whose action fans out to other accounts (as organizations.apply_accounts' does)."""

    def __init__(self, step_id, run, **kwargs):
        super().__init__(step_id, **kwargs)
        self.run = run

    def plan(self, ctx, result):
        def run(c):
            self.run()
            self.applied.append(True)

        action = self.api("accounts", f"fan out {self.id}", f"aws fan-out {self.id}", run)
        action.beside_later_steps = True
        return [action]


def test_a_fan_out_to_other_accounts_runs_beside_the_steps_after_it(make_engine):
    # The fan-out and the next step's action each wait for the other: only running side by side gets them past.
    both = threading.Barrier(2)
    fan_out = FanOutStep("assignments", lambda: both.wait(timeout=5), status=Status.INCOMPLETE)
    later = FakeStep("iam", status=Status.INCOMPLETE)

    def fix_iam(ctx):
        both.wait(timeout=5)
        later.applied.append(True)

    later.plan = lambda ctx, result: [later.api("fix", "fix iam", "aws fix iam", fix_iam)]
    report = make_engine(steps=(fan_out, later)).apply()
    assert [(o.action.step_id, o.ok) for o in report.outcomes] == [("assignments", True), ("iam", True)]
    assert report.all_done


def test_a_step_that_depends_on_a_fan_out_waits_for_it_and_sees_it_done(make_engine):
    order = []
    fan_out = FanOutStep("assignments", lambda: order.append("fan-out"), status=Status.INCOMPLETE)
    child = FakeStep("child", depends_on=["assignments"], status=Status.INCOMPLETE)

    def fix_child(ctx):
        order.append("child")
        child.applied.append(True)

    child.plan = lambda ctx, result: [child.api("fix", "fix child", "aws fix child", fix_child)]
    report = make_engine(steps=(fan_out, child)).apply()
    assert order == ["fan-out", "child"]
    assert report.all_done


def test_the_final_check_reads_a_step_again_while_another_steps_fan_out_still_runs(make_engine):
    # Two fan-outs (Identity Center's assignments, the member accounts' IAM): the first ends only once the second
    # step's final check has begun, which waited for every fan-out before.
    iam_checked_again = threading.Event()

    def fan_out_work():
        if not iam_checked_again.wait(timeout=5):
            raise RuntimeError("the IAM step was not checked again while the fan-out ran")

    fan_out = FanOutStep("assignments", fan_out_work, status=Status.INCOMPLETE)
    iam = FanOutStep("iam", lambda: None, status=Status.INCOMPLETE)
    check_iam = iam.check

    def check(ctx):
        if iam.applied:
            iam_checked_again.set()
        return check_iam(ctx)

    iam.check = check
    report = make_engine(steps=(fan_out, iam)).apply()
    assert [(o.action.step_id, o.ok) for o in report.outcomes] == [("assignments", True), ("iam", True)]
    # Each step's result is the one read after its own work ended.
    assert report.all_done


def test_apply_journals_every_action(make_engine):
    engine = make_engine(steps=(FakeStep("only", status=Status.INCOMPLETE),))
    engine.apply()
    events = [(e["action"], e["event"]) for e in engine.state.data["journal"]]
    assert events == [("only:fix", "start"), ("only:fix", "done")]
    assert engine.state.in_flight() == []


def test_an_action_a_killed_run_left_started_ends_once_a_later_check_finds_its_step_done(make_engine):
    """The killed run's change took effect: the next run finds the step done and plans nothing for it (apply may
    find nothing to do at all). Left open, the entry would be shown as an interrupted run at every later start,
    long after all is done."""
    engine = make_engine(steps=(FakeStep("made", status=Status.DONE), FakeStep("todo", status=Status.BLOCKED)))
    engine.state.journal("made:create", "start", "Create it")
    engine.state.journal("todo:create", "start", "Create it")
    engine.check()
    assert engine.state.in_flight() == ["todo:create"]  # its step is not done: still followed as interrupted
    last = engine.state.data["journal"][-1]
    assert (last["action"], last["event"], last["detail"]) == ("made:create", "done", "finished by a later run")


# -- nobody is made up on a real account ------------------------------------------------------
def test_a_real_account_without_an_administrator_checks_what_it_can_and_plans_no_one(make_engine, aws):
    engine = make_engine(sandbox=False)  # a real account: answers have no made-up administrator
    results = engine.check()
    admin = results["admin-user"]
    # Identity Center is not enabled here, so admin-user waits for it; its answers are what it needs next.
    assert admin.status in (Status.BLOCKED, Status.INCOMPLETE)
    assert results["cloudhsm-group"].status is Status.INCOMPLETE and results["cloudhsm-group"].findings
    assert not any("identitystore" in str(c.service) for c in aws.calls)
    if admin.status is Status.INCOMPLETE:
        assert admin.missing_answers[0] == "admin.user_name"
    plan = engine.plan(results)
    assert plan["admin-user"] == [] and plan["permission-sets"] == []
    assert plan["cloudhsm-group"]  # what needs no one is still planned
    assert not any("None" in (a.cli or "") for actions in plan.values() for a in actions)
    assert results["cloudhsm-group"].missing_answers == ()


def test_a_step_that_needs_the_administrator_says_so_and_makes_no_call(make_engine, aws):
    from hsm_setup.steps.admin_user import STEP

    engine = make_engine(sandbox=False)
    before = len(aws.calls)
    result = engine.check_step(STEP, {})
    assert result.status is Status.INCOMPLETE
    assert result.missing_answers == ("admin.user_name", "admin.given_name", "admin.family_name", "admin.email")
    [finding] = result.findings
    assert finding.message.startswith(
        "Not checked yet: this step needs the administrator's administrator user name (admin.user_name)"
    )
    assert len(aws.calls) == before
    assert engine.plan_step(STEP, {STEP.id: result}) == []
    # Once named, the step is checked as usual.
    named = make_engine(
        {
            "admin.user_name": "jane.doe",
            "admin.given_name": "Jane",
            "admin.family_name": "Doe",
            "admin.email": "jane@corp.test",
        },
        sandbox=False,
    )
    assert named.check_step(STEP, {}).missing_answers == ()


def test_the_practice_accounts_engine_has_its_made_up_administrator_whatever_answers_it_is_given(make_engine):
    from hsm_setup.answers.values import Answers

    engine = make_engine(sandbox=True)
    engine.answers = Answers({})
    assert engine.answers["admin.user_name"] == "ops.admin"
    real = make_engine(sandbox=False)
    real.answers = Answers({}, practice=True)  # a real account never takes the practice account's stand-ins
    assert real.answers["admin.user_name"] is None
