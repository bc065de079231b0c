"""The summary: every step's status, what exists now, the access portal, what to do next."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from .identity_bar import IdentityBar

# Facts worth listing as "what exists": names, ids, ARNs and URLs.
_SHOWN_SUFFIXES = ("_arn", "_name", "_id", "_url", "_names", "_arns")
_HIDDEN_FACTS = {"problem_kind", "portal_url"}


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
    ]

    def compose(self) -> ComposeResult:
        yield IdentityBar(id="identity")
        with VerticalScroll(id="summary-body"):
            yield Static("", id="summary-text")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_from_app()

    def refresh_from_app(self, *, step_id: str | None = None, rebuild: bool = False) -> None:
        app: Any = self.app
        self.query_one(IdentityBar).show(app)
        self.query_one("#summary-text", Static).update(self.summary_text(app))

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
        ic = app.results.get("identity-center")
        portal = ic.facts.get("portal_url") if ic is not None else None
        text.append("\nAccess portal\n", style="bold underline")
        if portal:
            text.append(f"{portal}\n", style="underline")
        else:
            text.append("Shown here once IAM Identity Center is enabled.\n")
        user = app.ws.answers["admin.user_name"] if app.ws is not None else "the administrator"
        text.append("\nThe administrator's password\n", style="bold underline")
        text.append(
            f"A user created through the API ({user}) has no password and gets no e-mail. In the IAM "
            "Identity Center console, either open Users > "
            f"{user} > Reset password > Generate a one-time password and pass it on safely, or turn on "
            "Settings > Authentication > Send email OTP so the user receives a one-time password by e-mail.\n"
        )
        text.append("\nNext steps\n", style="bold underline")
        for line in (
            f"Sign in at the access portal as {user} and use that user, not root, from now on.",
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
