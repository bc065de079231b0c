"""The list of steps, each with its live status; choosing one shows it."""

from __future__ import annotations

import textwrap
from typing import Any

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from .content import shown_as


# The list is 26 columns wide: the number, the title, the border and room for a scrollbar.
TITLE_WIDTH = 20


class StepList(OptionList):
    """One option a step: its number and title, and its status underneath."""

    def fill(self, app: Any) -> None:
        highlighted = self.highlighted
        self.set_options(Option(self._prompt(app, i, step), id=step.id) for i, step in enumerate(app.steps, 1))
        if app.steps:
            self.highlighted = highlighted if highlighted is not None else 0

    def update_statuses(self, app: Any) -> None:
        if self.option_count != len(app.steps):
            self.fill(app)
            return
        for index, step in enumerate(app.steps):
            prompt = self._prompt(app, index + 1, step)
            # Replacing a prompt re-renders the whole list: only those whose status changed.
            if shown_as(self.get_option_at_index(index).prompt) != shown_as(prompt):
                self.replace_option_prompt_at_index(index, prompt)

    @staticmethod
    def _prompt(app: Any, number: int, step: Any) -> Text:
        shown = app.shown(step.id)
        text = Text()
        lines = textwrap.wrap(step.title, TITLE_WIDTH) or [""]
        text.append(f"{number}. " + "\n   ".join(lines) + "\n", style="bold")
        text.append(f"   {shown.icon} {shown.label}", style=_STYLES.get(shown.css, ""))
        return text

    def select_step(self, step_id: str) -> None:
        for index in range(self.option_count):
            if self.get_option_at_index(index).id == step_id:
                if self.highlighted != index:
                    self.highlighted = index
                return


# Colours for statuses; under NO_COLOR Textual drops them and the icon and word remain.
_STYLES = {
    "done": "green",
    "todo": "yellow",
    "needs-you": "bold magenta",
    "blocked": "dim",
    "error": "bold red",
    "checking": "italic cyan",
    "skipped": "dim italic",
    "waiting": "dim",
}
