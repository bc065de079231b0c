"""Small modal dialogs: a question, an offer of the session's, a line of text to type, and the one-time password.

Each one only asks; what the answer starts is up to the caller (the app runs the
blocking part in a worker once the dialog is dismissed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hsm_setup.model import SecretIssued
    from hsm_setup.session.offers import Offer


class Question(ModalScreen[bool]):
    """A question with two answers; dismissed with True for `yes`."""

    BINDINGS = [
        Binding("escape", "answer(False)", "Cancel"),
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n", "answer(False)", "No", show=False),
    ]

    def __init__(self, title: str, text: str | Text, *, yes: str = "Yes", no: str = "No", danger: bool = False) -> None:
        super().__init__()
        self.title_text = title
        # Plain text: a config section such as [profile x] must not be read as markup.
        self.body = Text(text) if isinstance(text, str) else text
        self.yes = yes
        self.no = no
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog error" if self.danger else "dialog"):
            yield Static(self.title_text, classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(self.body, id="question-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error" if self.danger else "primary", compact=True)
                yield Button(f"{self.no} (n)", id="no", compact=True)

    def on_mount(self) -> None:
        # A destructive question starts on the safe answer.
        self.query_one("#no" if self.danger else "#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class OfferDialog(ModalScreen[str]):
    """One of the session's offers; dismissed with the value of the choice made.

    The acting choice answers to y, the one that changes nothing to n and escape,
    any other to its first letter.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, offer: Offer) -> None:
        super().__init__()
        self.offer = offer
        self.keys: dict[str, str] = {}
        for choice in offer.choices:
            key = "y" if choice is offer.yes else "n" if choice.value == offer.default else choice.value[0]
            self.keys[key] = choice.value

    def compose(self) -> ComposeResult:
        offer = self.offer
        text = Text(offer.question)
        if offer.command:
            text.append(f"\n\n$ {offer.command}", style="cyan")
        with Vertical(id="dialog", classes="dialog error" if offer.danger else "dialog"):
            yield Static(offer.title, classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(text, id="question-text")
            with Horizontal(classes="dialog-buttons"):
                for key, value in self.keys.items():
                    label = offer.choice(value).label
                    danger = offer.danger and value == offer.yes.value
                    variant = "error" if danger else "primary" if value == offer.yes.value else "default"
                    yield Button(f"{label} ({key})", id=f"choice-{value}", variant=variant, compact=True)

    def on_mount(self) -> None:
        # A destructive offer starts on the answer that changes nothing.
        start = self.offer.default if self.offer.danger else self.offer.yes.value
        self.query_one(f"#choice-{start}", Button).focus()

    def on_key(self, event: events.Key) -> None:
        if event.key in self.keys:
            event.stop()
            self.dismiss(self.keys[event.key])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("choice-") or self.offer.default)

    def action_cancel(self) -> None:
        self.dismiss(self.offer.default)


class AskText(ModalScreen["str | None"]):
    """One line of text (a file path, a profile name); None when cancelled.

    `check` returns the problem with a value (naming the field), or None when it is fine.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, text: str, label: str, value: str, check: Callable[[str], str | None], *, ok: str = "OK"
    ) -> None:
        super().__init__()
        self.title_text = title
        self.body = text
        self.label = label
        self.value = value
        self.check = check
        self.ok = ok

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Static(Text(self.body), classes="dialog-hint")
            yield Label(self.label, classes="field-label")
            yield Input(value=self.value, id="ask-value", select_on_focus=False)
            yield Static("", id="ask-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.ok} (enter)", id="ok", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        field = self.query_one("#ask-value", Input)
        field.cursor_blink = False
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._finish()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._finish()
        else:
            self.dismiss(None)

    def _finish(self) -> None:
        value = self.query_one("#ask-value", Input).value.strip()
        problem = self.check(value)
        if problem:
            self.query_one("#ask-error", Static).update(f"✗ {problem}")
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PasswordDialog(ModalScreen[None]):
    """A new console password, shown this once. The dialog holds it in memory only, and drops it when closed.

    Keeping it in the OS keyring until it is handed over is the session's offer, asked
    once the apply is over.
    """

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("c", "copy", "Copy", show=False),
    ]

    def __init__(self, secret: SecretIssued) -> None:
        super().__init__()
        self.secret: SecretIssued | None = secret

    def compose(self) -> ComposeResult:
        secret = self.secret
        assert secret is not None
        text = Text()
        text.append(f"Console password for IAM user {secret.user_name} (account {secret.account_id}).\n")
        text.append("Shown once; copy it now. It is not saved in any file or log.\n\n", style="bold")
        text.append(f"    {secret.secret}\n\n", style="bold reverse")
        for note in secret.notes:
            text.append(f"{note}\n")
        buttons = [
            Button("Copy (c)", id="copy", compact=True),
            Button("I have copied it (esc)", id="close", variant="primary", compact=True),
        ]
        yield from _password_dialog("The administrator's one-time password", text, buttons)

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"copy": self.action_copy}.get(event.button.id or "", self.action_close)()

    def action_copy(self) -> None:
        if self.secret is not None:
            self.app.copy_to_clipboard(self.secret.secret)
            self.notify("Copied to the clipboard.")

    def action_close(self) -> None:
        self.secret = None
        self.query_one("#password-text", Static).update("")
        self.dismiss(None)


class KeptPasswordDialog(ModalScreen[bool]):
    """A console password kept in the OS keyring, shown again; dismissed with True once handed over.

    It holds the password in memory only, and drops it when closed.
    """

    BINDINGS = [
        Binding("escape", "close(False)", "Keep it"),
        Binding("c", "copy", "Copy", show=False),
        Binding("d", "close(True)", "Handed over", show=False),
    ]

    def __init__(self, account_id: str, user_name: str, password: str) -> None:
        super().__init__()
        self.account_id = account_id
        self.user_name = user_name
        self.password: str | None = password

    def compose(self) -> ComposeResult:
        text = Text()
        text.append(f"Console password for IAM user {self.user_name} (account {self.account_id}).\n")
        text.append("Kept in the OS keyring until you mark it handed over; never in a file or log.\n\n", style="bold")
        text.append(f"    {self.password}\n\n", style="bold reverse")
        text.append("The user must set a new password at the first sign-in.", style="italic")
        yield from _password_dialog(
            "A kept console password",
            text,
            [
                Button("Copy (c)", id="copy", compact=True),
                Button("Handed over: delete it (d)", id="handed-over", variant="warning", compact=True),
                Button("Keep it (esc)", id="keep", variant="primary", compact=True),
            ],
        )

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "copy":
            self.action_copy()
        else:
            self.action_close(event.button.id == "handed-over")

    def action_copy(self) -> None:
        if self.password is not None:
            self.app.copy_to_clipboard(self.password)
            self.notify("Copied to the clipboard.")

    def action_close(self, handed_over: bool) -> None:
        self.password = None
        self.query_one("#password-text", Static).update("")
        self.dismiss(handed_over)


def _password_dialog(title: str, text: Text, buttons: list[Button]) -> ComposeResult:
    """The frame both password dialogs share: the password's text in #password-text, which
    each clears when it closes."""
    with Vertical(id="dialog", classes="dialog"):
        yield Static(title, classes="dialog-title")
        with VerticalScroll(classes="dialog-body"):
            yield Static(text, id="password-text")
        with Horizontal(classes="dialog-buttons"):
            yield from buttons
