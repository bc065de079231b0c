"""What every step module provides, and helpers they share."""

from __future__ import annotations

import shlex
from typing import Any, Iterable

from hsm_setup.steps.context import StepContext
from hsm_setup.model import StepResult
from hsm_setup.steps.actions import Action, ActionKind
from hsm_setup.steps.grants import Grant


class Step:
    """One setup step: a read-only check, and a plan of idempotent actions.

    Subclasses set the class attributes and implement `check` and `plan`.
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

    def check(self, ctx: StepContext) -> StepResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def plan(self, ctx: StepContext, result: StepResult) -> list[Action]:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- helpers for subclasses -------------------------------------------------------
    def result(self, status: Any, **kwargs: Any) -> StepResult:
        return StepResult(self.id, status, **kwargs)

    def api(self, key: str, summary: str, cli: str, run: Any, permissions: Iterable[str] = ()) -> Action:
        return Action(self.id, summary, ActionKind.API, cli=cli, run=run, key=f"{self.id}:{key}", permissions=tuple(permissions))

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


def cli(service: str, command: str, *args: tuple[str, Any] | str) -> str:
    """Render an AWS CLI command, quoting values the way a shell needs.

    cli("iam", "create-group", ("--group-name", "Admins")) ->
        aws iam create-group --group-name Admins
    """
    parts = ["aws", service, command]
    for arg in args:
        if isinstance(arg, tuple):
            flag, value = arg
            parts.append(flag)
            parts.append(shlex.quote(str(value)))
        else:
            parts.append(arg)
    return " ".join(parts)


def paginate(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    """All items of a paginated list call. Only for lists whose size does not grow with the account."""
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**params):
        items.extend(page.get(key, []) or [])
    return items
