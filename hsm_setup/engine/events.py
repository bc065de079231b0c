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


class Count(msgspec.Struct, frozen=True):
    """How far a piece of work over many items (accounts) has got: what a progress bar draws."""

    done: int
    total: int
    unit: str = "accounts"

    @property
    def words(self) -> str:
        """ "500 of 1,000 accounts" """
        return f"{self.done:,} of {self.total:,} {self.unit}"

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total > 0 else 1.0

    def line_due(self, every: int) -> bool:
        """Whether a front end that prints lines prints this one: one each `every` items, and the last."""
        return self.done == self.total or self.done % every == 0

    def tenth(self) -> int:
        """How many tenths of the work are done (0-10)."""
        return self.done * 10 // self.total if self.total > 0 else 10

    def bar(self, width: int = 10) -> str:
        """The count as one line of text, for terminals that print lines: "[#####-----] 500 of 1,000 accounts"."""
        filled = int(self.fraction * width)
        return f"[{'#' * filled}{'-' * (width - filled)}] {self.words}"


class Progress(msgspec.Struct, frozen=True):
    step_id: str
    message: str
    # Set for work over many items (an apply across accounts), so a front end can draw a bar; the message
    # says the same in words for front ends that only print lines.
    count: Count | None = None


Event = StepChecked | ActionStarted | ActionFinished | Progress | SecretIssued
