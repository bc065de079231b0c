"""The connect screen: an AWS profile (SSO ones included), credentials the OS keyring kept,
an access key pair typed in (a new account has no profile yet), a Region, or the practice account.

Every profile is listed with its kind and one line on what it is and where its sign-in
stands (hsm_setup.aws.signin.profiles, read from the files in a worker); one that cannot
work is greyed, with the reason, before it is tried. Signing in (an MFA code, IAM
Identity Center) happens once connecting starts: the session controller asks.

Typed keys stay in memory (a Connection); the app offers the keyring only after
STS accepted them. Reading the keyring blocks, so it happens in a worker.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from . import messages as m

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hsm_setup.answers.fields import Field
    from hsm_setup.aws.signin.profiles import ProfileInfo
    from hsm_setup.secrets.store import SecretStore, StoredCredentials

PRACTICE = "practice"
DEFAULT = "default"
ACCESS_KEYS = "access-keys"
SAVED = "saved:"


def key_input_id(key: str) -> str:
    return "key-" + key.replace("_", "-")


class ConnectScreen(Screen[None]):
    AUTO_FOCUS = "#connections"
    BINDINGS = [
        Binding("ctrl+o", "connect", "Connect", id="connect"),
    ]

    def __init__(self, store: Callable[[], SecretStore], *, notice: str = "") -> None:
        super().__init__()
        # The OS keyring: every call on it blocks, so it is used in workers only.
        self.store = store
        # Why the wizard came back here (a sign-in cancelled, ...), shown until the next try.
        self.notice = notice
        self._profiles: dict[str, ProfileInfo] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="connect-box"):
            yield Static("hsm-setup: connect to an AWS account", classes="dialog-title")
            # One of these at a time above the list (24 lines leave room for one): why the wizard
            # came back here, the highlighted profile in full, or the introduction.
            yield Static(Text(self.notice), id="connect-notice", classes="field-error")
            yield Static("", id="profile-detail")
            yield Static(
                "Choose the account to secure and set up. Nothing changes until you confirm an apply. "
                "New here? The practice account is a safe simulated account.",
                id="connect-intro",
            )
            yield OptionList(
                Option("Practice account: a simulated account, nothing real is touched", id=PRACTICE),
                Option("Looking for AWS profiles…", id="loading", disabled=True),
                id="connections",
            )
            with Vertical(id="keys-form"):
                yield Static("Kept in memory only; the OS keyring is offered after connecting.", id="keys-note")
                for field in _credential_fields():
                    with Horizontal(classes="key-row"):
                        yield Label(field.label, classes="key-label")
                        yield Input(
                            id=key_input_id(field.key),
                            password=field.kind == "secret",
                            compact=True,
                            tooltip=field.help,
                            placeholder="AKIA…" if field.kind != "secret" else "",
                        )
            with Horizontal(id="region-row"):
                yield Label("Region", id="region-label")
                yield Input(
                    value=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "",
                    placeholder="the profile's Region, else us-east-1",
                    id="region",
                )
            yield Static("", id="connect-error", classes="field-error")
            yield Button("Connect (enter)", id="connect", variant="primary", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#keys-form").display = False
        self._show_above_the_list(None)
        for widget in self.query(Input):
            widget.cursor_blink = False
        self.load_profiles()

    @work(thread=True, exclusive=True, group="profiles", exit_on_error=False)
    def load_profiles(self) -> None:
        # botocore reads the AWS config files; loading it after the first frame keeps start-up quick.
        from hsm_setup.aws.signin.profiles import list_profiles

        # The keyring's index lists account ids only: no keyring call, so no wait on a missing D-Bus.
        saved = self.store().saved()
        self.post_message(m.ProfilesLoaded(list_profiles(), saved))

    def on_profiles_loaded(self, message: m.ProfilesLoaded) -> None:
        options = self.query_one("#connections", OptionList)
        options.remove_option("loading")
        for entry in message.saved:
            options.add_option(
                Option(f"Saved credentials for {entry.describe()} (OS keyring)", id=f"{SAVED}{entry.account_id}")
            )
        listing = message.profiles
        if listing.problem:
            options.add_option(
                Option(Text(f"AWS profiles: {listing.problem}"), id="profiles-unreadable", disabled=True)
            )
        for info in listing.profiles:
            # Two lines: the name and kind, then what it is (or, greyed, why it cannot work), each
            # cut to the list's width (app.tcss); the highlighted profile is shown in full above it.
            prompt = Text(f"AWS profile {info.headline}\n")
            prompt.append(f"  {info.explanation}", style="italic")
            self._profiles[info.name] = info
            options.add_option(Option(prompt, id=f"profile:{info.name}", disabled=not info.usable))
        if not listing.profiles:
            options.add_option(Option("Default credentials (environment variables, instance role)", id=DEFAULT))
        options.add_option(Option("Access keys typed in here (a new account with no AWS profile yet)", id=ACCESS_KEYS))

    @on(OptionList.OptionHighlighted, "#connections")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_above_the_list(event.option.id)

    def _show_above_the_list(self, choice: str | None) -> None:
        typing = choice == ACCESS_KEYS
        profile = (
            self._profiles.get(choice.removeprefix("profile:")) if choice and choice.startswith("profile:") else None
        )
        self.query_one("#keys-form").display = typing
        detail = self.query_one("#profile-detail", Static)
        if profile is not None:
            detail.update(Text(f"{profile.headline}: {profile.explanation}"))
        # Room is short at 24 lines: the form, the profile or the notice takes the introduction's place.
        detail.display = profile is not None
        self.query_one("#connect-notice").display = bool(self.notice) and not typing and profile is None
        self.query_one("#connect-intro").display = not (typing or profile is not None or self.notice)

    @on(OptionList.OptionSelected, "#connections")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == ACCESS_KEYS and not self._typed_key_id():
            # Enter on "access keys" moves into the form rather than failing on empty fields.
            self.query_one(f"#{key_input_id('aws_access_key_id')}", Input).focus()
            return
        self.action_connect()

    @on(Input.Submitted, "#region")
    @on(Input.Submitted, "#keys-form Input")
    @on(Button.Pressed, "#connect")
    def _submit(self) -> None:
        self.action_connect()

    def _typed_key_id(self) -> str:
        return self.query_one(f"#{key_input_id('aws_access_key_id')}", Input).value.strip()

    def _typed_credentials(self) -> StoredCredentials:
        """The typed key pair, validated; raises ValueError naming the field (never echoing the secret)."""
        from hsm_setup.secrets.typed_keys import typed_credentials

        values = [self.query_one(f"#{key_input_id(f.key)}", Input).value.strip() for f in _credential_fields()]
        return typed_credentials(values[0], values[1], values[2] or None)

    @work(thread=True, exclusive=True, group="keyring", exit_on_error=False)
    def load_saved(self, account_id: str) -> None:
        from hsm_setup.secrets.store import KeyringUnavailable

        try:
            credentials = self.store().load(account_id)
        except KeyringUnavailable as exc:
            self.post_message(m.SavedCredentialsLoaded(account_id, None, f"{exc.cause} {exc.next_move}"))
            return
        problem = (
            None
            if credentials is not None
            else f"The OS keyring no longer holds credentials for account {account_id}; choose another way."
        )
        self.post_message(m.SavedCredentialsLoaded(account_id, credentials, problem))

    def on_saved_credentials_loaded(self, message: m.SavedCredentialsLoaded) -> None:
        from hsm_setup.aws.connection import Connection
        from hsm_setup.secrets.typed_keys import connection_with

        if message.credentials is None:
            self.query_one("#connect-error", Static).update(message.problem or "")
            return
        region = self.query_one("#region", Input).value.strip() or None
        self.post_message(m.ConnectRequested(connection_with(message.credentials, Connection(region=region))))

    def action_connect(self) -> None:
        from hsm_setup.answers.region import region as check_region
        from hsm_setup.aws.connection import Connection

        options = self.query_one("#connections", OptionList)
        index = options.highlighted
        choice = options.get_option_at_index(index).id if index is not None else None
        region = self.query_one("#region", Input).value.strip() or None
        error = self.query_one("#connect-error", Static)
        if self.notice:
            self.notice = ""  # said; what happens next replaces it
            self._show_above_the_list(choice)
        if region is not None and (problem := check_region(region)):
            error.update(f"region: {problem}")
            return
        error.update("")
        if choice == PRACTICE:
            connection = Connection(sandbox=True, region=region)
        elif choice and choice.startswith("profile:"):
            connection = Connection(profile=choice.split(":", 1)[1], region=region)
        elif choice == DEFAULT:
            connection = Connection(region=region)
        elif choice and choice.startswith(SAVED):
            error.update("Reading the OS keyring…")
            self.load_saved(choice[len(SAVED) :])
            return
        elif choice == ACCESS_KEYS:
            from hsm_setup.secrets.typed_keys import connection_with

            try:
                credentials = self._typed_credentials()
            except ValueError as exc:
                error.update(str(exc))
                return
            self.post_message(m.ConnectRequested(connection_with(credentials, Connection(region=region)), credentials))
            return
        else:
            error.update("Choose a connection in the list first.")
            return
        self.post_message(m.ConnectRequested(connection))


def _credential_fields() -> tuple[Field, ...]:
    from hsm_setup.secrets.typed_keys import CREDENTIAL_FIELDS

    return CREDENTIAL_FIELDS
