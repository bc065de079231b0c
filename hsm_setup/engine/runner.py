"""Runs checks concurrently along their dependencies, plans, and applies plans with a journal.

The engine knows nothing of front ends: they pass an `on_event` callback and get
StepChecked / ActionStarted / ActionFinished / Progress events, possibly from
worker threads.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import msgspec

from hsm_setup.answers.values import Answers
from hsm_setup.aws.clients import AwsSession, is_ambiguous_failure
from hsm_setup.aws.identity import Identity, get_identity
from hsm_setup.engine.events import ActionFinished, ActionStarted, Event, Progress, StepChecked
from hsm_setup.errors import Problem, UnexpectedResponse, explain
from hsm_setup.json_types import JsonObject
from hsm_setup.model import FATAL_KINDS, SecretIssued, Status, StepFacts, StepResult
from hsm_setup.organizations.apply_accounts import across_accounts_action
from hsm_setup.organizations.per_account import OrganizationScope
from hsm_setup.state.account import AccountState
from hsm_setup.steps.actions import Action, ActionOutcome
from hsm_setup.steps.base import Step
from hsm_setup.steps.context import StepContext
from hsm_setup.steps.registry import STEPS

EventHandler = Callable[[Event], None]
# How many times an action runs when AWS may have carried out a change without answering.
AMBIGUOUS_ATTEMPTS = 4


class ApplyReport(msgspec.Struct):
    outcomes: list[ActionOutcome] = msgspec.field(default_factory=list)
    results: dict[str, StepResult] = msgspec.field(default_factory=dict)
    pending_manual: list[Action] = msgspec.field(default_factory=list)
    # Set when the run stopped early (expired credentials, unreachable endpoint).
    stopped: Problem | None = None

    @property
    def all_done(self) -> bool:
        return bool(self.results) and all(r.done for r in self.results.values())

    @property
    def changed(self) -> list[ActionOutcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[ActionOutcome]:
        return [o for o in self.outcomes if not o.ok]


class Engine:
    def __init__(
        self,
        aws: AwsSession,
        answers: Answers,
        *,
        state: AccountState | None = None,
        sandbox: bool = False,
        steps: tuple[Step, ...] = STEPS,
        on_event: EventHandler | None = None,
        sleep: Callable[[float], None] | None = None,
        max_workers: int = 8,
    ) -> None:
        self.aws = aws
        self.sandbox = sandbox
        self.answers = answers
        self.state = state
        self.steps = steps
        self.by_id = {s.id: s for s in steps}
        self.on_event = on_event or (lambda event: None)
        self._sleep = sleep
        self._max_workers = max_workers
        self._identity: Future[Identity] | None = None
        self._identity_lock = threading.Lock()
        # The organization, read once per check, for the steps done in every target account.
        self.organization = OrganizationScope(aws)

    @property
    def answers(self) -> Answers:
        return self._answers

    @answers.setter
    def answers(self, answers: Answers) -> None:
        # The engine knows which account it works on: only the practice account's answers
        # have a made-up administrator, whoever built the Answers.
        self._answers = answers.for_account(practice=self.sandbox)

    # -- identity -------------------------------------------------------------------
    def identity_future(self) -> Future[Identity]:
        """sts GetCallerIdentity, started once and shared; it runs beside the first checks."""
        with self._identity_lock:
            if self._identity is None:
                future: Future[Identity] = Future()
                self._identity = future

                def resolve() -> None:
                    try:
                        future.set_result(get_identity(self.aws))
                    except (KeyError, TypeError) as exc:  # an answer without Account, Arn or UserId
                        missing = (
                            f"without {exc.args[0]}"
                            if isinstance(exc, KeyError) and exc.args
                            else "in a shape it cannot read"
                        )
                        future.set_exception(UnexpectedResponse("sts GetCallerIdentity", missing))
                    except BaseException as exc:  # handed to whoever waits on it
                        future.set_exception(exc)

                threading.Thread(target=resolve, name="hsm-setup-identity", daemon=True).start()
            return self._identity

    def identity(self) -> Identity:
        return self.identity_future().result()

    def reset_identity(self) -> None:
        """Forget who we are (after the person refreshed credentials)."""
        with self._identity_lock:
            self._identity = None

    # -- context --------------------------------------------------------------------
    def context(self, deps: dict[str, StepResult], step_id: str = "") -> StepContext:
        ctx = StepContext(
            aws=self.aws,
            answers=self.answers,
            identity_future=self.identity_future(),
            state=self.state,
            deps=dict(deps),
            sandbox=self.sandbox,
            progress=lambda message, count=None: self.on_event(Progress(step_id, message, count)),
            reveal=self._reveal,
        )
        if self._sleep is not None:
            ctx.sleep = self._sleep
        return ctx

    def _reveal(self, secret: SecretIssued) -> bool:
        """Give a secret to the front end (and nothing else); True when the front end showed it."""
        self.on_event(secret)
        return secret.shown

    # -- check ----------------------------------------------------------------------
    def check_step(self, step: Step, deps: dict[str, StepResult]) -> StepResult:
        """One step's check, with its dependencies' results; never raises."""
        missing = [d for d in step.depends_on if d in deps and not deps[d].done]
        if missing:
            names = ", ".join(missing)
            result: StepResult[StepFacts] = StepResult(step.id, Status.BLOCKED, blocked_by=missing)
            result.add(False, f"Waiting for {names}: this step needs it done first.")
            return result
        needed = self.answers.missing(step.id)
        if needed:
            return needs_answers(step.id, needed)
        try:
            ctx = self.context(deps, step.id)
            return self.organization.judge(step.id, ctx, step.check(ctx))
        except Exception as exc:  # every failure becomes an explained ERROR result
            problem = explain(exc, self.aws.profile)
            result = StepResult(step.id, Status.ERROR, error=str(problem))
            result.problem_kind = problem.kind
            result.add(False, problem.cause, evidence=problem.next_move)
            return result

    def check(
        self,
        only: set[str] | None = None,
        prior: dict[str, StepResult] | None = None,
        *,
        after: Mapping[str, Future[ActionOutcome]] | None = None,
    ) -> dict[str, StepResult]:
        """Check every step (or `only` these, reusing `prior` for the rest), concurrently along dependencies.

        `after`: a step with work still running there (apply's fan-out to its other accounts) is checked once that
        work has ended, and the others meanwhile: the member accounts' IAM is read again while Identity Center's
        rate-paced assignments go on.
        """
        self.identity_future()  # start STS now, beside the first checks
        if only is None:
            self.organization.forget()
        results: dict[str, StepResult] = {}
        if prior and only is not None:
            results.update({k: v for k, v in prior.items() if k not in only})
        todo = [s for s in self.steps if s.id not in results]
        running = dict(after or {})
        futures: dict[Future[StepResult], Step] = {}
        with ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix="hsm-check") as pool:
            while todo or futures:
                for step in list(todo):
                    work = running.get(step.id)
                    if (work is None or work.done()) and all(
                        d in results or d not in self.by_id for d in step.depends_on
                    ):
                        todo.remove(step)
                        deps = {d: results[d] for d in step.depends_on if d in results}
                        futures[pool.submit(self.check_step, step, deps)] = step
                awaited = [w for s in todo if (w := running.get(s.id)) is not None and not w.done()]
                if not futures and not awaited:  # pragma: no cover - a dependency cycle would be a programming error
                    raise RuntimeError(f"steps with unmet dependencies: {[s.id for s in todo]}")
                waited: list[Future[Any]] = [*futures, *awaited]
                finished, _ = wait(waited, return_when=FIRST_COMPLETED)
                for future in finished:
                    if future not in futures:
                        continue  # a step's work ended: it may be checked now
                    step = futures.pop(future)
                    result = future.result()
                    results[step.id] = result
                    self.on_event(StepChecked(result))
        ordered = {s.id: results[s.id] for s in self.steps}
        if self.state is not None and only is None:
            self._save_statuses(ordered)
            self._close_resumed(ordered)
        return ordered

    def _save_statuses(self, results: dict[str, StepResult]) -> None:
        # A read-only state directory must not stop a check.
        with contextlib.suppress(OSError):
            self.state.record_status({k: r.status.value for k, r in results.items()})  # type: ignore[union-attr]

    def recheck(self, step_id: str, results: dict[str, StepResult]) -> dict[str, StepResult]:
        """Check one step again, and every step that depends on it."""
        affected = {step_id}
        for step in self.steps:  # steps are in dependency order
            if any(d in affected for d in step.depends_on):
                affected.add(step.id)
        return self.check(only=affected, prior=results)

    # -- plan -----------------------------------------------------------------------
    def plan_step(self, step: Step, results: dict[str, StepResult]) -> list[Action]:
        result = results[step.id]
        if result.done or result.status in (Status.BLOCKED, Status.ERROR) or result.missing_answers:
            return []
        try:
            ctx = self.context(results, step.id)
            actions = step.plan(ctx, result)
            # The step's other target accounts, after its own actions (which make what they assign).
            across = across_accounts_action(self.organization, step, result, ctx.account_id)
            return [*actions, across] if across is not None else actions
        except Exception as exc:  # facts built from an odd answer: the step shows the error, the others still plan
            problem = explain(exc, self.aws.profile)
            result.status = Status.ERROR
            result.error = str(problem)
            result.problem_kind = problem.kind
            result.add(False, problem.cause, evidence=problem.next_move)
            return []

    def plan(self, results: dict[str, StepResult]) -> dict[str, list[Action]]:
        return {s.id: self.plan_step(s, results) for s in self.steps}

    # -- apply ----------------------------------------------------------------------
    def run_action(self, action: Action, results: dict[str, StepResult]) -> ActionOutcome:
        """Run one API action, journalled before and after so a crash leaves a trace."""
        assert action.run is not None and not action.is_manual
        self.on_event(ActionStarted(action))
        resuming = False
        if self.state is not None:
            resuming = action.key in self.state.in_flight()
            self.state.journal(action.key, "start", action.summary)
        try:
            outputs = self._run_with_rereads(action, results, resuming=resuming)
        except Exception as exc:
            problem = explain(exc, self.aws.profile)
            outcome = ActionOutcome(action, False, str(problem))
            outcome.problem_kind = problem.kind
            if self.state is not None:
                self.state.journal(action.key, "failed", problem.cause)
        else:
            outcome = ActionOutcome(action, True, action.summary, dict(outputs))
            if self.state is not None:
                self.state.journal(action.key, "done")
        self.on_event(ActionFinished(outcome))
        return outcome

    def _run_with_rereads(
        self, action: Action, results: dict[str, StepResult], *, resuming: bool = False
    ) -> JsonObject:
        """Run an action; when a change's answer was lost, run the whole action again.

        botocore does not re-send such a change (see aws.is_ambiguous_failure): the
        action itself runs again, and since every action reads what exists before
        changing it, a change AWS did carry out is adopted instead of repeated.
        """
        ctx = self.context(results, action.step_id)
        ctx.resuming = resuming
        delay = 1.0
        for attempt in range(1, AMBIGUOUS_ATTEMPTS + 1):
            try:
                return action.run(ctx) or {}  # type: ignore[misc]
            except Exception as exc:
                if attempt == AMBIGUOUS_ATTEMPTS or not is_ambiguous_failure(exc):
                    raise
                ctx.progress(f"No answer from AWS ({type(exc).__name__}); checking what happened and trying again.")
                # What the next attempt finds already there may be what this one made.
                ctx.resuming = True
                ctx.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def apply(
        self,
        results: dict[str, StepResult] | None = None,
        *,
        only: set[str] | None = None,
        confirm: Callable[[dict[str, list[Action]]], bool] | None = None,
    ) -> ApplyReport:
        """Apply every step's plan in order, re-checking as it goes; then check everything again.

        Steps that cannot go further (a manual action pending, a dependency not done,
        an action that failed) are left for the next run; the others still go ahead.
        """
        results = dict(results or self.check())
        if confirm is not None and not confirm(self.plan(results)):
            return ApplyReport(results=results)
        report = ApplyReport()
        outcomes: list[ActionOutcome | Future[ActionOutcome]] = []
        # A fan-out to a step's other target accounts (Action.beside_later_steps) runs beside the steps after it:
        # Identity Center's assignments, paced by its rate limit, overlap the member accounts' IAM writes. A step
        # that depends on one waits for it; the final check reads each step once its own has ended.
        fanning: dict[str, Future[ActionOutcome]] = {}
        with ThreadPoolExecutor(max_workers=len(self.steps), thread_name_prefix="hsm-fan-out") as pool:
            for step in self.steps:
                if only is not None and step.id not in only:
                    continue
                for dependency in [d for d in step.depends_on if d in fanning]:
                    if self._fanned_out(fanning.pop(dependency), report):
                        results = self.recheck(dependency, results)
                if report.stopped:
                    break
                result = results[step.id]
                if result.status is Status.BLOCKED and all(results[d].done for d in step.depends_on):
                    results = self.recheck(step.id, results)  # a dependency got done earlier in this run
                    result = results[step.id]
                if result.done or result.status in (Status.BLOCKED, Status.ERROR):
                    continue
                changed = False
                for action in self.plan_step(step, results):
                    if action.is_manual:
                        report.pending_manual.append(action)
                        continue
                    if action.beside_later_steps:
                        fanning[step.id] = pool.submit(self.run_action, action, dict(results))
                        outcomes.append(fanning[step.id])
                        break
                    outcome = self.run_action(action, results)
                    outcomes.append(outcome)
                    if not outcome.ok:
                        if outcome.problem_kind in FATAL_KINDS:
                            report.stopped = explain_outcome(outcome)
                        break
                    changed = True
                if report.stopped:
                    break
                if changed and step.id not in fanning:
                    results = self.recheck(step.id, results)
            final = results
            if report.stopped is None:
                if only is not None:
                    # A step applied from a front end: the other steps show what they were until its apply ends.
                    wait(list(fanning.values()))
                # The final check: each step once its fan-out has ended, while the others still run.
                final = self.check(after=fanning)
            succeeded = [step_id for step_id, running in fanning.items() if self._fanned_out(running, report)]
        if report.stopped is None:
            results = final
        else:
            for step_id in succeeded:
                results = self.recheck(step_id, results)
        report.outcomes = [o.result() if isinstance(o, Future) else o for o in outcomes]
        report.results = results
        # Manual actions still pending after the final check are the ones to show.
        report.pending_manual = [a for a in report.pending_manual if not results[a.step_id].done]
        return report

    def _close_resumed(self, results: dict[str, StepResult]) -> None:
        """End in the journal the actions a killed run left started whose step is now done.

        The step's check has just noted what the killed run made (it reads the open entry). Left open, the entry
        would be reported as an interrupted run at every later start, and a later change of the same key taken
        for that run's resumption.
        """
        with contextlib.suppress(OSError):  # a read-only state directory must not stop a check
            for key in self.state.in_flight():  # type: ignore[union-attr]
                result = results.get(key.split(":", 1)[0])
                if result is not None and result.done:
                    self.state.journal(key, "done", "finished by a later run")  # type: ignore[union-attr]

    def _fanned_out(self, running: Future[ActionOutcome], report: ApplyReport) -> bool:
        """Wait for a fan-out to end: whether it succeeded. A fatal failure (credentials, say) stops the apply."""
        outcome = running.result()
        if not outcome.ok and outcome.problem_kind in FATAL_KINDS and report.stopped is None:
            report.stopped = explain_outcome(outcome)
        return outcome.ok


def explain_outcome(outcome: ActionOutcome) -> Problem:
    return Problem(outcome.message, "", outcome.problem_kind or "aws")


def needs_answers(step_id: str, keys: list[str]) -> StepResult:
    """A step that cannot be checked yet: it needs answers only a person can give (who the administrator is).

    Looking up a user named nothing would tell nothing, so the step makes no call; it is
    incomplete until the answers are given, and plans nothing meanwhile.
    """
    from hsm_setup.answers.fields import BY_KEY

    result: StepResult[StepFacts] = StepResult(step_id, Status.INCOMPLETE, missing_answers=tuple(keys))
    labels = ", ".join(f"{BY_KEY[key].label.lower()} ({key})" for key in keys)
    result.add(
        False,
        f"Not checked yet: this step needs the administrator's {labels}. hsm-setup does not make up the "
        "administrator on a real account; give them in the answers file or in the wizard.",
        evidence="not given: " + ", ".join(keys),
    )
    return result


def exit_code(results: dict[str, StepResult]) -> int:
    return 0 if all(r.done for r in results.values()) else 1


def summarize(results: dict[str, StepResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results.values():
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    return counts
