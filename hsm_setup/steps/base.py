"""What every step module provides, and helpers they share."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from hsm_setup.aws.script_call import Change
from hsm_setup.json_types import JsonObject
from hsm_setup.model import Status, StepFacts, StepResult, Verdict, WantedT
from hsm_setup.steps.actions import Action, ActionKind
from hsm_setup.steps.context import StepContext
from hsm_setup.steps.grants import Grant

# What an API action runs: an idempotent change, returning what it learned (ids, ARNs) for the outcome.
Run = Callable[[StepContext], JsonObject | None]


class Step:
    """One setup step: a read-only check, and a plan of idempotent actions.

    A check is two parts: a read (every AWS call, in the step's module as `read`) that
    returns the step's facts, a frozen dataclass; and a judgement (`judge`), a pure
    function of those facts and the answers that gives the status and the findings.
    `plan` turns the facts into actions without calling AWS.

    `check_permissions` / `apply_permissions` list the IAM actions each needs, with the
    resources they act on (steps.grants): they are the printed policy and what the
    pre-flight asks IAM about, and a test holds them to the truth.
    """

    id: str = ""
    title: str = ""
    depends_on: tuple[str, ...] = ()
    # Markdown in assets/guidance/<guidance>.
    guidance: str = ""
    # One line on why the step matters, for summaries and reports.
    why: str = ""
    check_permissions: tuple[Grant, ...] = ()
    apply_permissions: tuple[Grant, ...] = ()

    def check(self, ctx: StepContext) -> StepResult[StepFacts]:  # pragma: no cover - abstract
        raise NotImplementedError

    def plan(self, ctx: StepContext, result: StepResult[StepFacts]) -> list[Action]:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- helpers for subclasses -------------------------------------------------------
    def result(self, status: Status) -> StepResult[StepFacts]:
        """A result without facts: the step did not read (skipped, waiting)."""
        return StepResult(self.id, status)

    def judged(self, facts: WantedT, verdict: Verdict) -> StepResult[WantedT]:
        return StepResult.judged(self.id, facts, verdict)

    def api(self, key: str, summary: str, cli: str | Change, run: Run, permissions: Iterable[str] = ()) -> Action:
        """An API action; given as a `Change`, its command is also described as data for `plan --format sh`."""
        script = cli if isinstance(cli, Change) else None
        return Action(
            self.id,
            summary,
            ActionKind.API,
            cli=cli.text() if isinstance(cli, Change) else cli,
            run=run,
            key=f"{self.id}:{key}",
            permissions=tuple(permissions),
            script=script,
        )

    def manual(
        self,
        key: str,
        summary: str,
        console_url: str,
        instructions: Iterable[str],
        simulation: str | None = None,
    ) -> Action:
        return Action(
            self.id,
            summary,
            ActionKind.MANUAL,
            console_url=console_url,
            instructions=list(instructions),
            simulation=simulation,
            key=f"{self.id}:{key}",
        )
