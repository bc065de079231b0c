"""The top bar: whose account this is, where, and a warning for root credentials."""

from __future__ import annotations

from typing import Any

from textual.markup import escape
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from .content import update_if_changed


class IdentityBar(Vertical):
    """Account id, alias, caller ARN and Region; a PRACTICE ACCOUNT badge on the sandbox.

    Three Statics, the first holding the name, the badge and the account as styled spans:
    the bar is most of the wizard's first frame, and each widget adds to it.
    """

    def compose(self) -> ComposeResult:
        # Composed with the current text, not updated after mounting: an update would
        # cost a second frame.
        view = _view(self.app)
        yield Static(view["who"], id="who")
        yield Static(view["caller-arn"], id="caller-arn")
        warning = Static(view["root-warning"], id="root-warning")
        warning.display = bool(view["root-warning"])
        yield warning

    def show(self, app: Any) -> None:
        view = _view(app)
        for widget_id, text in view.items():
            update_if_changed(self.query_one(f"#{widget_id}", Static), text)
        self.query_one("#root-warning").display = bool(view["root-warning"])


def _view(app: Any) -> dict[str, str]:
    """The bar's text (Textual markup), by widget id; an empty warning is hidden."""
    connection = app.connection
    identity = app.identity
    line = "[b $accent]hsm-setup[/] "
    if connection is not None and connection.sandbox:
        line += "[b $text on $warning] PRACTICE ACCOUNT [/] "
    view = {"caller-arn": "", "root-warning": ""}
    if identity is None:
        view["who"] = line + f"Connecting to {escape(describe(connection))}…"
        return view
    region = app.ws.answers["region"] if app.ws is not None else ""
    alias = f" ({escape(app.alias)})" if app.alias else ""
    view["who"] = line + f"Account [b]{identity.account_id}[/b]{alias} · Region {escape(str(region))}"
    view["caller-arn"] = f"Signed in as {escape(identity.arn)}"
    if identity.is_root:
        view["root-warning"] = (
            "⚠ You are using the ROOT USER's credentials. Finish step 1, then sign in as the "
            "administrator this wizard creates and stop using root."
        )
    return view


def describe(connection: Any) -> str:
    """How the wizard reaches AWS, in words (typed keys are named by their key id, never the secret)."""
    if connection is None:
        return "an account"
    if not connection.sandbox and not connection.profile and connection.access_key_id:
        return f"access key {connection.access_key_id}"
    return str(connection.describe())
