"""The one error dialog: what failed, why, and what to do next."""

from __future__ import annotations

import msgspec
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class Trouble(msgspec.Struct, frozen=True):
    what: str
    cause: str
    next_move: str


class ErrorDialog(ModalScreen[str]):
    """Dismissed with "ok", "retry", "reconnect" or "quit"."""

    BINDINGS = [
        Binding("escape", "choose('ok')", "Close"),
        Binding("r", "choose('retry')", "Retry", show=False),
        Binding("c", "choose('reconnect')", "Connection", show=False),
    ]

    def __init__(
        self, title: str, troubles: list[Trouble], *, note: str = "", retry: bool = False, reconnect: bool = False
    ) -> None:
        super().__init__()
        self.title_text = title
        self.troubles = troubles
        self.note = note
        self.retry = retry
        self.reconnect = reconnect

    def compose(self) -> ComposeResult:
        text = Text()
        for trouble in self.troubles:
            text.append(f"{trouble.what}\n", style="bold")
            text.append(f"Why: {trouble.cause}\n")
            if trouble.next_move:
                text.append(f"What to do: {trouble.next_move}\n", style="bold")
            text.append("\n")
        if self.note:
            text.append(self.note, style="italic")
        text.rstrip()
        with Vertical(id="dialog", classes="dialog error"):
            yield Static(f"✗ {self.title_text}", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(text, id="error-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK (esc)", id="ok", variant="primary", compact=True)
                if self.retry:
                    yield Button("Check again (r)", id="retry", compact=True)
                if self.reconnect:
                    yield Button("Choose connection (c)", id="reconnect", compact=True)

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "ok")

    def action_choose(self, choice: str) -> None:
        if (choice == "retry" and not self.retry) or (choice == "reconnect" and not self.reconnect):
            return
        self.dismiss(choice)
