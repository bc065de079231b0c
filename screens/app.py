"""The wizard app: owns the workspace, runs every AWS call in a thread worker, and
hands results to the screens.

Screens are thin: they draw what the engine returned and post intent messages
(screens/messages.py); the handlers here start the workers. Engine events arrive
on worker threads and are forwarded with post_message, which is thread-safe; no
widget or reactive is touched from a thread. Every worker failure reaches one
handler, on_worker_state_changed, which opens the error dialog.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
from contextlib import contextmanager, nullcontext, suppress
from typing import TYPE_CHECKING, Any, Callable, Iterator

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState, get_current_worker

from hsm_setup.assets import stylesheet

from . import messages as m
from .commands import WizardCommands

if TYPE_CHECKING:  # pragma: no cover - typing only
    from textual.timer import Timer

    from hsm_setup.answers.values import Answers
    from hsm_setup.aws.connection import Connection

# Seconds between checks while the wizard watches the account for a console action.
WATCH_INTERVAL = 10
# Seconds to wait after the last keystroke before checking a step against new answers.
ANSWER_SETTLE = 0.6
# At most this many seconds are spent drawing the first step before the first check starts.
FIRST_STEP_WAIT = 1.0
# Seconds the views wait for more engine events before they are redrawn (see _redraw_soon).
EVENT_BATCH = 0.05


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
        connection: "Connection | None" = None,
        *,
        scenario: str = "fresh",
        answers: "Answers | None" = None,
        sleep: Callable[[float], None] | None = None,
        watch_interval: int | None = WATCH_INTERVAL,
        practice: Any = None,
        store: Any = None,
    ) -> None:
        super().__init__()
        self.connection = connection
        # An already-started practice account to use (tests share one); None starts one when asked.
        self.practice = practice
        self._store = store
        # Keys typed on the connect screen, held until the person chose memory or the keyring.
        self.typed_credentials: Any = None
        # The root access key that may now be deleted (credentials.RootKeyOffer), once admin-user is done.
        self.root_offer: Any = None
        # What the summary's hand-offs (report, SSO profile, root key) said last, shown there.
        self.handoff_lines: list[str] = []
        self.handoff_profile: str | None = None
        self.scenario = scenario
        self.initial_answers = answers
        self.sleep = sleep
        # None stops the countdown (snapshots); the person can still check by hand.
        self.watch_interval = watch_interval
        self.ws: Any = None
        self.identity: Any = None
        self.alias: str | None = None
        self.steps: tuple[Any, ...] = ()
        self.results: dict[str, Any] = {}
        self.plans: dict[str, list[Any]] = {}
        self.checking: set[str] = set()
        self.skipped: set[str] = set()
        self.outcomes: list[Any] = []
        self.progress: dict[str, str] = {}
        self.busy: str | None = None  # "apply" or "simulate" while one runs
        self.busy_step: str | None = None
        self.dirty: set[str] = set()  # steps whose answers changed since their last check
        self.current_step: str | None = None
        self._error_signature: tuple[Any, ...] = ()
        self._settle_timers: dict[str, Any] = {}
        self._was_all_done = False
        self._painted = False
        self._redraw_timer: Timer | None = None
        self._after_first_paint: list[Callable[[], Any]] = []

    # -- start -------------------------------------------------------------------------
    def after_first_paint(self, callback: Callable[[], Any]) -> None:
        """Run `callback` once the current screen has been drawn on the terminal.

        While the app starts, Textual batches repaints until its Ready event, and
        call_after_refresh would run the callback before anything is drawn; so until
        Ready the callback waits for it.
        """
        if self._painted:
            self.screen.call_after_refresh(callback)
        else:
            self._after_first_paint.append(callback)

    def on_ready(self) -> None:
        _freeze_heap()
        self._painted = True
        waiting, self._after_first_paint = self._after_first_paint, []
        for callback in waiting:
            self.screen.call_after_refresh(callback)

    def on_mount(self) -> None:
        if self.connection is None:
            from .connect import ConnectScreen

            self.push_screen(ConnectScreen())
        else:
            self.start(self.connection)

    @property
    def store(self) -> Any:
        """The OS keyring (hsm_setup.secrets): every call on it blocks, so only workers use it."""
        if self._store is None:
            from hsm_setup.secrets.store import default_store

            self._store = default_store()
        return self._store

    def start(self, connection: "Connection", *, typed: Any = None) -> None:
        """Open the wizard on a connection: draw first, connect in a worker.

        `typed`: credentials the person typed in, offered for the keyring once STS accepted them.
        """
        from .wizard import WizardScreen

        self._close_workspace()
        self.connection = connection
        self.typed_credentials = typed
        self.root_offer = None
        self.handoff_lines, self.handoff_profile = [], None
        screen = WizardScreen()
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if len(self.screen_stack) > 1:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)
        # After the wizard is drawn: the worker's imports (botocore, moto) would otherwise
        # compete with the first paint for the interpreter.
        self.after_first_paint(lambda: self.connect_worker(connection))

    def back_to_connect(self) -> None:
        from .connect import ConnectScreen

        self._close_workspace()
        self.typed_credentials = None
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(ConnectScreen())

    @work(thread=True, exclusive=True, group="connect", exit_on_error=False)
    def connect_worker(self, connection: "Connection") -> None:
        with _loading():
            # Imported here so botocore (and the practice account) load after the first frame.
            from hsm_setup.steps import STEPS
            from hsm_setup.sandbox.process import start_practice_process
            from hsm_setup.session.workspace import open_workspace

            ws = open_workspace(
                connection,
                start_practice=start_practice_process,
                scenario=self.scenario,
                answers=self.initial_answers,
                on_event=self._forward_event,
                sleep=self.sleep,
                practice=self.practice,
            )
            try:
                ws.aws.warm_up()
                identity = ws.identity
                ws.load_state()
            except BaseException:
                ws.close()
                raise
            # What the first step's view needs (its guidance is Markdown; its body scrolls):
            # imported on the event loop, markdown-it alone froze it for ~200 ms. Here the
            # imports only share the interpreter with it.
            for module in ("rich.markdown", "textual.scrollbar"):
                importlib.import_module(module)
        self.steps = STEPS
        self.post_message(m.Connected(ws, identity, _account_alias(ws)))

    def _forward_event(self, event: Any) -> None:
        # Called on engine threads: only post_message is safe here.
        from hsm_setup.model import SecretIssued

        if isinstance(event, SecretIssued):
            self._reveal_secret(event)
            return
        self.post_message(m.EngineEvent(event))

    def _reveal_secret(self, secret: Any) -> None:
        """On the apply worker's thread: open the password dialog, and only then call the password shown.

        call_from_thread waits until the dialog is on screen, so the engine never
        counts a password as handed over that the person could not see. The secret
        goes to that dialog only: never into a message, a log or the journal.
        """
        problem = self.store.available()
        self.call_from_thread(self._open_password_dialog, secret, problem)
        secret.mark_shown()

    def _open_password_dialog(self, secret: Any, problem: str | None) -> None:
        from .dialogs import PasswordDialog

        self.push_screen(PasswordDialog(secret, keyring_problem=problem))

    def keep_password(self, secret: Any) -> None:
        self.keep_password_worker(secret.account_id, secret.user_name, secret.secret)

    def _keyring(self, call: Callable[[], Any], failed: str, *, why: Callable[[Any], str] | None = None, timeout: int = 15) -> tuple[bool, Any]:
        """On a worker thread: run a blocking keyring call; (True, its result), or (False, None)
        when the keyring cannot do it, after a notification titled `failed` says why
        (`why(exc)`; by default the cause and the next move)."""
        from hsm_setup.secrets.store import KeyringUnavailable

        try:
            return True, call()
        except KeyringUnavailable as exc:
            text = why(exc) if why is not None else f"{exc.cause} {exc.next_move}"
            self.call_from_thread(self.notify, text, title=failed, severity="warning", timeout=timeout, markup=False)
            return False, None

    @work(thread=True, group="keyring-save", exit_on_error=False)
    def keep_password_worker(self, account_id: str, user_name: str, password: str) -> None:
        kept, _ = self._keyring(
            lambda: self.store.keep_password(account_id, user_name, password),
            "Not kept",
            why=lambda exc: f"{exc.cause} The password is not kept anywhere: make sure you copied it.",
        )
        if not kept:
            return
        self.call_from_thread(
            self.notify,
            f"Kept in the OS keyring until handed over. `hsm-setup forget --account {account_id}` deletes it.",
            title="Password kept",
            timeout=10,
        )

    def on_connected(self, message: m.Connected) -> None:
        _freeze_heap()
        self.ws = message.workspace
        self.identity = message.identity
        self.alias = message.alias
        self.results, self.plans, self.skipped, self.outcomes = {}, {}, set(), []
        self._error_signature = ()
        self.check_all(first=True, start=self._after_first_step)

    def _after_first_step(self, check: Callable[..., Any], *args: Any) -> None:
        self.run_worker(self._first_step_then(check, *args), group="first-step", exit_on_error=False)

    async def _first_step_then(self, check: Callable[..., Any], *args: Any) -> None:
        """Draw the steps, then the first step, then start `check`.

        Each is laid out in a turn of the event loop of its own: a layout costs tens of ms,
        and Textual does queued ones back to back, holding the loop. The checks' threads
        come last: botocore takes ~7 ms of the interpreter per call, and while they started
        each drawing of the step took 10-20 ms longer.
        """
        workspace = self.ws
        await self.screen.wait_for_refresh()
        shown = self.show_step(self.steps[0].id) if self.steps else None
        if shown is not None:
            # Cancelled (the person moved to another step), failed or slow: the checks start all the same.
            with suppress(Exception):
                await asyncio.wait_for(shown.wait(), FIRST_STEP_WAIT)
        if self.ws is workspace:  # not when the person went back to connect meanwhile
            check(*args)

    # -- checks ------------------------------------------------------------------------
    def check_all(self, first: bool = False, start: Callable[..., Any] | None = None) -> None:
        """Check every step again; `start(worker, *arguments)` puts off starting the worker."""
        if self.ws is None or self.busy:
            return
        self.checking = {s.id for s in self.steps}
        self.refresh_views()
        if start is None:
            self.check_worker(None, dict(self.results), first)
        else:
            start(self.check_worker, None, dict(self.results), first)

    def check_step(self, step_id: str) -> None:
        if self.ws is None or self.busy:
            return
        self.checking |= self._affected(step_id)
        self.refresh_views()
        self.check_worker(step_id, dict(self.results), False)

    def _affected(self, step_id: str) -> set[str]:
        affected = {step_id}
        for step in self.steps:
            if any(d in affected for d in step.depends_on):
                affected.add(step.id)
        return affected

    @work(thread=True, exclusive=True, group="check", exit_on_error=False)
    def check_worker(self, step_id: str | None, prior: dict[str, Any], first: bool) -> None:
        engine = self.ws.engine
        # The first check still loads: botocore builds each operation's model on first use,
        # and a search of every Region for Identity Center makes a client per Region (~30).
        # A full collection in the middle of that scanned them all, holding the interpreter
        # for ~55 ms; so, as while connecting, none until it is over, then they are frozen.
        with _loading() if first else nullcontext():
            if step_id is None or not prior:
                results = engine.check()
            else:
                results = engine.recheck(step_id, prior)
            plans = _plans(engine, results)
        if get_current_worker().is_cancelled:
            return  # a newer check superseded this one
        checked = set(results) if step_id is None else self._affected(step_id)
        self.post_message(m.ChecksFinished(results, plans, checked, first))

    def on_engine_event(self, message: m.EngineEvent) -> None:
        from hsm_setup.engine.events import ActionFinished, ActionStarted, Progress, StepChecked

        event = message.event
        if isinstance(event, StepChecked):
            self.results[event.result.step_id] = event.result
            self.checking.discard(event.result.step_id)
            # The old plan no longer matches this result; the new one comes with the finished check.
            self.plans.pop(event.result.step_id, None)
        elif isinstance(event, Progress):
            self.progress[event.step_id] = event.message
        elif isinstance(event, ActionStarted):
            self.progress[event.action.step_id] = f"Running: {event.action.summary}"
        elif isinstance(event, ActionFinished):
            outcome = event.outcome
            verb = "Done" if outcome.ok else "Failed"
            self.progress[outcome.action.step_id] = f"{verb}: {outcome.action.summary}"
        else:
            return
        self._redraw_soon()

    def _redraw_soon(self) -> None:
        """Redraw the views once for a batch of engine events.

        Results come in bursts: the answers to requests sent together arrive together,
        and the engine's threads then parse them and send the next requests (botocore
        takes ~7 ms of the interpreter per call). Drawing in the middle of that burst
        shared the interpreter with them and took two to three times as long; a short
        wait lets the burst pass and draws every result of it at once.
        """
        if self._redraw_timer is None:
            self._redraw_timer = self.set_timer(EVENT_BATCH, self._redraw_batch)

    def _redraw_batch(self) -> None:
        self._redraw_timer = None
        self.refresh_views()

    def on_checks_finished(self, message: m.ChecksFinished) -> None:
        self.results = dict(message.results)
        self.plans = dict(message.plans)
        self.checking -= message.checked
        self.dirty -= message.checked
        for step_id in message.checked:
            self.progress.pop(step_id, None)
        if message.simulated is not None:
            self.busy = None
            done = self.results[message.simulated].done
            self.progress[message.simulated] = "Simulated the console action." + (" The step is done." if done else "")
        # Drawn in a turn of its own, like the engine's events: this handler starts workers and
        # may open a dialog, and the layout of every plan is the largest of a check (~30 ms).
        self._redraw_soon()
        if message.first:
            self.open_first_undone()
        self.report_check_errors()
        self._maybe_finish()
        if message.first and self.typed_credentials is not None:
            # Offered only now: STS accepted the keys, and the first step is on screen.
            self.keyring_check_worker()
        elif message.first and self.identity is not None:
            self.pending_passwords_worker(self.identity.account_id)
        self.look_for_root_key()

    def report_check_errors(self) -> None:
        """One dialog per new set of failing checks, so watching does not reopen it every 10 s."""
        failing = [(sid, r) for sid, r in self.results.items() if r.status.value == "error"]
        signature = tuple((sid, r.error) for sid, r in failing)
        if signature == self._error_signature:
            return
        self._error_signature = signature
        if not failing:
            return
        from .error_dialog import ErrorDialog, Trouble

        titles = {s.id: s.title for s in self.steps}
        troubles = [
            Trouble(f"{titles.get(sid, sid)}: the check failed", _first_finding(r), _next_move(r))
            for sid, r in failing
        ]
        kinds = {r.problem_kind for _, r in failing}
        reconnect = bool(kinds & {"expired", "credentials", "endpoint"}) and not self._is_practice
        others = len(self.results) - len(failing)
        note = f"The other {others} step(s) were checked and show their status." if others else ""
        self.push_screen(ErrorDialog("A check could not finish", troubles, note=note, retry=True, reconnect=reconnect), self._after_error)

    def open_first_undone(self) -> None:
        for step in self.steps:
            result = self.results.get(step.id)
            if result is None or not result.done:
                self.show_step(step.id)
                return
        self.show_summary()

    # -- answers -----------------------------------------------------------------------
    def on_answers_edited(self, message: m.AnswersEdited) -> None:
        if self.ws is None:
            return
        # admin.mode decides what other steps do (IAM mode skips Identity Center): they are all checked again.
        mode_changed = "admin.mode" in message.values and message.values["admin.mode"] != self.ws.answers["admin.mode"]
        self.ws.set_answers(self.ws.answers.replace(message.values))
        self.dirty.add(message.step_id)
        self.refresh_views(step_id=message.step_id)
        old = self._settle_timers.pop(message.step_id, None)
        if old is not None:
            old.stop()
        if mode_changed:
            self.check_all()
            return
        # Check against the new answers once typing settles, so the plan shown is the plan applied.
        self._settle_timers[message.step_id] = self.set_timer(ANSWER_SETTLE, lambda: self.check_step(message.step_id))

    # -- apply -------------------------------------------------------------------------
    def request_apply(self, step_id: str) -> None:
        from .confirm import ConfirmApply

        plan = self.plans.get(step_id, [])
        if self.busy or self.ws is None or not any(not a.is_manual for a in plan):
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.busy, self.busy_step = "apply", step_id
                self.workers.cancel_group(self, "check")
                self.checking -= {step_id}
                self.progress[step_id] = "Applying…"
                self.refresh_views()
                self.apply_worker(step_id, dict(self.results))

        self.push_screen(ConfirmApply(self._step_title(step_id), plan, self._account_words()), confirmed)

    @work(thread=True, exclusive=True, group="apply", exit_on_error=False)
    def apply_worker(self, step_id: str, results: dict[str, Any]) -> None:
        ws = self.ws
        with ws.load_state().locked():
            report = ws.engine.apply(results, only={step_id})
        self.post_message(m.ApplyFinished(step_id, report, _plans(ws.engine, report.results)))

    def on_apply_finished(self, message: m.ApplyFinished) -> None:
        report = message.report
        self.busy = None
        self.results = dict(report.results)
        self.plans = dict(message.plans)
        self.checking.clear()
        self.outcomes.extend(report.outcomes)
        failed = report.failed
        if failed or report.stopped:
            from .error_dialog import ErrorDialog, Trouble

            troubles = [Trouble(f"Failed: {o.action.summary}", o.message, "") for o in failed]
            if report.stopped and not failed:
                troubles.append(Trouble("Apply stopped", report.stopped.cause, report.stopped.next_move))
            done = len(report.changed)
            note = f"{done} change(s) before it were made and are kept; apply again after fixing the cause." if done else "Nothing was changed; apply again after fixing the cause."
            self.progress[message.step_id] = "Apply failed: see the message."
            self.push_screen(ErrorDialog("A change could not be made", troubles, note=note), self._after_error)
        else:
            made = len(report.changed)
            self.progress[message.step_id] = f"Applied {made} change(s)." + (" The rest is yours to do in the console." if report.pending_manual else "")
        self._error_signature = ()
        self.refresh_views()
        self._maybe_finish()
        self.look_for_root_key()

    # -- typed credentials and the OS keyring --------------------------------------------
    @work(thread=True, exclusive=True, group="keyring-check", exit_on_error=False)
    def keyring_check_worker(self) -> None:
        self.post_message(m.KeyringChecked(self.store.available()))

    def on_keyring_checked(self, message: m.KeyringChecked) -> None:
        from .dialogs import Question

        credentials, account = self.typed_credentials, self.identity.account_id if self.identity else None
        if credentials is None or account is None:
            return
        if message.problem:
            self.typed_credentials = None
            self.notify(
                f"{message.problem} The credentials stay in memory for this run only; nothing is written to a file.",
                title="No OS keyring",
                severity="warning",
                timeout=20,
                markup=False,
            )
            return

        def answered(keep: bool | None) -> None:
            self.typed_credentials = None
            if keep:
                self.save_credentials_worker(account, credentials, self.identity.arn)
            else:
                self.notify("The credentials stay in memory for this run only.", timeout=6)

        self.push_screen(
            Question(
                "Keep these credentials?",
                f"Keep access key {credentials.access_key_id} in the OS keyring, so a later run can resume "
                f"account {account}? They are never written to a file.",
                yes="Keep in keyring",
                no="Memory only",
            ),
            answered,
        )

    @work(thread=True, group="keyring-save", exit_on_error=False)
    def save_credentials_worker(self, account_id: str, credentials: Any, caller_arn: str) -> None:
        saved, _ = self._keyring(lambda: self.store.save(account_id, credentials, caller_arn=caller_arn), "Not saved", timeout=20)
        if not saved:
            return
        self.call_from_thread(
            self.notify,
            f"Saved in the OS keyring. `hsm-setup forget --account {account_id}` deletes them.",
            title="Credentials saved",
            timeout=10,
        )

    @work(thread=True, exclusive=True, group="keyring-check", exit_on_error=False)
    def pending_passwords_worker(self, account_id: str) -> None:
        # From the keyring's index: user names only, no keyring call and no secret.
        for pending in self.store.pending_passwords(account_id):
            self.post_message(m.PasswordPending(pending.account_id, pending.user_name))

    def on_password_pending(self, message: m.PasswordPending) -> None:
        from .dialogs import Question

        def answered(show: bool | None) -> None:
            if show:
                self.kept_password_worker(message.account_id, message.user_name)

        self.push_screen(
            Question(
                "A console password is waiting to be handed over",
                f"The OS keyring keeps the console password of IAM user {message.user_name} until it is handed over. "
                "Show it now? Once it is shown you can mark it handed over, which deletes it from the keyring.",
                yes="Show it now",
                no="Later",
            ),
            answered,
        )

    @work(thread=True, exclusive=True, group="keyring-read", exit_on_error=False)
    def kept_password_worker(self, account_id: str, user_name: str) -> None:
        """Read a kept password (a blocking keyring call) and show it in a dialog, never anywhere else."""

        def read() -> str | None:
            password = self.store.kept_password(account_id, user_name)
            if password is None:
                self.store.handed_over(account_id, user_name)  # only its name was left in the index
            return password

        read_it, password = self._keyring(read, "Not read")
        if not read_it:
            return
        if password is None:
            self.call_from_thread(self.notify, f"The OS keyring no longer holds the console password of {user_name}.", severity="warning", markup=False)
            return
        self.call_from_thread(self._open_kept_password, account_id, user_name, password)

    def _open_kept_password(self, account_id: str, user_name: str, password: str) -> None:
        from .dialogs import KeptPasswordDialog

        def closed(handed_over: bool | None) -> None:
            if handed_over:
                self.handed_over_worker(account_id, user_name)

        self.push_screen(KeptPasswordDialog(account_id, user_name, password), closed)

    @work(thread=True, group="keyring-save", exit_on_error=False)
    def handed_over_worker(self, account_id: str, user_name: str) -> None:
        deleted, _ = self._keyring(lambda: self.store.handed_over(account_id, user_name), "Not deleted")
        if not deleted:
            return
        self.call_from_thread(self.notify, f"Deleted the console password of {user_name} from the OS keyring.", timeout=8, markup=False)

    # -- the root user's access key ----------------------------------------------------
    def look_for_root_key(self) -> None:
        admin = self.results.get("admin-user")
        if self.ws is None or self.identity is None or not self.identity.is_root or admin is None or not admin.done:
            if self.root_offer is not None:
                self.root_offer = None
                self.refresh_views()
            return
        self.root_offer_worker(dict(self.results))

    @work(thread=True, exclusive=True, group="root-offer", exit_on_error=False)
    def root_offer_worker(self, results: dict[str, Any]) -> None:
        from hsm_setup.session.root_key import root_key_offer

        # Finding the key in use can read a profile's credentials: a blocking call.
        self.post_message(m.RootKeyOffered(root_key_offer(self.ws.identity, self.ws.aws, results)))

    def on_root_key_offered(self, message: m.RootKeyOffered) -> None:
        self.root_offer = message.offer
        self.refresh_views()

    def request_root_key_deletion(self) -> None:
        from .dialogs import Question

        offer = self.root_offer
        if offer is None or self.busy:
            return

        def answered(yes: bool | None) -> None:
            if yes and self.ws is not None:
                self.busy, self.busy_step = "apply", "root-user"
                self.refresh_views()
                self.delete_root_key_worker(offer, dict(self.results))

        self.push_screen(
            Question(
                "Delete the root user's access key?",
                f"{offer.question}\n\n$ {offer.action().cli}",
                yes=f"Delete {offer.access_key_id}",
                no="Keep it",
                danger=True,
            ),
            answered,
        )

    @work(thread=True, exclusive=True, group="apply", exit_on_error=False)
    def delete_root_key_worker(self, offer: Any, results: dict[str, Any]) -> None:
        from hsm_setup.session.root_key import continue_as_administrator
        from hsm_setup.answers.fields import is_iam_mode
        from hsm_setup.secrets.store import KeyringUnavailable

        ws = self.ws
        with ws.load_state().locked():
            outcome = ws.engine.run_action(offer.action(), results)
        if not outcome.ok:
            self.post_message(m.HandoffDone("root-key", [f"The root access key was not deleted: {outcome.message}"], severity="error"))
            return
        lines = [f"Deleted the root user's access key {offer.access_key_id}."]
        try:
            # The deleted key signs nothing any more: a saved copy of it goes too.
            if offer.account_id in {e.account_id for e in self.store.saved()}:
                saved = self.store.load(offer.account_id)
                if saved is not None and saved.access_key_id == offer.access_key_id:
                    self.store.delete(offer.account_id)
                    lines.append("Also deleted the saved copy of that key from the OS keyring.")
        except KeyringUnavailable as exc:
            lines.append(f"The saved copy in the OS keyring could not be deleted ({exc.cause}); run `hsm-setup forget --account {offer.account_id}`.")
        user_name = str(ws.answers["admin.user_name"])
        if is_iam_mode(ws.answers):
            url = results["admin-user"].facts.get("sign_in_url", "the account's console sign-in URL")
            lines += [
                f"Continue as the IAM administrator {user_name}, not as the root user:",
                f"  1. Sign in at {url} with the password shown when it was set, and choose a new one.",
                "  2. Assign an MFA device to the user (IAM > Users > Security credentials).",
            ]
        else:
            lines += continue_as_administrator(results, user_name)
        self.post_message(m.HandoffDone("root-key", lines))

    # -- hand-offs on the summary: the report and the SSO profile --------------------------
    def request_report(self) -> None:
        from pathlib import Path

        from .dialogs import AskText

        if self.ws is None or self.identity is None:
            return
        default = f"./hsm-setup-report-{self.identity.account_id}.html"

        def chosen(path: str | None) -> None:
            if path:
                self.report_worker(path, dict(self.results))

        self.push_screen(
            AskText(
                "Save a report",
                "Every step's status, what exists now and what is left to do, with no secret in it. "
                "The file name's ending picks the format: .html, .md or .json.",
                "File",
                default,
                lambda value: None if value and not Path(value).expanduser().is_dir() else "file: name a file to write, not a folder",
                ok="Save",
            ),
            chosen,
        )

    @work(thread=True, exclusive=True, group="handoff", exit_on_error=False)
    def report_worker(self, path: str, results: dict[str, Any]) -> None:
        from pathlib import Path

        from hsm_setup.handoff.report import build_report, render_report

        target = Path(path).expanduser()
        suffix = target.suffix.lower().lstrip(".")
        fmt = {"md": "md", "markdown": "md", "json": "json"}.get(suffix, "html")
        text = render_report(build_report(self.ws, results), fmt)
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.post_message(m.HandoffDone("report", [f"The report could not be written to {target}: {exc.strerror or exc}."], severity="error"))
            return
        self.post_message(m.HandoffDone("report", [f"Report written to {target.resolve()}"]))

    def request_sso_profile(self, name: str | None = None, *, force: bool = False) -> None:
        from hsm_setup.handoff.sso_profile import name_problem

        from .dialogs import AskText

        if self.ws is None:
            return
        if name is not None:
            self.sso_profile_worker(name, force, dict(self.results))
            return

        def chosen(value: str | None) -> None:
            if value:
                self.sso_profile_worker(value, False, dict(self.results))

        self.push_screen(
            AskText(
                "Write an AWS CLI profile for the administrator",
                "Adds an [sso-session] and a [profile] to the AWS config file, so `aws sso login` signs in "
                "as the administrator through the access portal. The rest of the file is kept, with a backup.",
                "Profile name",
                "hsm-admin",
                lambda value: (f"name: {p}" if (p := name_problem(value)) else None),
                ok="Write",
            ),
            chosen,
        )

    @work(thread=True, exclusive=True, group="handoff", exit_on_error=False)
    def sso_profile_worker(self, name: str, force: bool, results: dict[str, Any]) -> None:
        from hsm_setup.errors import HsmSetupError
        from hsm_setup.handoff.sso_profile import ProfileConflict, settings_from, write_sso_profile

        try:
            written = write_sso_profile(name, force=force, **settings_from(self.ws, results))
        except ProfileConflict as exc:
            self.post_message(m.HandoffDone("sso-profile", [exc.cause], profile=name, conflict=exc))
            return
        except HsmSetupError as exc:
            self.post_message(m.HandoffDone("sso-profile", [exc.cause, exc.next_move], severity="error"))
            return
        lines = [
            (f"Wrote profile {name} to {written.config_path}." if written.changed else f"{written.config_path} already has profile {name} as wanted."),
        ]
        if written.backup_path is not None:
            lines.append(f"The file as it was is kept in {written.backup_path}.")
        lines.append(f"Sign in as the administrator with:  {written.login_command}")
        self.post_message(m.HandoffDone("sso-profile", lines, profile=name))

    def on_handoff_done(self, message: m.HandoffDone) -> None:
        from .dialogs import Question

        if message.what == "root-key":
            self.busy = None
            self.root_offer = None if message.severity != "error" else self.root_offer
        if message.conflict is not None:
            name = message.profile

            def answered(replace: bool | None) -> None:
                if replace:
                    self.request_sso_profile(name, force=True)

            self.push_screen(
                Question(
                    "Replace the profile?",
                    f"{message.conflict.cause}\nReplace it with the administrator's sign-in? A backup of the file is kept.",
                    yes="Replace",
                    no="Keep it",
                    danger=True,
                ),
                answered,
            )
            return
        self.handoff_lines = list(message.lines)
        self.handoff_profile = message.profile if message.what == "sso-profile" and message.severity != "error" else None
        self.notify(message.lines[0], severity=message.severity, timeout=10, markup=False)  # type: ignore[arg-type]
        self.refresh_views()

    def continue_as_profile(self) -> None:
        """Reconnect the wizard as the SSO profile just written (after `aws sso login`)."""
        from hsm_setup.aws.connection import Connection

        name = self.handoff_profile
        if not name:
            return
        region = str(self.ws.answers["region"]) if self.ws is not None else None
        self.start(Connection(profile=name, region=region))

    # -- console actions (practice account: simulated) -----------------------------------
    def request_simulation(self, step_id: str) -> None:
        action = self.simulation_for(step_id)
        if action is None or self.busy:
            return
        self.busy, self.busy_step = "simulate", step_id
        self.workers.cancel_group(self, "check")
        self.progress[step_id] = f"Simulating: {action.summary}"
        self.refresh_views()
        self.simulate_worker(step_id, action.simulation, dict(self.results))

    def simulation_for(self, step_id: str | None) -> Any:
        if not self._is_practice or step_id is None:
            return None
        for action in self.plans.get(step_id, []):
            if action.is_manual and action.simulation:
                return action
        return None

    @work(thread=True, exclusive=True, group="simulate", exit_on_error=False)
    def simulate_worker(self, step_id: str, simulation: str, prior: dict[str, Any]) -> None:
        ws = self.ws
        ws.practice.simulate(simulation, region=str(ws.answers["region"]))
        results = ws.engine.recheck(step_id, prior) if prior else ws.engine.check()
        self.post_message(m.ChecksFinished(results, _plans(ws.engine, results), self._affected(step_id), simulated=step_id))

    def console_url(self, step_id: str | None) -> str | None:
        for action in self.plans.get(step_id or "", []):
            if action.console_url:
                return action.console_url
        return None

    def open_console(self, step_id: str | None) -> None:
        url = self.console_url(step_id)
        if url is None:
            self.notify("This step has nothing to do in the console.", severity="warning")
            return
        self.open_url(url)
        self.copy_to_clipboard(url)
        self.notify(f"Opened (and copied): {url}", timeout=6)

    # -- skip and navigation -------------------------------------------------------------
    def skip_step(self, step_id: str) -> None:
        self.skipped.add(step_id)
        self.notify(f"Skipped: {self._step_title(step_id)}. It stays undone in AWS; come back to it any time.")
        self.next_step(step_id)

    def unskip(self, step_id: str) -> None:
        self.skipped.discard(step_id)

    def next_step(self, step_id: str | None) -> None:
        ids = [s.id for s in self.steps]
        if step_id in ids and ids.index(step_id) + 1 < len(ids):
            self.show_step(ids[ids.index(step_id) + 1])
        else:
            self.show_summary()

    def previous_step(self, step_id: str | None) -> None:
        ids = [s.id for s in self.steps]
        if step_id in ids and ids.index(step_id) > 0:
            self.show_step(ids[ids.index(step_id) - 1])

    def show_step(self, step_id: str) -> Worker[None] | None:
        """Show a step; the worker returned ends once it is drawn."""
        from .summary import SummaryScreen
        from .wizard import WizardScreen

        if isinstance(self.screen, SummaryScreen):
            self.pop_screen()
        self.current_step = step_id
        if isinstance(self.screen, WizardScreen):
            return self.screen.show_step(step_id)
        return None

    def show_summary(self) -> None:
        from .summary import SummaryScreen

        if self.ws is None or isinstance(self.screen, SummaryScreen):
            return
        if self.screen.is_modal:
            return
        self.push_screen(SummaryScreen())

    def _maybe_finish(self) -> None:
        """When the last step turns done, show the summary once."""
        done = self.all_done
        if done and not self._was_all_done and self.results:
            self.show_summary()
        self._was_all_done = done

    # -- views -------------------------------------------------------------------------
    def refresh_views(self, *, step_id: str | None = None, rebuild: bool = False) -> None:
        for screen in self.screen_stack:
            refresh = getattr(screen, "refresh_from_app", None)
            if refresh is not None:
                refresh(step_id=step_id, rebuild=rebuild)

    def shown(self, step_id: str) -> Any:
        from .status import BUSY, shown

        if self.busy and step_id == self.busy_step:
            return BUSY[self.busy]
        return shown(
            self.results.get(step_id),
            self.plans.get(step_id),
            checking=step_id in self.checking,
            skipped=step_id in self.skipped,
        )

    @property
    def all_done(self) -> bool:
        return bool(self.steps) and all(
            (r := self.results.get(s.id)) is not None and r.done for s in self.steps
        )

    @property
    def _is_practice(self) -> bool:
        return self.ws is not None and self.ws.practice is not None

    def _step_title(self, step_id: str) -> str:
        return next((s.title for s in self.steps if s.id == step_id), step_id)

    def _account_words(self) -> str:
        if self.identity is None:
            return "the account"
        where = "the practice account" if self._is_practice else "AWS account"
        return f"{where} {self.identity.account_id}"

    # -- errors: the one handler -----------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        from hsm_setup.errors import explain

        from .error_dialog import ErrorDialog, Trouble

        worker = event.worker
        profile = getattr(self.connection, "profile", None)
        problem = explain(worker.error, profile) if worker.error is not None else None
        cause = problem.cause if problem else "Something went wrong."
        next_move = problem.next_move if problem else ""
        group = worker.group
        if group in ("apply", "simulate"):
            self.busy = None
        self.checking.clear()
        self.refresh_views()
        if group == "connect":
            from .identity_bar import describe

            where = describe(self.connection)
            dialog = ErrorDialog(
                f"Could not connect to {where}",
                [Trouble("Connecting failed", cause, next_move)],
                retry=True,
                reconnect=True,
            )
        else:
            what = {"apply": "Applying", "simulate": "Simulating the console action", "check": "Checking"}.get(group, "The work")
            dialog = ErrorDialog(f"{what} failed", [Trouble(f"{what} failed", cause, next_move)], retry=group == "check", reconnect=problem is not None and problem.kind in {"expired", "credentials", "endpoint"} and not self._is_practice)
        self._last_failed_group = group
        self.push_screen(dialog, self._after_error)

    def _after_error(self, choice: str | None) -> None:
        if choice == "retry":
            if self.ws is None and self.connection is not None:
                self.connect_worker(self.connection)
            else:
                self.check_all()
        elif choice == "reconnect":
            self.back_to_connect()
        elif choice == "quit":
            self.exit(self.exit_code())

    # -- actions -------------------------------------------------------------------------
    def action_help(self) -> None:
        from .help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_check_all(self) -> None:
        self.check_all()

    async def action_quit(self) -> None:
        self.exit(self.exit_code())

    def exit_code(self) -> int:
        """0 when every step is done (or skipped, as the core counts it), 1 otherwise."""
        if not self.results:
            return 1
        from hsm_setup.engine.runner import exit_code

        return exit_code(self.results)

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        # Textual's open_url uses the terminal's browser when there is one (web driver).
        try:
            super().open_url(url, new_tab=new_tab)
        except Exception:
            import webbrowser  # deferred: ~30 ms of imports the first frame does not need

            webbrowser.open(url, new=2 if new_tab else 0)

    def on_unmount(self) -> None:
        self._close_workspace()

    def _close_workspace(self) -> None:
        ws, self.ws = self.ws, None
        self.identity = None
        self.results, self.plans, self.checking = {}, {}, set()
        if ws is not None:
            try:
                ws.close()
            except Exception:
                pass


def _plans(engine: Any, results: dict[str, Any]) -> dict[str, list[Any]]:
    """Every step's plan, computed in the worker: planning reads facts, never the UI."""
    plans: dict[str, list[Any]] = {}
    for step in engine.steps:
        try:
            plans[step.id] = engine.plan_step(step, results)
        except Exception:
            plans[step.id] = []
    return plans


def _account_alias(ws: Any) -> str | None:
    """The account alias is a nicety: any failure (no permission) just leaves it out."""
    try:
        aliases = ws.aws.client("iam").list_account_aliases().get("AccountAliases") or []
    except Exception:
        return None
    return aliases[0] if aliases else None


def _first_finding(result: Any) -> str:
    if result.findings:
        return result.findings[0].message
    return result.error or "The check failed."


def _next_move(result: Any) -> str:
    if result.findings and result.findings[0].evidence:
        return result.findings[0].evidence
    return ""


def make_app(
    connection: "Connection | None" = None,
    *,
    scenario: str = "fresh",
    answers: "Answers | None" = None,
    sleep: Callable[[float], None] | None = None,
    watch_interval: int | None = WATCH_INTERVAL,
    practice: Any = None,
    store: Any = None,
) -> HsmSetupApp:
    """The one factory the CLI and the tests use.

    `practice`: an already-started practice account to use (tests share one);
    `store`: the OS keyring store (hsm_setup.secrets.SecretStore), else the default one.
    """
    return HsmSetupApp(
        connection, scenario=scenario, answers=answers, sleep=sleep, watch_interval=watch_interval, practice=practice, store=store
    )


def _freeze_heap() -> None:
    """Exempt everything alive now from the garbage collector's full collections.

    A full collection scans every tracked object while holding the interpreter; with
    Textual, botocore's models and the clients loaded it took 70-200 ms, a visible
    freeze of the wizard whichever thread started it. What is alive at the first
    frame and on connecting lives as long as the app anyway.
    """
    gc.freeze()


@contextmanager
def _loading() -> Iterator[None]:
    """No collections while a worker loads botocore and builds clients (tens of thousands
    of long-lived objects: each collection would scan them, freezing the wizard), then
    freeze what was loaded."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        _freeze_heap()
        if was_enabled:
            gc.enable()


def run_wizard(
    connection: "Connection | None",
    *,
    scenario: str = "fresh",
    answers: "Answers | None" = None,
) -> int:
    """Run the wizard; return the process exit code.

    0 when every step ended done (a skipped step counts as done, as it does in the
    core), 1 otherwise, including when the person quits with work left.
    """
    app = make_app(connection, scenario=scenario, answers=answers)
    code = app.run()
    return code if isinstance(code, int) else app.exit_code()
