"""The summary: every step's status, what exists now, the access portal, what to do next,
and the hand-offs: a report file, an AWS CLI profile for the administrator, and
deleting the root access key that was used (only when the caller is root)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from .identity_bar import IdentityBar

# Facts worth listing as "what exists": names, ids, ARNs and URLs.
_SHOWN_SUFFIXES = ("_arn", "_name", "_id", "_url", "_names", "_arns")
_HIDDEN_FACTS = {"portal_url"}


def created_items(app: Any) -> list[tuple[str, str, str]]:
    """(step title, what, value) for every named resource the checks and the applies reported."""
    titles = {s.id: s.title for s in app.steps}
    seen: set[tuple[str, str]] = set()
    items: list[tuple[str, str, str]] = []

    def add(step_id: str, key: str, value: Any) -> None:
        if key in _HIDDEN_FACTS or not key.endswith(_SHOWN_SUFFIXES) or value in (None, "", [], {}):
            return
        shown = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
        if (key, shown) in seen:
            return
        seen.add((key, shown))
        items.append((titles.get(step_id, step_id), key.replace("_", " "), shown))

    for step in app.steps:
        result = app.results.get(step.id)
        if result is not None and result.done:
            for key, value in result.facts.items():
                add(step.id, key, value)
    for outcome in app.outcomes:
        if outcome.ok:
            for key, value in outcome.outputs.items():
                add(outcome.action.step_id, key, value)
    return items


class SummaryScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,b", "back", "Back to the steps"),
        Binding("ctrl+r", "app.check_all", "Check all"),
        Binding("q", "app.quit", "Quit"),
        Binding("w", "report", "Report", id="report"),
        Binding("s", "sso_profile", "SSO profile", id="sso-profile"),
        Binding("c", "continue_as", "Continue as profile", id="continue-as", show=False),
        Binding("d", "delete_root_key", "Delete root key", id="delete-root-key", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._binding_state: dict[str, bool | None] = {}

    def compose(self) -> ComposeResult:
        yield IdentityBar(id="identity")
        with VerticalScroll(id="summary-body"):
            yield Static("", id="summary-text")
        yield Static("", id="handoff")
        with Horizontal(id="summary-buttons"):
            yield Button("Save report (w)", id="report", compact=True, tooltip="Write the summary to a file: HTML, Markdown or JSON")
            yield Button("SSO profile (s)", id="sso-profile", compact=True, tooltip="Add an AWS CLI profile that signs in as the administrator")
            yield Button("Continue as profile (c)", id="continue-as", compact=True, variant="primary")
            yield Button("Delete root key (d)", id="delete-root-key", compact=True, variant="error")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.refresh_from_app()

    def refresh_from_app(self, *, step_id: str | None = None, rebuild: bool = False) -> None:
        app: Any = self.app
        self.query_one(IdentityBar).show(app)
        self.query_one("#summary-text", Static).update(self.summary_text(app))
        handoff = self.query_one("#handoff", Static)
        handoff.update(Text("\n".join(app.handoff_lines), style="bold cyan"))
        handoff.display = bool(app.handoff_lines)
        allowed = self._allowed(app)
        for button_id, offer in allowed.items():
            button = self.query_one(f"#{button_id}", Button)
            button.display = offer is not None
            button.disabled = not offer
        # refresh_bindings rebuilds the whole footer: only when a key's availability changed.
        if allowed != self._binding_state:
            self._binding_state = allowed
            self.refresh_bindings()

    @staticmethod
    def _allowed(app: Any) -> dict[str, bool | None]:
        """Each hand-off: True to offer it, False to show it greyed, None to hide it."""
        from hsm_setup.answers.fields import is_iam_mode

        ready = app.ws is not None and not app.busy
        ic = app.results.get("identity-center")
        iam = app.ws is not None and is_iam_mode(app.ws.answers)
        # An SSO profile signs in through the access portal: it needs Identity Center, and means nothing in IAM mode.
        portal = ic is not None and bool(ic.facts.get("portal_url"))
        return {
            "report": ready,
            "sso-profile": None if iam else (ready and portal),
            "continue-as": (ready or None) if app.handoff_profile else None,
            "delete-root-key": (ready or None) if app.root_offer is not None else None,
        }

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        ids = {"report": "report", "sso_profile": "sso-profile", "continue_as": "continue-as", "delete_root_key": "delete-root-key"}
        if action in ids:
            return self._allowed(self.app)[ids[action]]
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {
            "report": self.action_report,
            "sso-profile": self.action_sso_profile,
            "continue-as": self.action_continue_as,
            "delete-root-key": self.action_delete_root_key,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            action()

    def action_report(self) -> None:
        self.app.request_report()  # type: ignore[attr-defined]

    def action_sso_profile(self) -> None:
        self.app.request_sso_profile()  # type: ignore[attr-defined]

    def action_continue_as(self) -> None:
        self.app.continue_as_profile()  # type: ignore[attr-defined]

    def action_delete_root_key(self) -> None:
        self.app.request_root_key_deletion()  # type: ignore[attr-defined]

    @staticmethod
    def summary_text(app: Any) -> Text:
        text = Text()
        done = app.all_done
        text.append("Summary\n", style="bold underline")
        if done:
            text.append("Every step is done. The account is ready for CloudHSM administrators.\n\n", style="bold green")
        else:
            left = sum(1 for s in app.steps if not (app.results.get(s.id) and app.results[s.id].done))
            text.append(f"{left} step(s) still need work: press esc to go back to them.\n\n", style="bold yellow")
        for number, step in enumerate(app.steps, 1):
            shown = app.shown(step.id)
            text.append(f"{shown.icon} {shown.label:<11}", style="bold")
            text.append(f" {number}. {step.title}\n")
        items = created_items(app)
        if items:
            text.append("\nWhat exists now\n", style="bold underline")
            for title, what, value in items:
                text.append(f"• {what}: ", style="bold")
                text.append(f"{value}\n")
        from hsm_setup.answers.fields import is_iam_mode

        user = app.ws.answers["admin.user_name"] if app.ws is not None else "the administrator"
        iam = app.ws is not None and is_iam_mode(app.ws.answers)
        if app.root_offer is not None:
            text.append("\nThe root user's access key\n", style="bold underline")
            text.append(
                f"This run signs with the root user's access key {app.root_offer.access_key_id}. The administrator "
                "is set up, so the CloudHSM guide advises deleting it: press d.\n",
                style="bold yellow",
            )
        if iam:
            admin = app.results.get("admin-user")
            url = admin.facts.get("sign_in_url") if admin is not None else None
            text.append("\nConsole sign-in\n", style="bold underline")
            text.append(f"{url or 'The account console sign-in URL'}\n", style="underline")
            text.append(
                f"The IAM user {user} signs in with the one-time password shown when it was set, "
                "chooses a new one, and then adds an MFA device.\n"
            )
            sign_in = f"Sign in to the console as {user} and use that user, not root, from now on."
        else:
            ic = app.results.get("identity-center")
            portal = ic.facts.get("portal_url") if ic is not None else None
            text.append("\nAccess portal\n", style="bold underline")
            if portal:
                text.append(f"{portal}\n", style="underline")
            else:
                text.append("Shown here once IAM Identity Center is enabled.\n")
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

    def action_back(self) -> None:
        self.app.pop_screen()
