"""The top bar: whose account this is, where, and a warning for root credentials."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import Static

from hsm_setup.aws.connection import Connection
from hsm_setup.session.view import SessionView

from .content import update_if_changed


class IdentityBar(Vertical):
    """Account id, alias, caller ARN and Region; a PRACTICE ACCOUNT badge on the sandbox.

    Three Statics, the first holding the name, the badge and the account as styled spans:
    the bar is most of the wizard's first frame, and each widget adds to it.
    """

    def __init__(self, view: SessionView, **kwargs: str) -> None:
        super().__init__(**kwargs)
        self._view = view

    def compose(self) -> ComposeResult:
        # Composed with the current text, not updated after mounting: an update would
        # cost a second frame.
        texts = _texts(self._view)
        yield Static(texts["who"], id="who")
        yield Static(texts["caller-arn"], id="caller-arn")
        warning = Static(texts["root-warning"], id="root-warning")
        warning.display = bool(texts["root-warning"])
        yield warning

    def show(self, view: SessionView) -> None:
        self._view = view
        texts = _texts(view)
        for widget_id, text in texts.items():
            update_if_changed(self.query_one(f"#{widget_id}", Static), text)
        self.query_one("#root-warning").display = bool(texts["root-warning"])


def _texts(view: SessionView) -> dict[str, str]:
    """The bar's text (Textual markup), by widget id; an empty warning is hidden."""
    connection = view.connection
    identity = view.identity
    line = "[b $accent]hsm-setup[/] "
    if connection is not None and connection.sandbox:
        line += "[b $text on $warning] PRACTICE ACCOUNT [/] "
    texts = {"caller-arn": "", "root-warning": ""}
    if identity is None:
        texts["who"] = line + f"Connecting to {escape(describe(connection))}…"
        return texts
    alias = f" ({escape(view.alias)})" if view.alias else ""
    texts["who"] = line + f"Account [b]{identity.account_id}[/b]{alias} · Region {escape(view.region)}"
    texts["caller-arn"] = f"Signed in as {escape(identity.arn)}"
    if identity.is_root:
        texts["root-warning"] = (
            "⚠ You are using the ROOT USER's credentials. Finish step 1, then sign in as the "
            "administrator this wizard creates and stop using root."
        )
    return texts


def describe(connection: Connection | None) -> str:
    """How the wizard reaches AWS, in words (typed keys are named by their key id, never the secret)."""
    if connection is None:
        return "an account"
    if not connection.sandbox and not connection.profile and connection.access_key_id:
        return f"access key {connection.access_key_id}"
    return connection.describe()
