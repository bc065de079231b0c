"""What a front end shows: an immutable snapshot of the session, step by step.

The session builds a `SessionView` whenever a front end asks; the front end only
renders it. Every decision a person could see two front ends disagree on (what a
step's state is called, what it allows now and why not, which hand-offs are
offered) is made here, once.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING

import msgspec

# Types only: the wizard draws its first frame from this module's empty view, before the
# steps (and what they import) are loaded.
if TYPE_CHECKING:  # pragma: no cover - typing only
    from hsm_setup.answers.values import Answers
    from hsm_setup.aws.connection import Connection
    from hsm_setup.aws.identity import Identity
    from hsm_setup.engine.events import Count
    from hsm_setup.model import StepResult
    from hsm_setup.organizations.choices import AccountPicker
    from hsm_setup.session.offers import Offer
    from hsm_setup.steps.actions import Action


class StepState(str, enum.Enum):
    """A step as a person reads it. The values are the words every front end shows."""

    WAITING = "not checked"
    CHECKING = "checking"
    DONE = "done"
    TO_DO = "to do"
    NEEDS_YOU = "needs you"
    # Waiting for answers only a person can give (who the administrator is): StepView.missing_answers.
    NEEDS_INPUT = "needs input"
    BLOCKED = "blocked"
    ERROR = "error"
    SKIPPED = "skipped"
    APPLYING = "applying"
    SIMULATING = "simulating"


class Capability(str, enum.Enum):
    """What a person may ask of one step."""

    CHECK = "check"
    APPLY = "apply"
    SIMULATE = "simulate"
    CONSOLE = "console"
    SKIP = "skip"


class Handoff(str, enum.Enum):
    """What the summary offers once the steps are walked."""

    REPORT = "report"
    SSO_PROFILE = "sso-profile"
    CONTINUE_AS = "continue-as"
    DELETE_ROOT_KEY = "delete-root-key"


class Busy(str, enum.Enum):
    APPLY = "apply"
    SIMULATE = "simulate"


class Allowance(msgspec.Struct, frozen=True):
    """Whether something is possible now; when not, the reason in words a person can act on."""

    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Allowance(True)


def refused(reason: str) -> Allowance:
    return Allowance(False, reason)


class StepView(msgspec.Struct, frozen=True):
    id: str
    number: int
    title: str
    why: str
    guidance: str  # file name under assets/guidance/
    state: StepState
    result: StepResult | None
    # None while the plan that goes with the result is being made.
    plan: tuple[Action, ...] | None
    progress: str
    # Inputs typed on this step that are not valid yet: answers key -> message naming it.
    problems: Mapping[str, str]
    allowances: Mapping[Capability, Allowance]
    # The console action the practice account can stand in for, when there is one now.
    simulation: Action | None
    console_url: str | None
    # Its answers changed since its last check: the check against them is coming.
    stale: bool = False
    # How far the work running now has got, when it runs over many accounts (what a progress bar draws).
    count: Count | None = None

    def allows(self, capability: Capability) -> Allowance:
        return self.allowances.get(capability, refused("Not available here."))

    @property
    def missing_answers(self) -> tuple[str, ...]:
        """The answers keys the step waits for (the fields a front end points the person to)."""
        return self.result.missing_answers if self.result is not None else ()

    @property
    def done(self) -> bool:
        return self.result is not None and self.result.done


class SessionView(msgspec.Struct, frozen=True):
    connection: Connection | None
    identity: Identity | None
    alias: str | None
    practice: bool
    answers: Answers | None
    steps: tuple[StepView, ...]
    busy: Busy | None
    busy_step: str | None
    # Offers waiting for the person's answer, oldest first.
    offers: tuple[Offer, ...]
    handoffs: Mapping[Handoff, Allowance]
    # What the last hand-off said (report written, profile written...), for the summary.
    handoff_lines: tuple[str, ...] = ()
    handoff_profile: str | None = None
    notices: tuple[str, ...] = msgspec.field(default=())
    # The root user's access key this run signs with, once it may be deleted (an id, not a secret).
    root_access_key: str | None = None
    # The organization's accounts to choose admin.accounts and cloudhsm.accounts from, once read
    # (Session.account_picker); None while unread, or where there are no other accounts to choose.
    accounts: AccountPicker | None = None
    accounts_read: bool = False

    @property
    def connected(self) -> bool:
        return self.identity is not None

    @property
    def region(self) -> str:
        return str(self.answers["region"]) if self.answers is not None else ""

    def step(self, step_id: str | None) -> StepView | None:
        return next((s for s in self.steps if s.id == step_id), None)

    @property
    def checked(self) -> bool:
        """Every step has a result and a plan for the current answers, and nothing is being checked."""
        return bool(self.steps) and all(
            s.result is not None and s.plan is not None and s.state is not StepState.CHECKING and not s.stale
            for s in self.steps
        )

    @property
    def all_done(self) -> bool:
        return bool(self.steps) and all(s.done for s in self.steps)

    def first_undone(self) -> str | None:
        """The step a half-finished setup resumes at (None: every step is done)."""
        return next((s.id for s in self.steps if not s.done), None)

    def account_words(self) -> str:
        if self.identity is None:
            return "the account"
        where = "the practice account" if self.practice else "AWS account"
        return f"{where} {self.identity.account_id}"


def empty_view(connection: Connection | None = None) -> SessionView:
    """The view before any account has answered: the connection being reached, no steps."""
    return SessionView(
        connection=connection,
        identity=None,
        alias=None,
        practice=False,
        answers=None,
        steps=(),
        busy=None,
        busy_step=None,
        offers=(),
        handoffs={},
    )
