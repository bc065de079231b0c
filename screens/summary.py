"""The summary: every step's status, what exists now, the access portal, what to do next,
and the hand-offs the session offers: a report file, an AWS CLI profile for the
administrator, continuing as that profile, and deleting the root access key that was used."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Static

from hsm_setup.answers.fields import is_iam_mode
from hsm_setup.handoff.inventory import ACCESS_PORTAL, inventory
from hsm_setup.session import facts
from hsm_setup.session.view import Handoff, SessionView

from . import messages as m
from .identity_bar import IdentityBar
from .status import shown
from .views import SessionScreen

BUTTON_IDS = {handoff.value: handoff for handoff in Handoff}


def created_items(view: SessionView) -> list[tuple[str, str, str]]:
    """(step title, what, value) for every named resource the checks found (the access portal has its own section)."""
    titles = {step.id: step.title for step in view.steps}
    results = {step.id: step.result for step in view.steps if step.result is not None}
    # The summary does not say who made what, so no saved state is needed here.
    return [
        (titles.get(row.step_id, row.step_id), row.what, row.shown)
        for row in inventory(results, None)
        if row.kind != ACCESS_PORTAL
    ]


class SummaryScreen(SessionScreen):
    BINDINGS = [
        Binding("escape,b", "back", "Back to the steps"),
        Binding("ctrl+r", "app.check_all", "Check all"),
        Binding("q", "app.quit", "Quit"),
        Binding("w", "handoff('report')", "Report", id="report"),
        Binding("s", "handoff('sso-profile')", "SSO profile", id="sso-profile"),
        Binding("c", "handoff('continue-as')", "Continue as profile", id="continue-as", show=False),
        Binding("d", "handoff('delete-root-key')", "Delete root key", id="delete-root-key", show=False),
    ]

    def __init__(self, view: SessionView) -> None:
        super().__init__(view)
        self._binding_state: dict[Handoff, bool | None] = {}

    def compose(self) -> ComposeResult:
        yield IdentityBar(self.view, id="identity")
        with VerticalScroll(id="summary-body"):
            yield Static("", id="summary-text")
        yield Static("", id="handoff")
        with Horizontal(id="summary-buttons"):
            yield Button(
                "Save report (w)",
                id="report",
                compact=True,
                tooltip="Write the summary to a file: HTML, Markdown or JSON",
            )
            yield Button(
                "SSO profile (s)",
                id="sso-profile",
                compact=True,
                tooltip="Add an AWS CLI profile that signs in as the administrator",
            )
            yield Button("Continue as profile (c)", id="continue-as", compact=True, variant="primary")
            yield Button("Delete root key (d)", id="delete-root-key", compact=True, variant="error")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._draw(self.view)

    def show_view(self, view: SessionView, *, rebuild: bool = False) -> None:
        self.view = view
        if self.is_mounted:  # else pushed but not mounted yet: on_mount draws this view
            self._draw(view)

    def _draw(self, view: SessionView) -> None:
        self.query_one(IdentityBar).show(view)
        self.query_one("#summary-text", Static).update(summary_text(view))
        handoff = self.query_one("#handoff", Static)
        handoff.update(Text("\n".join(view.handoff_lines), style="bold cyan"))
        handoff.display = bool(view.handoff_lines)
        allowed = self._allowed()
        for handoff_kind, offered in allowed.items():
            button = self.query_one(f"#{handoff_kind.value}", Button)
            button.display = offered is not None
            button.disabled = not offered
        # refresh_bindings rebuilds the whole footer: only when a key's availability changed.
        if allowed != self._binding_state:
            self._binding_state = allowed
            self.refresh_bindings()

    def _allowed(self) -> dict[Handoff, bool | None]:
        """Each hand-off: True to offer it, False to show it greyed, None to hide it."""
        handoffs = self.view.handoffs
        return {h: (bool(handoffs[h]) if h in handoffs else None) for h in Handoff}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "handoff" and parameters:
            return self._allowed().get(BUTTON_IDS[str(parameters[0])])
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if (event.button.id or "") in BUTTON_IDS:
            self.action_handoff(event.button.id or "")

    def action_handoff(self, which: str) -> None:
        self.post_message(m.HandoffRequested(BUTTON_IDS[which]))

    def action_back(self) -> None:
        self.dismiss()


def summary_text(view: SessionView) -> Text:
    text = Text()
    text.append("Summary\n", style="bold underline")
    if view.all_done:
        text.append("Every step is done. The account is ready for CloudHSM administrators.\n\n", style="bold green")
    else:
        left = sum(1 for s in view.steps if not s.done)
        text.append(f"{left} step(s) still need work: press esc to go back to them.\n\n", style="bold yellow")
    for step in view.steps:
        look = shown(step.state)
        text.append(f"{look.icon} {look.label:<11}", style="bold")
        text.append(f" {step.number}. {step.title}\n")
    items = created_items(view)
    if items:
        text.append("\nWhat exists now\n", style="bold underline")
        for _title, what, value in items:
            text.append(f"• {what}: ", style="bold")
            text.append(f"{value}\n")
    answers = view.answers
    user = str(answers["admin.user_name"]) if answers is not None else "the administrator"
    iam = answers is not None and is_iam_mode(answers)
    results = {s.id: s.result for s in view.steps if s.result is not None}
    if view.root_access_key is not None:
        text.append("\nThe root user's access key\n", style="bold underline")
        text.append(
            f"This run signs with the root user's access key {view.root_access_key}. The administrator "
            "is set up, so the CloudHSM guide advises deleting it: press d.\n",
            style="bold yellow",
        )
    if iam:
        url = facts.sign_in_url(results)
        text.append("\nConsole sign-in\n", style="bold underline")
        text.append(f"{url or 'The account console sign-in URL'}\n", style="underline")
        text.append(
            f"The IAM user {user} signs in with the one-time password shown when it was set, "
            "chooses a new one, and then adds an MFA device.\n"
        )
        sign_in = f"Sign in to the console as {user} and use that user, not root, from now on."
    else:
        portal = facts.portal_url(results)
        text.append("\nAccess portal\n", style="bold underline")
        text.append(
            f"{portal}\n" if portal else "Shown here once IAM Identity Center is enabled.\n",
            style="underline" if portal else "",
        )
        text.append("\nThe administrator's password\n", style="bold underline")
        text.append(
            f"A user created through the API ({user}) has no password and gets no e-mail. In the IAM "
            "Identity Center console, either open Users > "
            f"{user} > Reset password > Generate a one-time password and pass it on safely, or turn on "
            "Settings > Authentication > Send email OTP so the user receives a one-time password by e-mail.\n"
        )
        sign_in = f"Sign in at the access portal as {user} and use that user, not root, from now on."
    text.append("\nNext steps\n", style="bold underline")
    for line in (
        sign_in,
        "Put the root user's MFA device somewhere safe; use root only for the tasks that need it.",
        "Add the CloudHSM administrators to the Identity Center group and the IAM group.",
        "Create your CloudHSM cluster (the service-linked role is ready for it).",
        "Run `hsm-setup check` from time to time, or in CI, to catch drift.",
    ):
        text.append(f"• {line}\n")
    text.rstrip()
    return text
