"""The wizard app: starting up, routing between screens, and passing messages to the session controller.

The flow itself is the core's Session; its blocking work runs in thread workers
(screens/controller.py); when to draw lives in screens/pacing.py. Screens receive
the session's view and post what the person asked for; no widget reads the app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, TypeVar

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from hsm_setup.assets import stylesheet

from . import messages as m
from .commands import WizardCommands
from .controller import SessionController
from .pacing import FirstPaint, RedrawBatcher

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hsm_setup.answers.values import Answers
    from hsm_setup.aws.connection import Connection
    from hsm_setup.secrets.store import SecretStore, StoredCredentials
    from hsm_setup.session.practice import PracticeAccount, StartPractice
    from hsm_setup.session.view import SessionView

# Seconds between checks while the wizard watches the account for a console action.
WATCH_INTERVAL = 10
# At most this many seconds are spent drawing the first step before the first check starts.
FIRST_STEP_WAIT = 1.0

T = TypeVar("T")


class HsmSetupApp(App[int]):
    """The guided wizard. Its return value is the process exit code (see run_wizard)."""

    TITLE = "hsm-setup"
    SUB_TITLE = "CloudHSM administrative groups"
    CSS_PATH = stylesheet("app.tcss")
    COMMANDS = App.COMMANDS | {WizardCommands}
    BINDINGS = [
        Binding("f1", "help", "Help", id="help"),
        Binding("ctrl+r", "check_all", "Check all", id="check-all"),
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit"),
    ]

    def __init__(
        self,
        connection: Connection | None = None,
        *,
        scenario: str = "fresh",
        answers: Answers | None = None,
        sleep: Callable[[float], None] | None = None,
        watch_interval: int | None = WATCH_INTERVAL,
        practice: PracticeAccount | None = None,
        store: SecretStore | None = None,
        start_practice: StartPractice | None = None,
    ) -> None:
        super().__init__()
        self.connection = connection
        # None stops the countdown (snapshots); the person can still check by hand.
        self.watch_interval = watch_interval
        self.current_step: str | None = None
        self._summary_pending = False
        self.first_paint = FirstPaint(self)
        self.redraws = RedrawBatcher(self, self.redraw)
        self.controller = SessionController(
            self,
            store=store,
            practice=practice,
            start_practice=start_practice,
            scenario=scenario,
            answers=answers,
            sleep=sleep,
        )

    def view(self) -> SessionView:
        return self.controller.view()

    # -- starting and routing --------------------------------------------------------------------
    def on_ready(self) -> None:
        self.first_paint.ready()

    def on_mount(self) -> None:
        if self.connection is None:
            from .connect import ConnectScreen

            self.push_screen(ConnectScreen(self.controller.store))
        else:
            self.start(self.connection)

    def start(self, connection: Connection, typed: StoredCredentials | None = None) -> None:
        """Open the wizard on a connection: draw first, connect in a worker (botocore would
        otherwise compete with the first paint for the interpreter)."""
        from .wizard import WizardScreen

        self.controller.disconnect()
        self.connection = connection
        self.current_step = None
        self._replace_screens(
            WizardScreen(self.view(), watch_interval=self.watch_interval, after_first_paint=self.first_paint.then)
        )
        self.first_paint.then(lambda: self.controller.connect(connection, typed))

    def back_to_connect(self, notice: str = "") -> None:
        """The connect screen again; `notice` says why (a sign-in cancelled, ...)."""
        from .connect import ConnectScreen

        self.controller.disconnect()
        self._replace_screens(ConnectScreen(self.controller.store, notice=notice))

    def _replace_screens(self, screen: Screen[None]) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if len(self.screen_stack) > 1:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def first_step_then(self, start: Callable[[], None]) -> None:
        self.run_worker(self._first_step_then(start), group="first-step", exit_on_error=False)

    async def _first_step_then(self, start: Callable[[], None]) -> None:
        """Draw the steps, then the first step, then start the first check.

        Each is laid out in a turn of the event loop of its own: a layout costs tens of ms,
        and Textual does queued ones back to back, holding the loop. The checks' threads
        come last: botocore takes ~7 ms of the interpreter per call, and while they started
        each drawing of the step took 10-20 ms longer.
        """
        session = self.controller.session
        self.redraw(rebuild=True)
        await self.screen.wait_for_refresh()
        view = self.view()
        shown = self.show_step(view.steps[0].id) if view.steps else None
        if shown is not None:
            # Cancelled (the person moved to another step), failed or slow: the checks start all the same.
            with suppress(Exception):
                await asyncio.wait_for(shown.wait(), FIRST_STEP_WAIT)
        if self.controller.session is session and session is not None and session.connected:
            start()  # not when the person went back to connect meanwhile

    def show_step(self, step_id: str) -> Worker[None] | None:
        """Show a step; the worker returned ends once it is drawn."""
        from .summary import SummaryScreen
        from .wizard import WizardScreen

        if isinstance(self.screen, SummaryScreen):
            self.pop_screen()
        self.current_step = step_id
        return self.screen.show_step(step_id) if isinstance(self.screen, WizardScreen) else None

    def show_summary(self) -> None:
        from .summary import SummaryScreen

        if self.controller.session is None or isinstance(self.screen, SummaryScreen):
            return
        if self.screen.is_modal:
            self._summary_pending = True  # once the dialog is answered
            return
        self._summary_pending = False
        self.push_screen(SummaryScreen(self.view()))

    def show_pending_summary(self) -> None:
        if self._summary_pending:
            self.show_summary()

    def next_step(self, step_id: str | None) -> None:
        after = self.controller.session.next_step(step_id) if self.controller.session else None
        if after is None:
            self.show_summary()
        else:
            self.show_step(after)

    def previous_step(self, step_id: str | None) -> None:
        before = self.controller.session.previous_step(step_id) if self.controller.session else None
        if before is not None:
            self.show_step(before)

    def ask(self, screen: Screen[T], then: Callable[[T | None], object] | None = None) -> None:
        """Open a dialog; once it is answered, the session's next offer may be asked."""

        def answered(result: T | None) -> None:
            if then is not None:
                then(result)
            self.controller.present_offers()

        self.push_screen(screen, answered)

    def redraw(self, *, rebuild: bool = False) -> None:
        """Give every screen that shows the session its new view."""
        from .views import SessionScreen

        if not self.is_running:
            # Shutting down: the screens are losing their widgets, and an engine event's redraw
            # that falls due now would find them half taken down.
            return
        view = self.view()
        for screen in self.screen_stack:
            if isinstance(screen, SessionScreen):
                screen.show_view(view, rebuild=rebuild)

    # -- messages: from workers, the session and the screens ------------------------------------------
    def on_session_event_arrived(self, message: m.SessionEventArrived) -> None:
        self.controller.session_event(message.event)

    def on_connected(self, message: m.Connected) -> None:
        self.controller.connected()

    def on_checks_finished(self, message: m.ChecksFinished) -> None:
        self.controller.checks_finished(message)

    def on_apply_finished(self, message: m.ApplyFinished) -> None:
        self.controller.apply_finished(message)

    def on_preflight_finished(self, message: m.PreflightFinished) -> None:
        self.controller.preflight_finished(message)

    def on_simulation_finished(self, message: m.SimulationFinished) -> None:
        self.controller.simulation_finished()

    def on_offer_answered(self, message: m.OfferAnswered) -> None:
        self.controller.offer_answered(message)

    def on_handoff_finished(self, message: m.HandoffFinished) -> None:
        self.controller.handoff_finished(message)

    def on_connect_requested(self, message: m.ConnectRequested) -> None:
        self.start(message.connection, message.typed)

    def on_sso_sign_in_offered(self, message: m.SsoSignInOffered) -> None:
        self.controller.offer_sso_sign_in(message.offer, typed=message.typed)

    def on_sign_in_asked(self, message: m.SignInAsked) -> None:
        self.controller.sign_in_asked(message.choice)

    def on_sign_in_page_shown(self, message: m.SignInPageShown) -> None:
        self.controller.sign_in_page_shown(message)

    def on_sign_in_simulated(self, message: m.SignInSimulated) -> None:
        self.controller.sign_in_simulated(message)

    def on_sign_in_finished(self, message: m.SignInFinished) -> None:
        self.controller.sign_in_finished(message)

    def on_step_requested(self, message: m.StepRequested) -> None:
        self.show_step(message.step_id)

    def on_summary_requested(self, message: m.SummaryRequested) -> None:
        self.show_summary()

    def on_step_action_requested(self, message: m.StepActionRequested) -> None:
        self.controller.act(message.step_id, message.capability)

    def on_inputs_edited(self, message: m.InputsEdited) -> None:
        self.controller.edit_inputs(message.step_id, message.typed)

    def on_accounts_wanted(self, message: m.AccountsWanted) -> None:
        self.controller.read_accounts()

    def on_accounts_choice_requested(self, message: m.AccountsChoiceRequested) -> None:
        self.controller.choose_accounts(message)

    def on_handoff_requested(self, message: m.HandoffRequested) -> None:
        self.controller.handoff(message.handoff)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.controller.worker_failed(event.worker)

    # -- keys ------------------------------------------------------------------------------------------
    def action_help(self) -> None:
        from .help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_check_all(self) -> None:
        self.controller.check()

    async def action_quit(self) -> None:
        self.exit(self.exit_code())

    def exit_code(self) -> int:
        """0 when every step is done (or skipped, as the core counts it), 1 otherwise."""
        return self.controller.session.exit_code() if self.controller.session is not None else 1

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        # Textual's open_url uses the terminal's browser when there is one (web driver).
        try:
            super().open_url(url, new_tab=new_tab)
        except Exception:
            import webbrowser  # deferred: ~30 ms of imports the first frame does not need

            webbrowser.open(url, new=2 if new_tab else 0)

    def on_unmount(self) -> None:
        self.controller.close()


def make_app(
    connection: Connection | None = None,
    *,
    scenario: str = "fresh",
    answers: Answers | None = None,
    sleep: Callable[[float], None] | None = None,
    watch_interval: int | None = WATCH_INTERVAL,
    practice: PracticeAccount | None = None,
    store: SecretStore | None = None,
    start_practice: StartPractice | None = None,
) -> HsmSetupApp:
    """The one factory the program and the tests use.

    `practice`: an already-started practice account to use (tests share one);
    `store`: the OS keyring store (hsm_setup.secrets.store.SecretStore), else the default one.
    """
    return HsmSetupApp(
        connection,
        scenario=scenario,
        answers=answers,
        sleep=sleep,
        watch_interval=watch_interval,
        practice=practice,
        store=store,
        start_practice=start_practice,
    )


def run_wizard(connection: Connection | None, *, scenario: str = "fresh", answers: Answers | None = None) -> int:
    """Run the wizard; return the process exit code.

    0 when every step ended done (a skipped step counts as done, as it does in the
    core), 1 otherwise, including when the person quits with work left.
    """
    app = make_app(connection, scenario=scenario, answers=answers)
    code = app.run()
    return code if isinstance(code, int) else app.exit_code()
