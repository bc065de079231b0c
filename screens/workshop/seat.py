"""A workshop seat: the wizard as one attendee's browser runs it (`python -m hsm_setup_screens.workshop.seat`).

The workshop server starts this for every browser connection (textual-serve's web
driver), in the seat's own folder and environment (server.py), and ends it when the
tab goes away. Everything that must outlive it is the server's: the practice account
(reached through the seat's channel, control.py) and the saved answers and progress
(HSM_SETUP_STATE_DIR, in the seat's folder). So a reconnect resumes where the attendee
stopped: the wizard opens on the first step not done, with the answers they gave.

It is the ordinary wizard with four differences:
- the first screen asks the attendee's name for the facilitator's board (once per seat);
- it only ever connects to the seat's practice account: no connect screen, no profiles,
  no real credentials; the OS keyring is never touched;
- it reports each step's status to the server for the board;
- a report goes to the attendee's browser as a download, not to a path on the server.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App, ComposeResult
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from hsm_setup.aws.connection import Connection, connection_from
from hsm_setup.session.view import Handoff

from .. import messages as m
from ..app import HsmSetupApp
from .control import SeatLink, SeatPractice
from .names import NAME_LIMIT, name_problem, tidy_name
from .status import StatusReporter, seat_status

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hsm_setup.secrets.store import StoredCredentials

# Seconds the last status may take to reach the server when the seat's wizard ends.
LAST_REPORT_WAIT = 2.0


class NameScreen(Screen[str]):
    """The seat's first screen: the attendee's name for the facilitator's board."""

    DEFAULT_CSS = """
    NameScreen { align: center middle; }
    NameScreen #welcome { width: 72; height: auto; border: round $accent; padding: 1 2; }
    NameScreen #welcome-title { text-style: bold; margin-bottom: 1; }
    NameScreen #name-problem { color: $error; height: auto; }
    NameScreen Input { margin: 1 0 0 0; }
    """

    def __init__(self, generated_name: str) -> None:
        super().__init__()
        self.generated_name = generated_name

    def compose(self) -> ComposeResult:
        with Vertical(id="welcome"):
            yield Static("Welcome to the hsm-setup workshop", id="welcome-title")
            yield Static(
                "You will set up the AWS CloudHSM guide's IAM administrative groups on a practice account "
                "of your own: nothing here reaches a real AWS account.\n\n"
                f"Your name, as the facilitator's board shows it (Enter alone: {self.generated_name}):"
            )
            yield Input(placeholder=self.generated_name, max_length=NAME_LIMIT, id="name")
            yield Static("", id="name-problem")

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#name-problem", Static).update(name_problem(event.value) or "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        problem = name_problem(event.value)
        if problem:
            self.query_one("#name-problem", Static).update(problem)
            return
        self.dismiss(tidy_name(event.value))


def share_parsed_css(app: App[Any]) -> None:
    """Keep the app's parsed CSS rules with the process's, for its CSS variables (what they were parsed with).

    Parsing the wizard's and Textual's CSS is a quarter of a seat's start. The seats' zygote parses it
    once (rehearse), and every seat forked from it finds the rules parsed. A theme change in a seat clears
    and refills them for the new variables in that seat's process alone.
    """
    stylesheet = app.stylesheet
    key = tuple(sorted(stylesheet._variables.items()))
    stylesheet._parse_cache = _PARSED_CSS.setdefault(key, LRUCache(256))


_PARSED_CSS: dict[tuple[tuple[str, str], ...], LRUCache[tuple[object, ...], list[Any]]] = {}


def rehearse() -> None:
    """Draw a seat's first screen once, headless, in the process seats are forked from (see share_parsed_css)."""
    import asyncio

    class Rehearsal(App[None]):
        CSS_PATH = HsmSetupApp.CSS_PATH

        def on_mount(self) -> None:
            self.push_screen(NameScreen("Attendee 1"))

    async def draw() -> None:
        rehearsal = Rehearsal()
        share_parsed_css(rehearsal)
        async with rehearsal.run_test(size=(142, 38)) as pilot:
            await pilot.pause()

    asyncio.run(draw())


class WorkshopSeatApp(HsmSetupApp):
    def __init__(self, link: SeatLink, *, seat: str, name: str | None, generated_name: str, scenario: str) -> None:
        from hsm_setup.secrets.store import SecretStore

        # keyring's null backend: a seat keeps nothing in the keyring of the machine serving the workshop.
        super().__init__(
            _practice_connection(),
            scenario=scenario,
            store=SecretStore(backend=_null_keyring()),
            start_practice=lambda _scenario: SeatPractice(link),
        )
        self.link = link
        self.seat = seat
        self.seat_name = name
        self.generated_name = generated_name
        self.status = StatusReporter(link)
        share_parsed_css(self)

    # -- the first screen: the attendee's name ----------------------------------------------
    def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # the wizard's own on_mount would connect before the name is known
        if self.seat_name is None:
            self.push_screen(NameScreen(self.generated_name), self._named)
        else:
            self._open()

    def _named(self, name: str | None) -> None:
        self._record_name(name or "")

    @work(thread=True, exit_on_error=False, group="seat-name")
    def _record_name(self, name: str) -> None:
        shown = str(self.link.call("name", name))
        self.call_from_thread(self._open, shown)

    def _open(self, name: str | None = None) -> None:
        self.seat_name = name or self.seat_name
        self.sub_title = f"Workshop seat: {self.seat_name}"
        self.start(self.connection or _practice_connection())

    # -- only ever the seat's practice account ------------------------------------------------
    def start(self, connection: Connection, typed: StoredCredentials | None = None) -> None:
        if not connection.sandbox:
            # An AWS CLI profile written for the administrator (continue as...) would reach AWS itself.
            self.notify("A workshop seat works on its practice account only.", severity="warning", timeout=8)
            return
        super().start(connection, typed)

    def back_to_connect(self, notice: str = "") -> None:
        """A seat has no connect screen (it would list the server's AWS profiles): it connects again."""
        if notice:
            self.notify(notice, severity="warning", timeout=8, markup=False)
        super().start(_practice_connection())

    # -- the board -----------------------------------------------------------------------------
    def on_session_event_arrived(self, message: m.SessionEventArrived) -> None:
        self._report_status()

    def on_connected(self, message: m.Connected) -> None:
        self._report_status()

    def _report_status(self) -> None:
        self.status.report(seat_status(self.view()))

    # -- a report goes to the browser --------------------------------------------------------------
    def on_handoff_requested(self, message: m.HandoffRequested) -> None:
        if message.handoff is Handoff.REPORT and self.view().handoffs.get(Handoff.REPORT):
            message.prevent_default()  # not the wizard's dialog asking for a path on the server
            self._deliver_report()

    @work(thread=True, exit_on_error=False, group="handoff")
    def _deliver_report(self) -> None:
        session = self.controller.session
        if session is None or session.identity is None:
            return
        from hsm_setup.session.session import HandoffResult

        path = Path.home() / f"hsm-setup-report-{session.identity.account_id}.html"
        result = session.write_report(str(path))
        if result.severity != "error":
            # The seat's folder is the server's, not the attendee's: the file goes to their browser.
            self.call_from_thread(self.deliver_text, path, open_method="download", mime_type="text/html")
            result = HandoffResult((f"The report ({path.name}) is downloading in your browser.",))
        self.post_message(m.HandoffFinished(result))

    def on_unmount(self) -> None:
        self._report_status()
        self.status.flush(LAST_REPORT_WAIT)
        self.status.close()


def _practice_connection() -> Connection:
    return connection_from(sandbox=True)


def _null_keyring() -> Any:
    from keyring.backends.null import Keyring

    return Keyring()


def main() -> int:
    link = SeatLink.from_environment()
    hello = link.call("hello")
    app = WorkshopSeatApp(
        link,
        seat=str(hello["seat"]),
        name=hello.get("name"),
        generated_name=str(hello.get("generated_name") or hello["seat"]),
        scenario=str(hello.get("scenario") or "fresh"),
    )
    app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
