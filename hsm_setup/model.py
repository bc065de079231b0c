"""The values every layer passes around: statuses, findings, step results and actions.

Front ends render these; steps produce them; the engine moves them. Nothing here
talks to AWS, so importing this module is cheap.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hsm_setup.steps.context import StepContext


class Status(str, enum.Enum):
    """A step's state. The string values are part of the public JSON contract."""

    DONE = "done"
    INCOMPLETE = "incomplete"
    BLOCKED = "blocked"
    ERROR = "error"
    SKIPPED = "skipped"

    @property
    def counts_as_done(self) -> bool:
        return self in (Status.DONE, Status.SKIPPED)


@dataclass(frozen=True)
class Finding:
    """One thing a check saw. `ok` is False for anything the user should act on or know.

    `evidence` is the raw value behind the message ("AccountMFAEnabled = 1"), so a
    user can see why the tool believes what it says.
    """

    ok: bool
    message: str
    evidence: str | None = None
    # "warning" findings are advice (hardware MFA recommended); they never make a step incomplete.
    level: str = "info"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ok": self.ok, "message": self.message}
        if self.evidence:
            data["evidence"] = self.evidence
        if self.level != "info":
            data["level"] = self.level
        return data


@dataclass
class StepResult:
    """What a step's check found.

    `facts` carries values dependents need (the Identity Center instance ARN, the
    admin user's id...) and values the plan needs, so planning never calls AWS again.
    """

    step_id: str
    status: Status
    findings: list[Finding] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    # For ERROR: the one-line cause and the next move, shown by every front end.
    error: str | None = None
    # For BLOCKED: the ids of the steps that must be done first.
    blocked_by: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.status.counts_as_done

    def add(self, ok: bool, message: str, evidence: str | None = None, level: str = "info") -> None:
        self.findings.append(Finding(ok, message, evidence, level))


class ActionKind(str, enum.Enum):
    API = "api"  # the tool makes the change through boto3
    MANUAL = "manual"  # a person makes the change in the AWS console


@dataclass
class Action:
    """One change a plan proposes.

    An API action carries `run`, an idempotent function: an existing resource is
    adopted rather than duplicated, so re-running after a crash is safe. `cli` is
    the equivalent AWS CLI command shown to the user before anything runs.

    A manual action carries the console link and the steps a person follows; the
    engine never runs it, front ends watch the check until it turns done.
    `simulation` names the practice account's stand-in for it (sandbox only).
    """

    step_id: str
    summary: str
    kind: ActionKind
    cli: str | None = None
    run: Callable[["StepContext"], dict[str, Any] | None] | None = None
    console_url: str | None = None
    instructions: list[str] = field(default_factory=list)
    simulation: str | None = None
    # A stable key for the journal, so a resumed apply can tell what already ran.
    key: str = ""
    # The IAM actions this action calls, for the least-privilege documentation.
    permissions: tuple[str, ...] = ()

    @property
    def is_manual(self) -> bool:
        return self.kind is ActionKind.MANUAL

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "step": self.step_id,
            "kind": self.kind.value,
            "summary": self.summary,
        }
        if self.cli:
            data["cli"] = self.cli
        if self.console_url:
            data["console_url"] = self.console_url
        if self.instructions:
            data["instructions"] = list(self.instructions)
        return data


@dataclass
class ActionOutcome:
    """What happened when apply ran one action."""

    action: Action
    ok: bool
    message: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
