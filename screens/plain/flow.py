"""The plain front end: the session's flow as questions and printed lines.

It connects, then walks the six steps in order: for each it prints what the live
check found (with the evidence), asks the step's inputs, prints the plan as AWS CLI
commands, asks before applying, and watches console actions until the check sees
them done. Every decision (what is re-checked, which offers are made and what an
answer does) is the session's: this module only asks and prints.

Signing in is asked as the wizard asks it (hsm_setup.session.sign_in): every profile
listed with its kind and why one cannot work; a role's MFA code with a masked prompt
naming the device and the role; an IAM Identity Center sign-in run here, with the
page, the code and a countdown, when the profile's is missing or expired.
"""

from __future__ import annotations

import enum
import os
import select
import sys
import threading
from collections.abc import Callable
from typing import TextIO

import msgspec

from hsm_setup.answers.fields import BY_KEY, Field, admin_mode, fields_for_step
from hsm_setup.aws.connection import Connection
from hsm_setup.aws.signin.mfa import MAX_ATTEMPTS, MfaCancelled, MfaRequest, code_problem
from hsm_setup.aws.signin.profiles import list_profiles
from hsm_setup.aws.signin.sso_device import SignedIn
from hsm_setup.cli import render
from hsm_setup.engine.events import ActionFinished, ActionStarted, Progress
from hsm_setup.errors import AccountBusyError, explain
from hsm_setup.model import SecretIssued, Status, StepResult
from hsm_setup.secrets.handover import password_block
from hsm_setup.secrets.store import KeyringUnavailable, SecretStore, StoredCredentials, default_store
from hsm_setup.secrets.typed_keys import (
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    SESSION_TOKEN,
    connection_with,
    credentials_of,
    session_token_needed,
    typed_credentials,
)
from hsm_setup.session.events import EngineEventSeen, Notice, SessionEvent
from hsm_setup.session.offers import Offer
from hsm_setup.session.practice import PracticeAccount, StartPractice
from hsm_setup.session.session import Session
from hsm_setup.session.sign_in import (
    SignInPage,
    SsoSignIn,
    SsoSignInOffer,
    signed_in_text,
    sso_sign_in_after,
    sso_sign_in_before,
    time_left,
    with_mfa_asker,
)
from hsm_setup.session.view import StepView
from hsm_setup.session.workspace import Workspace
from hsm_setup.steps.actions import Action

from . import prompts

EXIT_OK, EXIT_NOT_DONE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
WATCH_SECONDS = 10
# A manual action that keeps coming back (the person skipped it) is not asked about forever.
MAX_ROUNDS_PER_STEP = 5

InputWaiter = Callable[[float], "str | None"]


class Opened(enum.Enum):
    CONNECTED = "connected"
    FAILED = "failed"  # explained; another way may be chosen
    CANCELLED = "cancelled"  # the person stopped signing in: back to choosing, no question asked


def wait_for_line(timeout: float) -> str | None:
    """A line typed within `timeout` seconds, "" for a bare Enter, None if nothing was typed."""
    ready, _, _ = select.select([sys.stdin], [], [], timeout)
    if not ready:
        return None
    line = sys.stdin.readline()
    # End of input: nobody is there to do the console action, so stop watching.
    return line if line else "s"


def _start_practice_process(scenario: str) -> PracticeAccount:
    from hsm_setup.sandbox.process import start_practice_process

    return start_practice_process(scenario)


class PlainFlow:
    def __init__(
        self,
        connection: Connection | None,
        *,
        scenario: str = "fresh",
        answers: object = None,
        out: TextIO | None = None,
        store: SecretStore | None = None,
        wait_for_input: InputWaiter = wait_for_line,
        watch_seconds: int = WATCH_SECONDS,
        sleep: Callable[[float], None] | None = None,
        practice: PracticeAccount | None = None,
        start_practice: StartPractice = _start_practice_process,
    ) -> None:
        from hsm_setup.answers.values import Answers

        self.connection = connection
        self.out = out or sys.stdout
        self.store = store or default_store()
        self.wait_for_input = wait_for_input
        self.watch_seconds = watch_seconds
        self._bar_tenths: dict[str, int] = {}  # per step: the tenth of an apply across accounts last printed
        self.session = Session(
            store=self.store,
            start_practice=start_practice,
            practice=practice,
            scenario=scenario,
            answers=answers if isinstance(answers, Answers) else None,
            sleep=sleep,
            reveal=self.reveal,
        )
        self.session.subscribe(self.on_event)
        self._print_lock = threading.Lock()

    # -- what the session knows ------------------------------------------------------------
    @property
    def workspace(self) -> Workspace:
        return self.session.workspace

    @property
    def results(self) -> dict[str, StepResult]:
        return self.session.results()

    # -- output -----------------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        with self._print_lock:
            print(text, file=self.out, flush=True)

    def on_event(self, event: SessionEvent) -> None:
        # Apply events arrive on this thread; check progress may come from the engine's threads.
        if isinstance(event, Notice):
            self.say(event.text)
        elif isinstance(event, EngineEventSeen):
            inner = event.event
            if isinstance(inner, ActionStarted):
                self.say(f"  - {inner.action.summary}...")
            elif isinstance(inner, ActionFinished):
                self.say(render.outcome_line(inner.outcome))
            elif isinstance(inner, Progress):
                # Across many accounts: a bar drawn in text, a line each tenth of the way (a screen reader reads lines),
                # named by step: the fan-outs to other accounts run side by side, their lines interleaved.
                if inner.count is None:
                    self.say(f"    {inner.message}")
                elif inner.count.done == inner.count.total or inner.count.tenth() > self._bar_tenths.get(
                    inner.step_id, 0
                ):
                    self._bar_tenths[inner.step_id] = inner.count.tenth() % 10
                    self.say(f"    {inner.step_id}: {inner.count.bar()}")

    def reveal(self, secret: SecretIssued) -> None:
        """A new console password: shown on this terminal, once."""
        for line in password_block(secret):
            self.say(f"  {line}" if line else "")
        secret.mark_shown()

    def print_findings(self, result: StepResult) -> None:
        for finding in result.findings:
            mark = "ok" if finding.ok else ("note" if finding.level == "warning" else "to do")
            self.say(f"  [{mark}] {finding.message}")
            if finding.evidence:
                self.say(f"         evidence: {finding.evidence}")
        if result.error and not result.findings:
            self.say(f"  [error] {result.error}")

    def print_plan(self, actions: tuple[Action, ...]) -> None:
        self.say("  Plan (each change with its AWS CLI equivalent):")
        for action in actions:
            if action.is_manual:
                # Its console link and instructions follow when it is this action's turn.
                self.say(f"    # by a person, in the AWS console: {action.summary}")
            else:
                self.say(f"    # {action.summary}")
                if action.changes_existing:
                    self.say(f"    #   changes what already existed: {action.changes_existing}")
                    for line in action.diff:
                        self.say(f"    #     {line}")
                self.say(f"    {action.cli}")

    def print_overview(self) -> None:
        results = self.results
        for index, result in enumerate(results.values(), start=1):
            self.say(
                f"  {index}. {render.MARKS[result.status]:<10} {render.TITLES.get(result.step_id, result.step_id)}"
            )
        done = sum(1 for r in results.values() if r.done)
        self.say(f"  {done} of {len(results)} steps done.")

    # -- the run ----------------------------------------------------------------------------------
    def run(self) -> int:
        if not self.connect():
            return EXIT_USAGE
        try:
            with self.workspace.load_state().locked():
                return self.walk()
        except AccountBusyError as exc:
            self.say(f"{exc.cause}")
            self.say(f"  {exc.next_move}")
            return EXIT_USAGE
        finally:
            self.session.close()

    def walk(self) -> int:
        session = self.session
        identity = session.identity
        assert identity is not None
        self.say(render.header(identity, self.workspace.answers["region"], sandbox=self.workspace.connection.sandbox))
        if identity.is_root:
            self.say(
                "You are signed in as the root user. The CloudHSM guide says not to use it for everyday work: "
                "use it now only to set up the administrator, then stop using it."
            )
        self.say()
        self.say("Checking every step...")
        session.check()
        self.print_overview()
        # Offers come once the person sees where the account stands, as in the wizard.
        self.answer_offers()
        for step in session.view().steps:
            if not self.walk_step(step.id):
                break
        return self.finish()

    def finish(self) -> int:
        self.say()
        self.say("Where things stand:")
        self.say(render.results_text(self.results))
        self.say_changes()
        if self.session.exit_code() == EXIT_OK:
            self.say("Every step is done.")
            return EXIT_OK
        self.say("Progress is saved; run `hsm-setup --plain` again to continue where you left off.")
        return EXIT_NOT_DONE

    def say_changes(self) -> None:
        changed = self.session.outcomes_changed
        if changed:
            self.say("Changed in this run:")
            for summary in changed:
                self.say(f"  - {summary}")
        else:
            self.say("Nothing was changed in this run.")

    def report_stop(self) -> None:
        """Ctrl-C: say what was changed and what was not; the saved state lets the next run resume."""
        self.say()
        self.say("Stopped.")
        self.say_changes()
        not_done = [r for r in self.results.values() if not r.done]
        if not_done:
            self.say("Not done (nothing more was changed for these):")
            for result in not_done:
                self.say(f"  - {render.TITLES.get(result.step_id, result.step_id)}")
        self.say("Your answers and progress are saved; run `hsm-setup --plain` again to continue where you stopped.")

    # -- offers -----------------------------------------------------------------------------------
    def answer_offers(self) -> None:
        """Ask every offer the session has made and not had an answer to."""
        for offer in self.session.offers():
            self.answer_offer(offer)

    def answer_offer(self, offer: Offer) -> None:
        self.say()
        if offer.command:
            self.say(f"  {offer.command}")
        if len(offer.choices) == 2:
            # Two answers read best as one yes/no line for a screen reader.
            choice = offer.yes.value if prompts.confirm(f"{offer.question}", default=False) else offer.default
        else:
            choice = prompts.choose(offer.question, [(c.label, c.value) for c in offer.choices], default=offer.default)
        outcome = self.session.answer(offer, choice)
        for line in outcome.lines:
            self.say(line)
        if outcome.secret is not None:
            self.say(f"      {outcome.secret}")
        if outcome.follow_up is not None:
            self.answer_offer(outcome.follow_up)

    # -- connecting -----------------------------------------------------------------------------
    def connect(self) -> bool:
        """Connect, asking how when no connection was given; False when the person gave up."""
        connection = self.connection
        asked = connection is None
        while True:
            typed: StoredCredentials | None = None
            if connection is None:
                connection, typed = self.choose_connection()
            opened = self.open(connection, typed)
            if opened is Opened.CONNECTED:
                return True
            if not asked:
                return False
            if opened is Opened.FAILED and not prompts.confirm("Choose another way to connect?", default=True):
                return False
            connection = None

    def choose_connection(self) -> tuple[Connection, StoredCredentials | None]:
        """Ask how to reach AWS. Returns the connection and, for typed keys, the credentials to offer saving."""
        from hsm_setup.aws.connection import connection_from

        while True:
            # (title, (kind, value)), and a reason for a choice greyed out.
            choices: list[tuple[str, tuple[str, str | None]] | tuple[str, tuple[str, str | None], str | None]] = []
            for entry in self.store.saved():
                choices.append((f"Saved credentials for {entry.describe()} (OS keyring)", ("saved", entry.account_id)))
            listing = list_profiles()
            if listing.problem:
                self.say(listing.problem)
            for info in listing.profiles:
                if info.usable:
                    choices.append((f"AWS profile {info.headline}: {info.explanation}", ("profile", info.name)))
                else:  # listed, greyed out with the reason, and not selectable
                    choices.append(
                        (f"AWS profile {info.headline}", ("profile", info.name), f"cannot work: {info.problem}")
                    )
            if os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"):
                choices.append(
                    ("The credentials in the environment (AWS_PROFILE / AWS_ACCESS_KEY_ID)", ("default", None))
                )
            choices.append(("Type an access key pair (a new account with no AWS profile yet)", ("keys", None)))
            choices.append(
                ("The practice account (a simulation on this machine; nothing reaches AWS)", ("sandbox", None))
            )
            kind, value = prompts.choose("How should hsm-setup reach AWS?", choices)
            if kind == "sandbox":
                return connection_from(sandbox=True), None
            if kind == "profile":
                return connection_from(profile=value), None
            if kind == "default":
                return connection_from(), None
            if kind == "keys":
                credentials = self.ask_credentials()
                return connection_with(credentials, connection_from()), credentials
            loaded = self.load_saved(str(value))
            if loaded is not None:
                return connection_with(loaded, connection_from()), None

    def ask_credentials(self) -> StoredCredentials:
        self.say("The secret access key and session token are kept in memory only, unless you choose the OS keyring.")
        key_id = str(prompts.ask_field(ACCESS_KEY_ID, ""))
        secret = str(prompts.ask_field(SECRET_ACCESS_KEY, ""))
        while True:
            token = str(prompts.ask_field(SESSION_TOKEN, "") or "") or None
            needed = session_token_needed(key_id, token)
            if not needed:
                return typed_credentials(key_id, secret, token)
            self.say(f"{SESSION_TOKEN.key}: {needed}")

    def load_saved(self, account_id: str) -> StoredCredentials | None:
        try:
            credentials = self.store.load(account_id)
        except KeyringUnavailable as exc:
            self.say(exc.cause)
            self.say(f"  {exc.next_move}")
            return None
        if credentials is None:
            self.say(f"The OS keyring no longer holds credentials for account {account_id}; choose another way.")
        return credentials

    def open(self, connection: Connection, typed: StoredCredentials | None) -> Opened:
        if connection.sandbox:
            self.say("Starting the practice account (a simulation on this machine; nothing reaches AWS)...")
        # An SSO profile with no usable token: sign in first rather than fail (files only, no call).
        offer = sso_sign_in_before(connection)
        if offer is not None and not self.sign_in_sso(offer):
            return Opened.CANCELLED
        self.say(f"Connecting with {describe(connection)}...")
        signed_in_again = False
        while True:
            try:
                self.session.connect(with_mfa_asker(connection, self.ask_mfa_code), typed=typed)
            except MfaCancelled as exc:
                self.say(exc.cause)
                self.say(f"  {exc.next_move}")
                return Opened.CANCELLED
            except Exception as exc:
                offer = None if signed_in_again else sso_sign_in_after(connection, exc)
                if offer is not None:
                    if not self.sign_in_sso(offer):
                        return Opened.CANCELLED
                    signed_in_again = True
                    continue
                problem = explain(exc, connection.profile)
                self.say(problem.cause)
                self.say(f"  {problem.next_move}")
                return Opened.FAILED
            return Opened.CONNECTED

    # -- signing in ---------------------------------------------------------------------------------
    def ask_mfa_code(self, request: MfaRequest) -> str:
        """The connection's MFA asker: a masked prompt naming the device and the role; Enter alone cancels."""
        if request.refused:
            self.say(f"  Not accepted: {request.refused} (try {request.attempt} of {MAX_ATTEMPTS})")

        def problem(text: str) -> str | None:
            return code_problem(text.strip()) if text.strip() else None  # empty: cancel

        code = prompts.secret(f"{request.prompt}:", problem, instruction="(Enter alone cancels)").strip()
        if not code:
            raise MfaCancelled(request)
        return code

    def sign_in_sso(self, offer: SsoSignInOffer) -> bool:
        """Offer the IAM Identity Center sign-in and run it; True once signed in."""
        self.say(offer.question)
        if not prompts.confirm(f"{offer.title} now?", default=True):
            self.say(offer.alternative)
            return False
        run = SsoSignIn(offer)
        try:
            page = run.start()
        except Exception as exc:
            problem = explain(exc, offer.connection.profile)
            self.say(problem.cause)
            self.say(f"  {problem.next_move}")
            return False
        for line in page.lines:
            self.say(f"  {line}")
        if page.practice and prompts.confirm(
            "  This is the practice account: simulate approving the sign-in in the browser?", default=True
        ):
            try:
                self.say(f"  {run.simulate_approval()}")
            except Exception as exc:
                self.say(f"  The simulation could not be done: {explain(exc).cause}")
        return self.wait_for_approval(run, page)

    def wait_for_approval(self, run: SsoSignIn, page: SignInPage) -> bool:
        """Count down while a thread polls IAM Identity Center; c and Enter cancels."""
        self.say("  Waiting for the approval: type c and Enter to cancel.")
        outcome: list[SignedIn | Exception] = []

        def wait() -> None:
            try:
                outcome.append(run.wait())
            except Exception as exc:  # SignInCancelled, SignInExpired, SignInDenied, an AWS error
                outcome.append(exc)

        waiter = threading.Thread(target=wait, name="sso-sign-in", daemon=True)
        waiter.start()
        try:
            while waiter.is_alive():
                with self._print_lock:
                    self.out.write(f"\r  Waiting for the approval: {time_left(page.seconds_left())} (c Enter: cancel) ")
                    self.out.flush()
                line = self.wait_for_input(1.0)
                if line is not None and line.strip().lower() in ("c", "cancel"):
                    run.cancel()
                elif line is not None:
                    waiter.join(1.0)  # something else typed, or the input ended: keep waiting, at the same pace
        except KeyboardInterrupt:
            run.cancel()
            raise
        waiter.join()
        self.say()
        result = outcome[0]
        if isinstance(result, Exception):
            problem = explain(result, run.offer.connection.profile)
            self.say(problem.cause)
            self.say(f"  {problem.next_move}")
            return False
        self.say(signed_in_text(result))
        return True

    # -- one step ------------------------------------------------------------------------------------
    def step_view(self, step_id: str) -> StepView:
        view = self.session.view().step(step_id)
        assert view is not None
        return view

    def walk_step(self, step_id: str) -> bool:
        """Take one step as far as it goes. False when the run must stop (credentials expired...)."""
        session = self.session
        step = self.step_view(step_id)
        self.say()
        self.say(f"Step {step.number} of {len(session.steps)}: {step.title}")
        result = step.result
        assert result is not None
        self.print_findings(result)
        if result.done:
            self.say("  Done.")
            return True
        if result.status is Status.BLOCKED:
            self.say(f"  Waits for: {', '.join(result.blocked_by)}. Come back to it once that is done.")
            return True
        if result.status is Status.ERROR:
            return self.after_error(step_id)
        if fields_for_step(step_id):
            recheck = self.ask_inputs(step_id)
            if recheck:
                session.check(recheck)
                result = self.step_view(step_id).result
                assert result is not None
                self.say("  Checked again with these inputs:")
                self.print_findings(result)
                if result.done:
                    self.say("  Done.")
                    return True
                if result.status is Status.ERROR:
                    return self.after_error(step_id)
        for _ in range(MAX_ROUNDS_PER_STEP):
            step = self.step_view(step_id)
            actions = step.plan or ()
            if not actions:
                break
            self.print_plan(actions)
            if any(not a.is_manual for a in actions):
                api = session.confirmation(step_id)
                question = (
                    f"Apply {len(api)} change(s) to account {session.identity.account_id if session.identity else ''}?"
                )
                verdict = session.preflight(step_id)
                for line in verdict.lines():
                    self.say(f"  {line}")
                if verdict.blocks_apply:
                    self.say("  Left for later: nothing was changed for this step; the other steps still go ahead.")
                    return True
                if not prompts.confirm(question, default=True):
                    self.say("  Skipped: nothing was changed for this step.")
                    return True
                report = session.apply_step(step_id)
                self.answer_offers()
                if report.stopped is not None:
                    self.say(f"Stopped: {report.stopped.cause}")
                    return False
                if report.failed:
                    self.say("  This step is not done; the rest of the steps still go ahead.")
                    return True
            if self.step_view(step_id).done:
                break
            manual = session.pending_console_actions(step_id)
            if not manual:
                break
            for action in manual:
                if not self.handle_manual(step_id, action):
                    self.say("  Left for later; the other steps still go ahead.")
                    return True
            if self.step_view(step_id).done:
                break
        result = self.step_view(step_id).result
        assert result is not None
        if result.done:
            self.say("  Done.")
        else:
            self.say("  Not done yet:")
            self.print_findings(result)
        return True

    def after_error(self, step_id: str) -> bool:
        result = self.step_view(step_id).result
        if result is not None and result.stops_everything:
            connection = self.session.connection
            offer = sso_sign_in_after(connection, result.problem_kind or "") if connection is not None else None
            if offer is not None and self.sign_in_sso(offer):
                self.session.check()  # every step: they all failed with the expired sign-in
                return self.walk_step(step_id)
            self.say("  Nothing else can be checked with these credentials; stopping here.")
            return False
        while prompts.confirm("  Check this step again?", default=False):
            self.session.check([step_id])
            result = self.step_view(step_id).result
            assert result is not None
            self.print_findings(result)
            if result.status is not Status.ERROR:
                return self.walk_step(step_id)
        return True

    def ask_inputs(self, step_id: str) -> frozenset[str]:
        """Ask the step's inputs (Enter keeps the shown value); the steps to check again."""
        answers = self.workspace.answers
        values: dict[str, object] = {}
        mode: str | None = None
        if BY_KEY["admin.mode"].step == step_id:
            mode = self.ask_admin_mode()
            values["admin.mode"] = mode
        every = fields_for_step(step_id, mode or admin_mode(answers), organization=True)
        # Target accounts are asked only where the organization has other accounts to choose.
        picker = self.session.account_picker() if any(f.needs_organization for f in every) else None
        fields = [f for f in every if f.key != "admin.mode" and (picker is not None or not f.needs_organization)]
        self.say("  Inputs (press Enter to keep the value shown):")
        for field_ in fields:
            if field_.picks_accounts and picker is not None:
                values[field_.key] = prompts.ask_accounts(field_, answers[field_.key], picker)
                continue
            if field_.kind == "choice":
                values[field_.key] = self.ask_choice(field_, str(answers[field_.key]))
                continue
            values[field_.key] = prompts.ask_field(field_, answers[field_.key], mode=mode or admin_mode(answers))
        edit = self.session.edit_answers(step_id, values)
        return edit.recheck

    def ask_admin_mode(self) -> str:
        """Identity Center (recommended) or an IAM user, with the trade-off said first."""
        return self.ask_choice(BY_KEY["admin.mode"], admin_mode(self.workspace.answers))

    def ask_choice(self, field_: Field, current: str) -> str:
        """A choice (admin.mode, cloudhsm.policy): each value with what it means said first, then typed."""
        self.say(f"  {field_.label}:")
        for choice in field_.choices:
            self.say(f"    {field_.described(choice)}")
        # Typed rather than picked from a list: Enter keeps the current value, and screen readers read it as one line.
        typed: Field = msgspec.structs.replace(field_, kind="text", help=" or ".join(field_.choices))
        return str(prompts.ask_field(typed, current))

    # -- console actions ---------------------------------------------------------------------------
    def handle_manual(self, step_id: str, action: Action) -> bool:
        """Show a console action, offer the practice account's stand-in, then watch. True once done."""
        session = self.session
        self.say(f"  To do by a person, in the AWS console: {action.summary}")
        if action.console_url:
            self.say(f"    Console: {action.console_url}")
        for number, text in enumerate(action.instructions, start=1):
            self.say(f"    {number}. {text}")
        if self.step_view(step_id).simulation is not None and action.simulation:
            description = session.describe_simulation(step_id).rstrip(".")
            question = f"  This is the practice account: simulate this console action ({description})?"
            if prompts.confirm(question, default=True):
                try:
                    what = session.simulate(step_id)
                except Exception as exc:
                    self.say(f"  The simulation could not be done: {explain(exc).cause}")
                else:
                    self.say(f"  {what}")
                self.answer_offers()
                if self.step_view(step_id).done or action.key not in self.pending_keys(step_id):
                    self.say("  The check sees the change.")
                    return True
        return self.watch(step_id, action)

    def pending_keys(self, step_id: str) -> set[str]:
        return {a.key for a in self.session.pending_console_actions(step_id)}

    def watch(self, step_id: str, action: Action) -> bool:
        """Re-check until the console action shows, with a countdown; Enter checks at once, s skips."""
        self.say(
            f"  Watching for it: checking again every {self.watch_seconds} s. "
            "Press Enter to check now; type s and Enter to leave it for later; Ctrl-C stops."
        )
        while True:
            if self.countdown() == "skip":
                return False
            self.session.check([step_id])
            self.answer_offers()
            step = self.step_view(step_id)
            result = step.result
            assert result is not None
            if result.done or action.key not in self.pending_keys(step_id):
                self.say("  The check sees the change.")
                return True
            if result.status is Status.ERROR:
                self.print_findings(result)
                return False
            waiting = next((f.message for f in result.findings if not f.ok), "the check does not see it yet")
            self.say(f"  Not yet: {waiting}")

    def countdown(self) -> str:
        for remaining in range(self.watch_seconds, 0, -1):
            with self._print_lock:
                self.out.write(f"\r  Checking again in {remaining:>2} s (Enter: check now, s Enter: later) ")
                self.out.flush()
            line = self.wait_for_input(1.0)
            if line is not None:
                self.say()
                return "skip" if line.strip().lower() in ("s", "skip") else "now"
        self.say()
        return "timeout"


def describe(connection: Connection) -> str:
    if connection.sandbox:
        return "the practice account"
    if connection.profile:
        return f"profile {connection.profile}"
    credentials = credentials_of(connection)
    if credentials is not None:
        return f"access key {credentials.access_key_id}"
    return "the default credentials"
