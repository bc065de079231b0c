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
    from hsm_setup.engine.preflight import Preflight
    from hsm_setup.steps.actions import Action


class ConfirmApply(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("y", "confirm", "Apply"),
    ]

    def __init__(
        self, step_title: str, plan: tuple[Action, ...], account: str, *, preflight: Preflight | None = None
    ) -> None:
        super().__init__()
        self.step_title = step_title
        self.plan = plan
        self.account = account
        self.preflight = preflight

    @property
    def blocked(self) -> bool:
        """IAM said the caller lacks an action the plan needs: nothing may be applied from here."""
        return self.preflight is not None and self.preflight.blocks_apply

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
                if self.preflight is not None and self.preflight.lines():
                    # IAM's answer first: when it blocks, it is the one thing the person must read.
                    style = "bold red" if self.blocked else "dim"
                    yield Static(Text("\n".join(self.preflight.lines()), style=style), id="preflight-text")
                yield Static(text, id="confirm-text")
            with Horizontal(classes="dialog-buttons"):
                if not self.blocked:
                    yield Button("Apply changes (y)", id="yes", variant="primary", compact=True)
                yield Button("Close (esc)" if self.blocked else "Cancel (esc)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no" if self.blocked else "#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_confirm(self) -> None:
        if self.blocked:
            self.notify("IAM says you may not make these changes; nothing was changed.", severity="warning")
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
