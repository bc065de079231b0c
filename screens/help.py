"""F1: how the wizard works and every key it answers to."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

HELP = """\
The wizard checks your account live, one step at a time, in the order of the
CloudHSM guide's *Create IAM administrative groups* page.

| Key | What it does |
|-----|--------------|
| ↑ ↓ | choose a step in the list |
| enter | go to the step's inputs |
| tab / shift+tab | move between the list, inputs and buttons |
| esc | back to the step list |
| r | check this step again |
| ctrl+r | check every step again |
| a | apply the plan (a confirmation lists every change first) |
| o | open the step's AWS console page (the link is also copied) |
| m | practice account: simulate the console action |
| s | skip the step for now |
| p / n | previous / next step |
| u | the summary |
| ctrl+p | command palette: jump to a step, change the theme... |
| ctrl+q | quit (progress is kept) |

**On the summary**: *w* saves a report (HTML, Markdown or JSON, by the file's ending);
*s* writes an AWS CLI profile that signs in as the administrator, and *c* then continues
as that profile; *d* deletes the root user's access key this run uses, once the
administrator exists.

**Statuses**: *done*; *to do* (the wizard can do it: apply); *needs you* (a change in
the AWS console: the wizard watches the account and turns the step done by itself);
*blocked* (an earlier step must be done first); *error* (the check failed: the dialog
says why and what to do); *skipped*.

Nothing changes in AWS until you confirm an apply. Every change adopts what already
exists, so running the wizard again is safe.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog help"):
            yield Static("Help", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Markdown(HELP)
            yield Static("esc to close", classes="dialog-hint")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
