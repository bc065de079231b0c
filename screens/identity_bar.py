"""The top bar: whose account this is, where, and a warning for root credentials."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static


class IdentityBar(Vertical):
    """Account id, alias, caller ARN and Region; a PRACTICE ACCOUNT badge on the sandbox."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="identity-line"):
            yield Static("hsm-setup", id="app-name")
            yield Static("", id="practice-badge")
            yield Static("Connecting…", id="who")
        yield Static("", id="caller-arn")
        yield Static("", id="root-warning")

    def show(self, app: Any) -> None:
        connection = app.connection
        identity = app.identity
        practice = bool(connection is not None and connection.sandbox)
        badge = self.query_one("#practice-badge", Static)
        badge.update(" PRACTICE ACCOUNT " if practice else "")
        badge.display = practice
        who = self.query_one("#who", Static)
        arn = self.query_one("#caller-arn", Static)
        warning = self.query_one("#root-warning", Static)
        if identity is None:
            where = describe(connection)
            who.update(f"Connecting to {escape(where)}…")
            arn.update("")
            warning.display = False
            return
        region = app.ws.answers["region"] if app.ws is not None else ""
        alias = f" ({escape(app.alias)})" if app.alias else ""
        who.update(f"Account [b]{identity.account_id}[/b]{alias} · Region {escape(str(region))}")
        arn.update(f"Signed in as {escape(identity.arn)}")
        warning.display = identity.is_root
        if identity.is_root:
            warning.update(
                "⚠ You are using the ROOT USER's credentials. Finish step 1, then sign in as the "
                "administrator this wizard creates and stop using root."
            )


def describe(connection: Any) -> str:
    """How the wizard reaches AWS, in words (typed keys are named by their key id, never the secret)."""
    if connection is None:
        return "an account"
    if not connection.sandbox and not connection.profile and connection.access_key_id:
        return f"access key {connection.access_key_id}"
    return str(connection.describe())
