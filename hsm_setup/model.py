"""The values every layer passes around: statuses, findings and step results.

Front ends render these; steps produce them; the engine moves them. Nothing here
talks to AWS, so importing this module is cheap.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import msgspec

from hsm_setup.json_types import JsonObject

# Problems that doom every further call: a run stops rather than fail step after step.
FATAL_KINDS = frozenset({"credentials", "expired", "endpoint"})


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


class Finding(msgspec.Struct, frozen=True):
    """One thing a check saw. `ok` is False for anything the user should act on or know.

    `evidence` is the raw value behind the message ("AccountMFAEnabled = 1"), so a
    user can see why the tool believes what it says.
    """

    ok: bool
    message: str
    evidence: str | None = None
    # "warning" findings are advice (hardware MFA recommended); they never make a step incomplete.
    level: str = "info"

    def to_json(self) -> JsonObject:
        data: JsonObject = {"ok": self.ok, "message": self.message}
        if self.evidence:
            data["evidence"] = self.evidence
        if self.level != "info":
            data["level"] = self.level
        return data


class StepFacts(msgspec.Struct, frozen=True):
    """What a step's read found, as typed values; each step declares its own subclass.

    Frozen: judging and planning only read facts, so a result can be shared across threads.
    """


# A step's own facts type. Covariant: a result of RootUserFacts is a result of StepFacts.
FactsT_co = TypeVar("FactsT_co", bound=StepFacts, covariant=True)
WantedT = TypeVar("WantedT", bound=StepFacts)


class Verdict(msgspec.Struct):
    """A judgement of facts: the status and the findings behind it. Made without any AWS call."""

    status: Status
    findings: list[Finding] = msgspec.field(default_factory=list)

    def add(self, ok: bool, message: str, evidence: str | None = None, level: str = "info") -> None:
        self.findings.append(Finding(ok, message, evidence, level))


class StepResult(msgspec.Struct, Generic[FactsT_co]):
    """What a step's check found.

    `facts` are what the step's read found (None when it did not read: blocked, skipped,
    an error): dependents and plans read them through `facts_as`, so planning never
    calls AWS again and never looks a value up by a string key.
    """

    step_id: str
    status: Status
    findings: list[Finding] = msgspec.field(default_factory=list)
    facts: FactsT_co | None = None
    # For ERROR: the one-line cause and the next move, shown by every front end.
    error: str | None = None
    # For BLOCKED: the ids of the steps that must be done first.
    blocked_by: list[str] = msgspec.field(default_factory=list)
    # For ERROR: the kind of problem (errors.Problem.kind): "credentials", "expired", "endpoint", "aws"...
    problem_kind: str | None = None
    # The answers keys the step could not be checked without (who the administrator is, on a real account).
    missing_answers: tuple[str, ...] = ()
    # For a per-account step with target accounts: each target's status value ({"111122223333": "done"}).
    accounts: dict[str, str] = msgspec.field(default_factory=dict)

    @classmethod
    def judged(cls, step_id: str, facts: WantedT, verdict: Verdict) -> StepResult[WantedT]:
        return StepResult(step_id, verdict.status, list(verdict.findings), facts)

    def facts_as(self, kind: type[WantedT]) -> WantedT | None:
        """The facts when they are of this type (a step whose read has not run has none)."""
        return self.facts if isinstance(self.facts, kind) else None

    @property
    def stops_everything(self) -> bool:
        """The failure dooms every further call (no credentials, expired, unreachable)."""
        return self.problem_kind in FATAL_KINDS

    @property
    def done(self) -> bool:
        return self.status.counts_as_done

    def add(self, ok: bool, message: str, evidence: str | None = None, level: str = "info") -> None:
        self.findings.append(Finding(ok, message, evidence, level))


@dataclass(frozen=True)
class SecretIssued:
    """A secret AWS now holds that a person must receive once (an IAM user's console password).

    It travels only in memory, from the action to the front end: never into the
    journal, the state, an ActionOutcome or a report. The front end shows it on the
    terminal or screen and then calls `mark_shown()`; an action whose secret was not
    marked shown leaves the step incomplete, so the next apply issues a new one
    rather than leaving the person without it.
    """

    step_id: str
    account_id: str
    user_name: str
    secret: str = field(repr=False)
    # What to tell the person with it: where to sign in, that a new password is asked at first sign-in.
    notes: tuple[str, ...] = ()
    _shown: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    def mark_shown(self) -> None:
        self._shown.set()

    @property
    def shown(self) -> bool:
        return self._shown.is_set()
