"""Events the engine reports while it works; front ends turn them into screen updates.

They may be delivered from worker threads: a front end must hand them to its own
thread (Textual: post_message / call_from_thread) before touching any widget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from hsm_setup.model import SecretIssued, StepResult

if TYPE_CHECKING:  # pragma: no cover - typing only; a front end imports these events before its first frame
    from hsm_setup.steps.actions import Action, ActionOutcome


class StepChecked(msgspec.Struct, frozen=True):
    result: StepResult


class ActionStarted(msgspec.Struct, frozen=True):
    action: Action


class ActionFinished(msgspec.Struct, frozen=True):
    outcome: ActionOutcome


class Progress(msgspec.Struct, frozen=True):
    step_id: str
    message: str


Event = StepChecked | ActionStarted | ActionFinished | Progress | SecretIssued
