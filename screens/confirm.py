"""The confirmation dialog: every change apply will make, before it makes any."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hsm_setup.steps.actions import Action


class ConfirmApply(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("y", "confirm", "Apply"),
    ]

    def __init__(self, step_title: str, plan: tuple[Action, ...], account: str) -> None:
        super().__init__()
        self.step_title = step_title
        self.plan = plan
        self.account = account

    def compose(self) -> ComposeResult:
        api = [a for a in self.plan if not a.is_manual]
        manual = [a for a in self.plan if a.is_manual]
        text = Text()
        text.append(f"These {len(api)} change(s) will be made in {self.account}:\n\n")
        for number, action in enumerate(api, 1):
            text.append(f"{number}. {action.summary}\n", style="bold")
            if action.changes_existing:
                text.append(f"   Changes what already existed: {action.changes_existing}\n", style="bold yellow")
                for line in action.diff:
                    text.append(
                        f"     {line}\n",
                        style="red" if line.startswith("-") else "green" if line.startswith("+") else "",
                    )
            if action.cli:
                text.append(f"   $ {action.cli}\n", style="cyan")
        if manual:
            text.append("\nLeft for you to do in the AWS console afterwards:\n")
            for action in manual:
                text.append(f"• {action.summary}\n")
        text.append("\nEach change adopts what already exists, so applying again is safe.", style="dim")
        with Vertical(id="dialog", classes="dialog"):
            yield Static(f"Apply: {self.step_title}", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(text, id="confirm-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply changes (y)", id="yes", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
