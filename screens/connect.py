"""The connect screen: an AWS profile (SSO ones included), a Region, or the practice account."""

from __future__ import annotations

import os
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from . import messages as m

PRACTICE = "practice"
DEFAULT = "default"
ACCESS_KEYS = "access-keys"


class ConnectScreen(Screen[None]):
    AUTO_FOCUS = "#connections"
    BINDINGS = [
        Binding("ctrl+o", "connect", "Connect", id="connect"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="connect-box"):
            yield Static("hsm-setup: connect to an AWS account", classes="dialog-title")
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
            with Horizontal(id="region-row"):
                yield Label("Region", id="region-label")
                yield Input(
                    value=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "",
                    placeholder="the profile's Region, else us-east-1",
                    id="region",
                )
            yield Static("", id="connect-error", classes="field-error")
            yield Button("Connect (enter)", id="connect", variant="primary", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.load_profiles()

    @work(thread=True, exclusive=True, group="profiles", exit_on_error=False)
    def load_profiles(self) -> None:
        # botocore reads the AWS config files; loading it after the first frame keeps start-up quick.
        from hsm_setup.aws import list_available_profiles

        self.post_message(m.ProfilesLoaded(list_available_profiles()))

    def on_profiles_loaded(self, message: m.ProfilesLoaded) -> None:
        options = self.query_one("#connections", OptionList)
        options.remove_option("loading")
        for name in message.profiles:
            options.add_option(Option(f"AWS profile: {name}", id=f"profile:{name}"))
        if not message.profiles:
            options.add_option(Option("Default credentials (environment variables, instance role)", id=DEFAULT))
        # A place for typed access keys: kept in memory only, never written (a later release).
        options.add_option(Option("Access keys typed in here (coming in a later release)", id=ACCESS_KEYS, disabled=True))

    @on(OptionList.OptionSelected, "#connections")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_connect()

    @on(Input.Submitted, "#region")
    @on(Button.Pressed, "#connect")
    def _submit(self) -> None:
        self.action_connect()

    def action_connect(self) -> None:
        from hsm_setup.aws import Connection
        from hsm_setup.validators import region as check_region

        options = self.query_one("#connections", OptionList)
        index = options.highlighted
        choice = options.get_option_at_index(index).id if index is not None else None
        region = self.query_one("#region", Input).value.strip() or None
        error = self.query_one("#connect-error", Static)
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
        else:
            error.update("Choose a connection in the list first.")
            return
        app: Any = self.app
        app.start(connection)
