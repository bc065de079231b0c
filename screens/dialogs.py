"""Small modal dialogs: a yes/no question, a line of text to type, and the one-time password.

Each one only asks; what the answer starts is up to the caller (the app runs the
blocking part in a worker once the dialog is dismissed).
"""

from __future__ import annotations

from typing import Any, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


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


class AskText(ModalScreen["str | None"]):
    """One line of text (a file path, a profile name); None when cancelled.

    `check` returns the problem with a value (naming the field), or None when it is fine.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, text: str, label: str, value: str, check: Callable[[str], "str | None"], *, ok: str = "OK") -> None:
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
    """A new console password, shown this once. The dialog holds it in memory only, and drops it when closed."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("c", "copy", "Copy", show=False),
        Binding("k", "keep", "Keep in keyring", show=False),
    ]

    def __init__(self, secret: Any, *, keyring_problem: str | None) -> None:
        super().__init__()
        self.secret: Any = secret
        self.keyring_problem = keyring_problem

    def compose(self) -> ComposeResult:
        secret = self.secret
        text = Text()
        text.append(f"Console password for IAM user {secret.user_name} (account {secret.account_id}).\n")
        text.append("Shown once; copy it now. It is not saved in any file or log.\n\n", style="bold")
        text.append(f"    {secret.secret}\n\n", style="bold reverse")
        for note in secret.notes:
            text.append(f"{note}\n")
        if self.keyring_problem:
            text.append(f"\n{self.keyring_problem} It cannot be kept for later: copy it now.", style="italic")
        else:
            text.append("\nOr keep it in the OS keyring until you mark it handed over (never in a file).", style="italic")
        buttons = [Button("Copy (c)", id="copy", compact=True)]
        if not self.keyring_problem:
            buttons.append(Button("Keep in keyring (k)", id="keep", compact=True))
        buttons.append(Button("I have copied it (esc)", id="close", variant="primary", compact=True))
        yield from _password_dialog("The administrator's one-time password", text, buttons)

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"copy": self.action_copy, "keep": self.action_keep}.get(event.button.id or "", self.action_close)()

    def action_copy(self) -> None:
        if self.secret is not None:
            self.app.copy_to_clipboard(self.secret.secret)
            self.notify("Copied to the clipboard.")

    def action_keep(self) -> None:
        if self.secret is None or self.keyring_problem:
            return
        app: Any = self.app
        app.keep_password(self.secret)
        self.query_one("#keep", Button).disabled = True

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
