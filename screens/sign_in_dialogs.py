"""The sign-in dialogs: the MFA code of a role, and signing in to IAM Identity Center.

Each only asks and shows; the work (AWS calls, waiting for the approval) is the
session controller's, in thread workers. Nothing here keeps a code or a token: the
MFA code leaves with the dialog's answer, the SSO token goes to the AWS CLI's cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, Static

from hsm_setup.aws.signin.mfa import MAX_ATTEMPTS, MfaRequest, code_problem

from . import messages as m

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hsm_setup.session.sign_in import SignInPage, SsoSignInOffer


class MfaDialog(ModalScreen["str | None"]):
    """The MFA code for a role that requires one, masked; dismissed with the code, or None (escape)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, request: MfaRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        request = self.request
        who = request.profile_label
        text = Text()
        text.append(f"{who[0].upper()}{who[1:]} assumes the role\n  {request.role_arn}\nwhich requires MFA.\n\n")
        text.append("MFA device: ", style="bold")
        text.append(f"{request.serial}\n")
        text.append("Type the 6 digits the device shows now.")
        with Vertical(id="dialog", classes="dialog"):
            yield Static("MFA code for the role", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(text, id="mfa-text")
                if request.refused:
                    refused = Text(f"✗ Not accepted: {request.refused}", style="bold")
                    refused.append(f"\nTry {request.attempt} of {MAX_ATTEMPTS}.", style="")
                    yield Static(refused, id="mfa-refused", classes="field-error")
            yield Input(
                id="mfa-code", password=True, restrict=r"[0-9]*", max_length=6, placeholder="6 digits", compact=True
            )
            yield Static("", id="mfa-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Sign in (enter)", id="ok", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        field = self.query_one("#mfa-code", Input)
        field.cursor_blink = False
        field.focus()

    @on(Input.Submitted, "#mfa-code")
    @on(Button.Pressed, "#ok")
    def _submit(self) -> None:
        field = self.query_one("#mfa-code", Input)
        code = field.value.strip()
        problem = code_problem(code)
        if problem:
            self.query_one("#mfa-error", Static).update(f"✗ {problem}")
            field.focus()
            return
        field.value = ""
        self.dismiss(code)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.query_one("#mfa-code", Input).value = ""
        self.dismiss(None)


class SsoSignInDialog(ModalScreen[bool]):
    """Signing in to IAM Identity Center: the offer, then the page, the code and a countdown.

    Dismissed (by the controller) with True once signed in, False when the person cancelled.
    It posts what the person chose (m.SignInAsked) and is told what happened: `show_page`,
    `show_note`, `show_problem`.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("m", "simulate", "Simulate: approve", show=False),
        Binding("c", "copy", "Copy the page", show=False),
    ]

    def __init__(self, offer: SsoSignInOffer) -> None:
        super().__init__()
        self.offer = offer
        self.page: SignInPage | None = None
        self.started = False
        self._ticker: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(self.offer.title, classes="dialog-title", id="sign-in-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(Text(f"{self.offer.question}\n{self.offer.alternative}"), id="sign-in-text")
                yield Static("", id="sign-in-page")
                yield Static("", id="sign-in-countdown")
                yield Static("", id="sign-in-note")
                yield Static("", id="sign-in-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Sign in (enter)", id="start", variant="primary", compact=True)
                yield Button("Simulate: approve (m)", id="simulate", variant="warning", compact=True)
                yield Button("Copy address (c)", id="copy", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        for widget_id in ("#sign-in-page", "#sign-in-countdown", "#simulate", "#copy"):
            self.query_one(widget_id).display = False
        self.query_one("#start", Button).focus()

    # -- what the person chooses ------------------------------------------------------------
    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        if self.started:
            return
        self.started = True
        self.query_one("#sign-in-error", Static).update("")
        self.query_one("#start").display = False
        self.query_one("#sign-in-note", Static).update("Asking IAM Identity Center for a sign-in code…")
        self.set_focus(None)  # Enter must not land on Cancel while the code is on its way
        self.post_message(m.SignInAsked(m.SignInChoice.START))

    @on(Button.Pressed, "#simulate")
    def action_simulate(self) -> None:
        if self.page is not None and self.page.practice:
            self.post_message(m.SignInAsked(m.SignInChoice.SIMULATE))

    @on(Button.Pressed, "#copy")
    def action_copy(self) -> None:
        if self.page is not None:
            self.app.copy_to_clipboard(self.page.verification_url)
            self.notify("Copied the page's address to the clipboard.")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self.started:
            self.dismiss(False)
            return
        self.query_one("#sign-in-note", Static).update("Cancelling…")
        self.post_message(m.SignInAsked(m.SignInChoice.CANCEL))

    # -- what the controller says -------------------------------------------------------------
    def show_page(self, page: SignInPage) -> None:
        """The sign-in started: the page to open, the code, the time left."""
        self.page = page
        text = Text()
        for number, line in enumerate(page.lines):
            text.append(f"{line}\n", style="bold" if number < 2 else "")
        if page.practice:
            text.append(" PRACTICE ACCOUNT ", style="bold reverse")
            text.append(" The page is the practice account's own; Simulate approves it as you would in a browser.")
        self.query_one("#sign-in-page", Static).update(text)
        self.query_one("#sign-in-note", Static).update("")
        # The offer has been taken: the page and the code take its room (24 lines leave little).
        self.query_one("#sign-in-text").display = False
        for widget_id in ("#sign-in-page", "#sign-in-countdown", "#copy"):
            self.query_one(widget_id).display = True
        self.query_one("#simulate").display = page.practice
        # Enter does the harmless thing: simulate on the practice account, else copy the page's address.
        self.query_one("#simulate" if page.practice else "#copy", Button).focus()
        self._tick()
        self._ticker = self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        from hsm_setup.session.sign_in import time_left

        if self.page is not None:
            self.query_one("#sign-in-countdown", Static).update(
                f"Waiting for the approval: {time_left(self.page.seconds_left())}"
            )

    def show_note(self, text: str) -> None:
        self.query_one("#sign-in-note", Static).update(Text(text))

    def show_problem(self, text: str) -> None:
        """The sign-in did not work: say why, and offer to start again."""
        if self._ticker is not None:
            self._ticker.stop()
        self.page = None
        self.started = False
        for widget_id in ("#sign-in-page", "#sign-in-countdown", "#simulate", "#copy"):
            self.query_one(widget_id).display = False
        self.query_one("#sign-in-text").display = True
        self.query_one("#sign-in-note", Static).update("")
        self.query_one("#sign-in-error", Static).update(Text(f"✗ {text}"))
        start = self.query_one("#start", Button)
        start.label = "Sign in again (enter)"
        start.display = True
        start.focus()

    def on_unmount(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
