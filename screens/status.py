"""How a step's state looks in the wizard: an icon and the CSS class that colours it.

The words come from the session (StepState); only the look is decided here.
"""

from __future__ import annotations

import msgspec

from hsm_setup.session.view import StepState

# What the step pane says before the account has answered.
CONNECTING = "Connecting… the steps are checked as soon as the account answers."


class Shown(msgspec.Struct, frozen=True):
    icon: str
    label: str
    css: str  # the CSS class that colours it


_LOOKS = {
    StepState.CHECKING: ("…", "checking"),
    StepState.WAITING: ("·", "waiting"),
    StepState.SKIPPED: ("→", "skipped"),
    StepState.DONE: ("✓", "done"),
    StepState.TO_DO: ("•", "todo"),
    StepState.NEEDS_YOU: ("!", "needs-you"),
    StepState.NEEDS_INPUT: ("?", "needs-you"),
    StepState.BLOCKED: ("⊘", "blocked"),
    StepState.ERROR: ("✗", "error"),
    StepState.APPLYING: ("…", "checking"),
    StepState.SIMULATING: ("…", "checking"),
}


def shown(state: StepState) -> Shown:
    icon, css = _LOOKS[state]
    return Shown(icon, state.value, css)
