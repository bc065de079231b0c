"""The engine: concurrency along dependencies, blocked steps, errors that don't stop the others, apply order."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from hsm_setup.model import Status, StepFacts, Verdict
from hsm_setup.steps.base import Step


@dataclass(frozen=True)
class SeenDeps(StepFacts):
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


def test_apply_journals_every_action(make_engine):
    engine = make_engine(steps=(FakeStep("only", status=Status.INCOMPLETE),))
    engine.apply()
    events = [(e["action"], e["event"]) for e in engine.state.data["journal"]]
    assert events == [("only:fix", "start"), ("only:fix", "done")]
    assert engine.state.in_flight() == []
