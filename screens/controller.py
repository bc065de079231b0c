"""The wizard's side of the session: its blocking work in thread workers, and what comes back.

Every session call that waits on AWS, the OS keyring or the disk runs in a thread
worker and answers with a message; the handlers here (on the event loop) turn the
answers into redraws, dialogs and notifications. Which steps are checked, what an
offer does and what a step allows are the session's decisions, not these.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import nullcontext, suppress
from functools import partial
from typing import TYPE_CHECKING

import msgspec
from textual.timer import Timer

from hsm_setup.session.events import EngineEventSeen, Notice, OfferMade, SessionEvent, ViewChanged
from hsm_setup.session.view import Capability, Handoff, SessionView, empty_view

from . import messages as m
from .pacing import freeze_heap, loading

if TYPE_CHECKING:  # pragma: no cover - typing only
    from textual.worker import Worker

    from hsm_setup.answers.values import Answers
    from hsm_setup.aws.connection import Connection
    from hsm_setup.aws.signin.mfa import MfaRequest
    from hsm_setup.model import SecretIssued
    from hsm_setup.secrets.store import SecretStore, StoredCredentials
    from hsm_setup.session.offers import Offer
    from hsm_setup.session.practice import PracticeAccount, StartPractice
    from hsm_setup.session.session import Session
    from hsm_setup.session.sign_in import SsoSignIn, SsoSignInOffer

    from .app import HsmSetupApp
    from .sign_in_dialogs import SsoSignInDialog

# Seconds to wait after the last keystroke before checking a step against new answers.
ANSWER_SETTLE = 0.6


class _SsoSignInShown(msgspec.Struct):
    """The IAM Identity Center sign-in on screen: its dialog, the run under way (if any), and what follows."""

    offer: SsoSignInOffer
    dialog: SsoSignInDialog
    typed: StoredCredentials | None = None
    # Offered because checks failed mid-run (not on connecting): signed in, everything is checked again.
    after_check: bool = False
    run: SsoSignIn | None = None


class SessionController:
    def __init__(
        self,
        app: HsmSetupApp,
        *,
        store: SecretStore | None,
        practice: PracticeAccount | None,
        start_practice: StartPractice | None,
        scenario: str,
        answers: Answers | None,
        sleep: Callable[[float], None] | None,
    ) -> None:
        self.app = app
        self.session: Session | None = None
        self._store = store
        self._practice = practice
        self._start_practice = start_practice
        self._scenario = scenario
        self._answers = answers
        self._sleep = sleep
        self._settle: dict[str, Timer] = {}
        self._error_signature: tuple[tuple[str, str | None], ...] = ()
        self._was_all_done = False
        self._offers: list[Offer] = []
        self._asking = False
        # Offers wait until the first check is on screen: the person sees where they are first.
        self._offers_ready = False
        # MFA codes being asked for: a worker thread waits on each until the dialog is answered.
        self._mfa_answers: set[Future[str | None]] = set()
        self._mfa_lock = threading.Lock()
        self._sign_in: _SsoSignInShown | None = None

    # -- the session ---------------------------------------------------------------------------
    def view(self) -> SessionView:
        if self.session is None or not self.session.connected:
            return empty_view(self.app.connection)
        return self.session.view()

    def store(self) -> SecretStore:
        """The OS keyring (blocking calls: workers only); the default one unless one was given."""
        if self._store is None:
            from hsm_setup.secrets.store import default_store

            self._store = default_store()
        return self._store

    def _open_session(self) -> Session:
        """On a worker thread: the session (its imports are the core's, kept off the first frame)."""
        if self.session is None:
            from hsm_setup.session.session import Session

            start = self._start_practice
            if start is None and self._practice is None:
                from hsm_setup.sandbox.process import start_practice_process

                start = start_practice_process
            session = Session(
                store=self.store(),
                start_practice=start,
                practice=self._practice,
                scenario=self._scenario,
                answers=self._answers,
                sleep=self._sleep,
                reveal=self._reveal,
            )
            session.subscribe(lambda event: self.app.post_message(m.SessionEventArrived(event)))
            self.session = session
        return self.session

    def _run(self, work: Callable[[], None], group: str, *, exclusive: bool = True) -> Worker[None]:
        return self.app.run_worker(work, group=group, thread=True, exclusive=exclusive, exit_on_error=False)

    # -- connecting ------------------------------------------------------------------------------
    def connect(self, connection: Connection, typed: StoredCredentials | None) -> None:
        self._run(partial(self._connect, connection, typed), "connect")

    def _connect(self, connection: Connection, typed: StoredCredentials | None) -> None:
        from hsm_setup.session.sign_in import sso_sign_in_before, with_mfa_asker

        with loading():
            session = self._open_session()
            # An SSO profile with no usable token: offer to sign in rather than fail (files only, no call).
            offer = sso_sign_in_before(connection)
            if offer is not None:
                self.app.post_message(m.SsoSignInOffered(offer, typed))
                return
            session.connect(with_mfa_asker(connection, self.ask_mfa), typed=typed)
            # What the first step's view needs (its guidance is Markdown; its body scrolls):
            # imported on the event loop, markdown-it alone froze it for ~200 ms.
            for module in ("rich.markdown", "textual.scrollbar"):
                importlib.import_module(module)
        self.app.post_message(m.Connected())

    def connected(self) -> None:
        freeze_heap()
        self._error_signature, self._was_all_done, self._offers_ready = (), False, False
        self.app.first_step_then(lambda: self.check(first=True))

    def disconnect(self) -> None:
        if self.session is not None:
            self.session.close()
        self._offers.clear()

    # -- checks ----------------------------------------------------------------------------------
    def check(self, step_ids: frozenset[str] | None = None, *, first: bool = False) -> None:
        session = self.session
        if session is None or not session.connected or session.view().busy is not None:
            return
        ticket = session.begin_check(step_ids, first=first)

        def work() -> None:
            # The first check still loads botocore's models (and, without Identity Center, a client
            # per Region): no collection until it is over, then what it loaded is frozen.
            with loading() if first else nullcontext():
                session.run_check(ticket)
            self.app.post_message(m.ChecksFinished(ticket.steps, first))

        self._run(work, "check")

    def checks_finished(self, message: m.ChecksFinished) -> None:
        # Drawn in a turn of its own, like the engine's events: this handler may open a dialog,
        # and the layout of every plan is the largest of a check (~30 ms).
        self.app.redraws.soon()
        view = self.view()
        if message.first:
            first = view.first_undone()
            if first is None:
                self.app.show_summary()
            else:
                self.app.show_step(first)
        self._report_check_errors(view)
        self._maybe_finish(view)
        if message.first:
            self._offers_ready = True
            self.present_offers()

    def _report_check_errors(self, view: SessionView) -> None:
        """One dialog per new set of failing checks, so watching does not reopen it every 10 s."""
        failing = [s for s in view.steps if s.result is not None and s.result.status.value == "error"]
        signature = tuple((s.id, s.result.error if s.result else None) for s in failing)
        if signature == self._error_signature:
            return
        self._error_signature = signature
        if not failing:
            return
        if any(
            s.result is not None and s.result.problem_kind == "expired" for s in failing
        ) and self._offer_sign_in_after("expired", after_check=True):
            return  # an SSO profile's sign-in expired: signing in again is the way on
        self._show_check_errors(view)

    def _show_check_errors(self, view: SessionView) -> None:
        from .error_dialog import ErrorDialog, Trouble

        failing = [s for s in view.steps if s.result is not None and s.result.status.value == "error"]
        if not failing:
            return
        troubles = []
        for step in failing:
            result = step.result
            assert result is not None
            first = result.findings[0] if result.findings else None
            troubles.append(
                Trouble(
                    f"{step.title}: the check failed",
                    first.message if first else result.error or "The check failed.",
                    (first.evidence or "") if first else "",
                )
            )
        reconnect = any(s.result is not None and s.result.stops_everything for s in failing) and not view.practice
        others = len(view.steps) - len(failing)
        note = f"The other {others} step(s) were checked and show their status." if others else ""
        self.app.ask(
            ErrorDialog("A check could not finish", troubles, note=note, retry=True, reconnect=reconnect),
            self._after_error,
        )

    def _maybe_finish(self, view: SessionView) -> None:
        """When the last step turns done, show the summary once."""
        if view.all_done and not self._was_all_done:
            self.app.show_summary()
        self._was_all_done = view.all_done

    # -- what the person asks of a step ------------------------------------------------------------
    def act(self, step_id: str, capability: Capability) -> None:
        step = self.view().step(step_id)
        if step is None:
            return
        allowance = step.allows(capability)
        if not allowance:
            self.app.notify(
                allowance.reason,
                title=f"{capability.value.capitalize()} is not available",
                severity="warning",
                timeout=4,
            )
            return
        if capability is Capability.CHECK:
            self.check(frozenset({step_id}))
        elif capability is Capability.APPLY:
            self._confirm_apply(step_id)
        elif capability is Capability.SIMULATE:
            self._simulate(step_id)
        elif capability is Capability.CONSOLE and step.console_url:
            self.app.open_url(step.console_url)
            self.app.copy_to_clipboard(step.console_url)
            self.app.notify(f"Opened (and copied): {step.console_url}", timeout=6)
        elif capability is Capability.SKIP and self.session is not None:
            self.session.skip(step_id)
            self.app.notify(f"Skipped: {step.title}. It stays undone in AWS; come back to it any time.")
            self.app.next_step(step_id)

    def edit_inputs(self, step_id: str, typed: dict[str, object]) -> None:
        session = self.session
        if session is None or not session.connected:
            return
        edit = session.edit_answers(step_id, typed)
        old = self._settle.pop(step_id, None)
        if old is not None:
            old.stop()
        if not edit.recheck:
            return
        if edit.mode_changed:
            self.check(edit.recheck)
            return
        # Checked against the new answers once typing settles, so the plan shown is the plan applied.
        self._settle[step_id] = self.app.set_timer(ANSWER_SETTLE, lambda: self.check(edit.recheck))

    # -- target accounts: the organization to choose them from ---------------------------------------------
    def read_accounts(self) -> None:
        """Read the organization (once a connection) for a step that asks for target accounts."""
        session = self.session
        if session is None or not session.connected:
            return
        if session.view().accounts_read:
            self.app.redraws.soon()  # the step was drawn from an older view: the next one has them
            return

        def work() -> None:
            session.account_picker()  # the view has it next, and the step's inputs are built again

        self._run(work, "accounts", exclusive=False)

    def choose_accounts(self, message: m.AccountsChoiceRequested) -> None:
        from hsm_setup.answers.fields import BY_KEY

        picker = self.view().accounts
        if picker is None:
            return
        from .account_picker import AccountPickerScreen  # only where there is an organization to choose from

        def picked(chosen: list[str] | None) -> None:
            if chosen:
                message.chosen(chosen)

        self.app.ask(AccountPickerScreen(picker, BY_KEY[message.key].label, message.current), picked)

    def _confirm_apply(self, step_id: str) -> None:
        """Ask IAM first (as `apply` does), then show the changes with its answer for the person to confirm."""
        session = self.session
        if session is None:
            return

        def work() -> None:
            verdict = session.preflight(step_id)
            self.app.post_message(m.PreflightFinished(step_id, verdict))

        self._run(work, "preflight")

    def preflight_finished(self, message: m.PreflightFinished) -> None:
        from .confirm import ConfirmApply

        session, view, step_id = self.session, self.view(), message.step_id
        step = view.step(step_id)
        if session is None or step is None:
            return

        def confirmed(yes: bool | None) -> None:
            if not yes or message.verdict.blocks_apply:
                return
            session.begin_apply(step_id)

            def work() -> None:
                report = session.apply_step(step_id)
                self.app.post_message(m.ApplyFinished(step_id, report))

            self._run(work, "apply")

        dialog = ConfirmApply(step.title, step.plan or (), view.account_words(), preflight=message.verdict)
        self.app.ask(dialog, confirmed)

    def apply_finished(self, message: m.ApplyFinished) -> None:
        report = message.report
        if report.failed or report.stopped:
            from .error_dialog import ErrorDialog, Trouble

            troubles = [Trouble(f"Failed: {o.action.summary}", o.message, "") for o in report.failed]
            if report.stopped and not report.failed:
                troubles.append(Trouble("Apply stopped", report.stopped.cause, report.stopped.next_move))
            done = len(report.changed)
            note = (
                f"{done} change(s) before it were made and are kept; apply again after fixing the cause."
                if done
                else "Nothing was changed; apply again after fixing the cause."
            )
            self.app.ask(ErrorDialog("A change could not be made", troubles, note=note), self._after_error)
        self._error_signature = ()
        self.app.redraw()
        self._maybe_finish(self.view())

    def _simulate(self, step_id: str) -> None:
        session = self.session
        if session is None:
            return
        session.begin_simulation(step_id)

        def work() -> None:
            what = session.simulate(step_id)
            self.app.post_message(m.SimulationFinished(step_id, what))

        self._run(work, "simulate")

    def simulation_finished(self) -> None:
        self.app.redraws.soon()
        view = self.view()
        self._report_check_errors(view)
        self._maybe_finish(view)

    # -- what the session says -------------------------------------------------------------------
    def session_event(self, event: SessionEvent) -> None:
        if isinstance(event, (ViewChanged, EngineEventSeen)):
            self.app.redraws.soon()
        elif isinstance(event, OfferMade):
            self._offers.append(event.offer)
            self.present_offers()
        elif isinstance(event, Notice):
            severity = event.severity if event.severity in ("information", "warning", "error") else "information"
            self.app.notify(
                event.text,
                title=event.title,
                severity=severity,
                timeout=20 if severity != "information" else 8,
                markup=False,
            )  # type: ignore[arg-type]

    def _reveal(self, secret: SecretIssued) -> None:
        """On the apply worker's thread: show a new console password, and only then call it shown.

        call_from_thread waits until the dialog is on screen, so the engine never counts a
        password as handed over that the person could not see. The secret goes to that
        dialog only: never into a message, a log or the journal.
        """
        from .dialogs import PasswordDialog

        self.app.call_from_thread(self.app.push_screen, PasswordDialog(secret), lambda _: self.present_offers())
        secret.mark_shown()

    # -- offers ------------------------------------------------------------------------------------
    def present_offers(self) -> None:
        """Ask the oldest offer not answered yet, when no other dialog is open."""
        if self.app.screen.is_modal:
            return
        self.app.show_pending_summary()
        if self._asking or not self._offers or not self._offers_ready or self.app.screen.is_modal:
            return

        offer = self._offers.pop(0)
        if self.session is None or offer.key not in {o.key for o in self.session.offers()}:
            self.present_offers()  # answered or withdrawn meanwhile
            return
        self._ask_offer(offer)

    def _ask_offer(self, offer: Offer) -> None:
        from .dialogs import OfferDialog

        self._asking = True

        def answered(choice: str | None) -> None:
            self._asking = False
            self.answer(offer, choice or offer.default)
            self.present_offers()

        self.app.push_screen(OfferDialog(offer), answered)

    def answer(self, offer: Offer, choice: str) -> None:
        session = self.session
        if session is None:
            return

        def work() -> None:
            outcome = session.answer(offer, choice)
            self.app.post_message(m.OfferAnswered(offer, outcome))

        self._run(work, "offer", exclusive=False)

    def offer_answered(self, message: m.OfferAnswered) -> None:
        from .dialogs import KeptPasswordDialog

        outcome = message.outcome
        if outcome.secret is not None:
            follow_up = outcome.follow_up

            def closed(handed_over: bool | None) -> None:
                if follow_up is not None:
                    self.answer(follow_up, "handed-over" if handed_over else follow_up.default)
                self.present_offers()

            account = self.session.identity.account_id if self.session and self.session.identity else ""
            user = message.offer.key.rsplit(":", 1)[-1]
            self.app.push_screen(KeptPasswordDialog(account, user, outcome.secret), closed)
            return
        if outcome.lines:
            severity = outcome.severity if outcome.severity in ("information", "warning", "error") else "information"
            self.app.notify("\n".join(outcome.lines), severity=severity, timeout=10, markup=False)  # type: ignore[arg-type]
        self.app.redraw()

    # -- hand-offs -----------------------------------------------------------------------------------
    def handoff(self, handoff: Handoff) -> None:
        session, view = self.session, self.view()
        if session is None or not view.handoffs.get(handoff):
            return
        from .dialogs import AskText

        if handoff is Handoff.REPORT:
            self.app.ask(
                AskText(
                    "Save a report",
                    "Every step's status, what exists now and what is left to do, with no secret in it. "
                    "The file name's ending picks the format: .html, .md or .json.",
                    "File",
                    session.default_report_path(),
                    session.report_path_problem,
                    ok="Save",
                ),
                lambda path: self._run(partial(self._report, path), "handoff") if path else None,
            )
        elif handoff is Handoff.SSO_PROFILE:
            self.ask_sso_profile()
        elif handoff is Handoff.CONTINUE_AS:
            connection = session.continue_as()
            if connection is not None:
                self.app.start(connection)
        elif handoff is Handoff.DELETE_ROOT_KEY:
            offer = session.root_key_question()
            if offer is not None and not self._asking:
                self._ask_offer(offer)

    def _report(self, path: str) -> None:
        assert self.session is not None
        self.app.post_message(m.HandoffFinished(self.session.write_report(path)))

    def ask_sso_profile(self, name: str | None = None, *, force: bool = False) -> None:
        from hsm_setup.handoff.sso_profile import name_problem

        from .dialogs import AskText

        if name is not None:
            self._run(partial(self._sso_profile, name, force), "handoff")
            return
        self.app.ask(
            AskText(
                "Write an AWS CLI profile for the administrator",
                "Adds an [sso-session] and a [profile] to the AWS config file, so `aws sso login` signs in "
                "as the administrator through the access portal. The rest of the file is kept, with a backup.",
                "Profile name",
                "hsm-admin",
                lambda value: f"name: {p}" if (p := name_problem(value)) else None,
                ok="Write",
            ),
            lambda value: self.ask_sso_profile(value) if value else None,
        )

    def _sso_profile(self, name: str, force: bool) -> None:
        assert self.session is not None
        self.app.post_message(m.HandoffFinished(self.session.write_sso_profile(name, force=force)))

    def handoff_finished(self, message: m.HandoffFinished) -> None:
        from .dialogs import Question

        result = message.result
        if result.conflict is not None and result.profile is not None:
            name = result.profile
            self.app.ask(
                Question(
                    "Replace the profile?",
                    f"{result.conflict}\nReplace it with the administrator's sign-in? A backup of the file is kept.",
                    yes="Replace",
                    no="Keep it",
                    danger=True,
                ),
                lambda replace: self.ask_sso_profile(name, force=True) if replace else None,
            )
            return
        severity = "error" if result.severity == "error" else "information"
        self.app.notify(result.lines[0], severity=severity, timeout=10, markup=False)
        self.app.redraw()

    # -- failures: the one handler -----------------------------------------------------------------
    def worker_failed(self, worker: Worker[object]) -> None:
        from hsm_setup.errors import explain

        from .error_dialog import ErrorDialog, Trouble
        from .identity_bar import describe

        connection = self.app.connection
        problem = (
            explain(worker.error, connection.profile if connection else None) if worker.error is not None else None
        )
        cause = problem.cause if problem else "Something went wrong."
        next_move = problem.next_move if problem else ""
        group = worker.group
        self.app.redraw()
        if group == "connect" and _cancelled_sign_in(worker.error):
            # Escape in the MFA dialog: nothing was signed in; choose again.
            self.app.back_to_connect(f"{cause} {next_move}".strip())
            return
        if (
            group in ("connect", "check")
            and worker.error is not None
            and self._offer_sign_in_after(worker.error, after_check=group == "check")
        ):
            return
        if group == "connect":
            dialog = ErrorDialog(
                f"Could not connect to {describe(connection)}",
                [Trouble("Connecting failed", cause, next_move)],
                retry=True,
                reconnect=True,
            )
        else:
            what = {"apply": "Applying", "simulate": "Simulating the console action", "check": "Checking"}.get(
                group, "The work"
            )
            practice = self.view().practice
            reconnect = problem is not None and problem.kind in {"expired", "credentials", "endpoint"} and not practice
            dialog = ErrorDialog(
                f"{what} failed",
                [Trouble(f"{what} failed", cause, next_move)],
                retry=group == "check",
                reconnect=reconnect,
            )
        self.app.ask(dialog, partial(self._after_error, failed=group))

    def _after_error(self, choice: str | None, failed: str = "") -> None:
        if choice == "retry":
            if (self.session is None or not self.session.connected) and self.app.connection is not None:
                self.connect(self.app.connection, None)
            else:
                self.check()
        elif choice == "reconnect":
            self.app.back_to_connect()
        elif choice == "quit":
            self.app.exit(self.app.exit_code())

    def close(self) -> None:
        # A worker waiting for an MFA code or an approval must not outlive the wizard.
        with self._mfa_lock:
            waiting, self._mfa_answers = list(self._mfa_answers), set()
        for answer in waiting:
            if not answer.done():
                answer.set_result(None)
        shown = self._sign_in
        if shown is not None and shown.run is not None:
            shown.run.cancel()
        with suppress(Exception):
            self.disconnect()

    # -- signing in: a role's MFA code ---------------------------------------------------------------
    def ask_mfa(self, request: MfaRequest) -> str:
        """The connection's MFA asker. Called on the thread that signs in (the connect worker):
        opens the wizard's dialog on the event loop, then blocks this thread until it is answered."""
        from hsm_setup.aws.signin.mfa import MfaCancelled

        answer: Future[str | None] = Future()
        with self._mfa_lock:
            self._mfa_answers.add(answer)
        try:
            self.app.call_from_thread(self._show_mfa_dialog, request, answer)
            code = answer.result()
        except RuntimeError:  # the wizard is closing: no one is there to answer
            code = None
        finally:
            with self._mfa_lock:
                self._mfa_answers.discard(answer)
        if not code:
            raise MfaCancelled(request)
        return code

    def _show_mfa_dialog(self, request: MfaRequest, answer: Future[str | None]) -> object:
        from .sign_in_dialogs import MfaDialog

        def answered(code: str | None) -> None:
            if not answer.done():
                answer.set_result(code)

        return self.app.push_screen(MfaDialog(request), answered)

    # -- signing in: IAM Identity Center -----------------------------------------------------------
    def _offer_sign_in_after(self, failure: BaseException | str, *, after_check: bool) -> bool:
        """Offer to sign in when the failure is the connection's expired IAM Identity Center sign-in."""
        from hsm_setup.session.sign_in import sso_sign_in_after

        connection = self.app.connection
        offer = sso_sign_in_after(connection, failure) if connection is not None else None
        if offer is None or self._sign_in is not None:
            return offer is not None
        self.offer_sso_sign_in(offer, after_check=after_check)
        return True

    def offer_sso_sign_in(
        self, offer: SsoSignInOffer, *, typed: StoredCredentials | None = None, after_check: bool = False
    ) -> None:
        from .sign_in_dialogs import SsoSignInDialog

        if self._sign_in is not None:
            return
        dialog = SsoSignInDialog(offer)
        self._sign_in = _SsoSignInShown(offer, dialog, typed, after_check)
        self.app.push_screen(dialog, self._sign_in_closed)

    def sign_in_asked(self, choice: m.SignInChoice) -> None:
        shown = self._sign_in
        if shown is None:
            return
        if choice is m.SignInChoice.START and shown.run is None:
            from hsm_setup.session.sign_in import SsoSignIn

            shown.run = SsoSignIn(shown.offer)
            self._run(partial(self._sign_in_work, shown.run), "sign-in", exclusive=False)
        elif choice is m.SignInChoice.SIMULATE and shown.run is not None:
            self._run(partial(self._simulate_approval, shown.run), "sign-in-simulate", exclusive=False)
        elif choice is m.SignInChoice.CANCEL and shown.run is not None:
            shown.run.cancel()  # the waiting worker ends with SignInCancelled

    def _sign_in_work(self, run: SsoSignIn) -> None:
        """On a worker thread: ask for a code, show it, wait for the approval."""
        from hsm_setup.aws.signin.sso_device import SignInCancelled
        from hsm_setup.errors import explain
        from hsm_setup.session.sign_in import signed_in_text

        try:
            page = run.start()
            self.app.post_message(m.SignInPageShown(run, page))
            signed_in = run.wait()
        except SignInCancelled:
            self.app.post_message(m.SignInFinished(run))
        except Exception as exc:  # reported in the dialog, which offers to start again
            problem = explain(exc, run.offer.connection.profile)
            self.app.post_message(m.SignInFinished(run, problem=f"{problem.cause} {problem.next_move}".strip()))
        else:
            self.app.post_message(m.SignInFinished(run, signed_in=signed_in_text(signed_in)))

    def _simulate_approval(self, run: SsoSignIn) -> None:
        from hsm_setup.errors import explain

        try:
            text = run.simulate_approval()
        except Exception as exc:
            text = explain(exc).cause
        self.app.post_message(m.SignInSimulated(run, text))

    def sign_in_page_shown(self, message: m.SignInPageShown) -> None:
        shown = self._sign_in
        if shown is not None and shown.run is message.run:
            shown.dialog.show_page(message.page)

    def sign_in_simulated(self, message: m.SignInSimulated) -> None:
        shown = self._sign_in
        if shown is not None and shown.run is message.run:
            shown.dialog.show_note(message.text)

    def sign_in_finished(self, message: m.SignInFinished) -> None:
        shown = self._sign_in
        if shown is None or shown.run is not message.run:
            return
        shown.run = None
        if message.signed_in is not None:
            self.app.notify(message.signed_in, title="Signed in", timeout=8, markup=False)
            shown.dialog.dismiss(True)
        elif message.problem is not None:
            shown.dialog.show_problem(message.problem)
        else:
            shown.dialog.dismiss(False)

    def _sign_in_closed(self, signed_in: bool | None) -> None:
        shown, self._sign_in = self._sign_in, None
        if shown is None:
            return
        if signed_in:
            if shown.after_check:
                self._error_signature = ()
                self.check()
            else:
                self.app.start(shown.offer.connection, shown.typed)
            return
        if shown.after_check:
            self._show_check_errors(self.view())  # as without the offer: check again, or choose another connection
            return
        from hsm_setup.aws.signin.sso_device import SignInCancelled

        cancelled = SignInCancelled()
        self.app.back_to_connect(f"{cancelled.cause} {shown.offer.alternative}")


def _cancelled_sign_in(error: BaseException | None) -> bool:
    """The person cancelled signing in (Escape in the MFA dialog)."""
    if error is None:
        return False
    from hsm_setup.aws.signin.mfa import MfaCancelled

    return isinstance(error, MfaCancelled)
