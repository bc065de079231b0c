"""Events the engine reports while it works; front ends turn them into screen updates.

They may be delivered from worker threads: a front end must hand them to its own
thread (Textual: post_message / call_from_thread) before touching any widget.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from hsm_setup.model import StepResult
from hsm_setup.steps.actions import Action, ActionOutcome


@dataclass(frozen=True)
class StepChecked:
    result: StepResult


@dataclass(frozen=True)
class ActionStarted:
    action: Action


@dataclass(frozen=True)
class ActionFinished:
    outcome: ActionOutcome


@dataclass(frozen=True)
class Progress:
    step_id: str
    message: str


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


Event = StepChecked | ActionStarted | ActionFinished | Progress | SecretIssued
