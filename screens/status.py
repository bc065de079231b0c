"""How a step's state reads in the wizard: one word a person understands, and an icon.

Pure functions over the core's values, so the sidebar, the step pane and the
summary agree, and tests can check them without a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable


# What the step pane says before the account has answered.
CONNECTING = "Connecting… the steps are checked as soon as the account answers."

@dataclass(frozen=True)
class Shown:
    icon: str
    label: str
    css: str  # the CSS class that colours it


CHECKING = Shown("…", "checking", "checking")
WAITING = Shown("·", "not checked", "waiting")
SKIPPED = Shown("→", "skipped", "skipped")
DONE = Shown("✓", "done", "done")
TO_DO = Shown("•", "to do", "todo")
NEEDS_YOU = Shown("!", "needs you", "needs-you")
BLOCKED = Shown("⊘", "blocked", "blocked")
ERROR = Shown("✗", "error", "error")
# While the wizard itself works on a step.
BUSY = {
    "apply": Shown("…", "applying", "checking"),
    "simulate": Shown("…", "simulating", "checking"),
}


def only_manual(plan: Iterable[Any]) -> bool:
    """True when what is left is for a person to do in the console."""
    actions = list(plan)
    return bool(actions) and all(a.is_manual for a in actions)


def shown(result: Any | None, plan: list[Any] | None, *, checking: bool = False, skipped: bool = False) -> Shown:
    if checking:
        return CHECKING
    if skipped:
        return SKIPPED
    if result is None:
        return WAITING
    status = getattr(result.status, "value", result.status)
    if status == "done":
        return DONE
    if status == "skipped":
        return SKIPPED
    if status == "blocked":
        return BLOCKED
    if status == "error":
        return ERROR
    if plan is None:
        return CHECKING  # checked, but the plan that says "to do" or "needs you" is still being made
    return NEEDS_YOU if only_manual(plan) else TO_DO
