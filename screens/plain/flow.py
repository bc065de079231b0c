"""The plain front end's session: connect, then walk the six steps in order.

For each step it prints what the live check found (with the evidence), asks the
step's inputs, prints the plan as AWS CLI commands, asks before applying, and
watches manual console actions until the check sees them done. Everything it
does goes through the core's engine; this module only talks and listens.
"""

from __future__ import annotations

import dataclasses
import os
import select
import sys
import threading
from typing import Any, Callable, TextIO

from hsm_setup.cli import render
from hsm_setup.aws.connection import Connection, list_available_profiles
from hsm_setup.secrets.typed_keys import ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, connection_with, credentials_of, session_token_needed, typed_credentials
from hsm_setup.session.root_key import continue_as_administrator, root_key_offer
from hsm_setup.errors import AccountBusyError, explain
from hsm_setup.engine.events import ActionFinished, ActionStarted, Progress
from hsm_setup.model import SecretIssued
from hsm_setup.answers.fields import BY_KEY, MODE_CHOICES, admin_mode, fields_for_step, is_iam_mode
from hsm_setup.secrets.handover import password_block
from hsm_setup.model import Status, StepResult
from hsm_setup.steps.actions import Action
from hsm_setup.secrets.store import KeyringUnavailable, SecretStore, StoredCredentials, default_store
from hsm_setup.steps.base import Step

from . import prompts

EXIT_OK, EXIT_NOT_DONE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
WATCH_SECONDS = 10
# A manual action that keeps coming back (the person skipped it) is not asked about forever.
MAX_ROUNDS_PER_STEP = 5

InputWaiter = Callable[[float], "str | None"]


def wait_for_line(timeout: float) -> str | None:
    """A line typed within `timeout` seconds, "" for a bare Enter, None if nothing was typed."""
    ready, _, _ = select.select([sys.stdin], [], [], timeout)
    if not ready:
        return None
    line = sys.stdin.readline()
    # End of input: nobody is there to do the console action, so stop watching.
    return line if line else "s"


class PlainFlow:
    def __init__(
        self,
        connection: Connection | None,
        *,
        scenario: str = "fresh",
        answers: Any = None,
        out: TextIO | None = None,
        store: SecretStore | None = None,
        wait_for_input: InputWaiter = wait_for_line,
        watch_seconds: int = WATCH_SECONDS,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.connection = connection
        self.scenario = scenario
        self.initial_answers = answers
        self.out = out or sys.stdout
        self.store = store or default_store()
        self.wait_for_input = wait_for_input
        self.watch_seconds = watch_seconds
        # The engine's waits between polls (tests pass a no-op).
        self.sleep = sleep
        self.workspace: Any = None
        self.results: dict[str, StepResult] = {}
        self.changed: list[str] = []
        # Passwords shown in this step's apply, offered for the keyring once the apply is over; then dropped.
        self.issued: list[SecretIssued] = []
        self._print_lock = threading.Lock()

    # -- output -----------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        with self._print_lock:
            print(text, file=self.out, flush=True)

    def on_event(self, event: object) -> None:
        # Apply events arrive on this thread; check progress may come from worker threads.
        if isinstance(event, ActionStarted):
            self.say(f"  - {event.action.summary}...")
        elif isinstance(event, ActionFinished):
            self.say(render.outcome_line(event.outcome))
        elif isinstance(event, Progress):
            self.say(f"    {event.message}")
        elif isinstance(event, SecretIssued):
            # Shown on this terminal, once; the flow offers the keyring after the apply.
            for line in password_block(event):
                self.say(f"  {line}" if line else "")
            event.mark_shown()
            self.issued.append(event)

    def print_findings(self, result: StepResult) -> None:
        for finding in result.findings:
            mark = "ok" if finding.ok else ("note" if finding.level == "warning" else "to do")
            self.say(f"  [{mark}] {finding.message}")
            if finding.evidence:
                self.say(f"         evidence: {finding.evidence}")
        if result.error and not result.findings:
            self.say(f"  [error] {result.error}")

    def print_plan(self, actions: list[Action]) -> None:
        self.say("  Plan (each change with its AWS CLI equivalent):")
        for action in actions:
            if action.is_manual:
                # Its console link and instructions follow when it is this action's turn.
                self.say(f"    # by a person, in the AWS console: {action.summary}")
            else:
                self.say(f"    # {action.summary}")
                self.say(f"    {action.cli}")

    def print_overview(self) -> None:
        for index, result in enumerate(self.results.values(), start=1):
            self.say(f"  {index}. {render.MARKS[result.status]:<10} {render.TITLES.get(result.step_id, result.step_id)}")
        done = sum(1 for r in self.results.values() if r.done)
        self.say(f"  {done} of {len(self.results)} steps done.")

    # -- the session ----------------------------------------------------------------------
    def run(self) -> int:
        workspace = self.connect()
        if workspace is None:
            return EXIT_USAGE
        self.workspace = workspace
        try:
            with workspace.state.locked():
                return self.session()
        except AccountBusyError as exc:
            self.say(f"{exc.cause}")
            self.say(f"  {exc.next_move}")
            return EXIT_USAGE
        finally:
            workspace.close()

    def session(self) -> int:
        ws = self.workspace
        identity = ws.identity
        self.say(render.header(identity, ws.answers["region"], sandbox=ws.connection.sandbox))
        if identity.is_root:
            self.say(
                "You are signed in as the root user. The CloudHSM guide says not to use it for everyday work: "
                "use it now only to set up the administrator, then stop using it."
            )
        interrupted = ws.state.in_flight()
        if interrupted:
            self.say(f"The last run stopped during: {', '.join(interrupted)}. Those steps are checked again now and finished.")
        self.offer_handover()
        self.say()
        self.say("Checking every step...")
        self.results = ws.engine.check()
        self.print_overview()
        steps = list(ws.engine.steps)
        for index, step in enumerate(steps, start=1):
            if not self.walk_step(index, len(steps), step):
                break
        self.offer_root_key_deletion()
        return self.finish()

    def finish(self) -> int:
        self.say()
        self.say("Where things stand:")
        self.say(render.results_text(self.results))
        self.say_changes()
        if self.results and all(r.done for r in self.results.values()):
            self.say("Every step is done.")
            return EXIT_OK
        self.say("Progress is saved; run `hsm-setup --plain` again to continue where you left off.")
        return EXIT_NOT_DONE

    def say_changes(self) -> None:
        if self.changed:
            self.say("Changed in this run:")
            for summary in self.changed:
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
            titles = {s.id: s.title for s in self.workspace.engine.steps} if self.workspace else {}
            self.say("Not done (nothing more was changed for these):")
            for result in not_done:
                self.say(f"  - {titles.get(result.step_id, result.step_id)}")
        self.say("Your answers and progress are saved; run `hsm-setup --plain` again to continue where you stopped.")

    # -- connecting ---------------------------------------------------------------------
    def connect(self) -> Any:
        """An open workspace whose caller is known, or None when the person gave up."""
        connection = self.connection
        asked = connection is None
        while True:
            typed: StoredCredentials | None = None
            if connection is None:
                connection, typed = self.choose_connection()
            workspace = self.open(connection)
            if workspace is not None:
                if typed is not None:
                    self.offer_to_save(workspace, typed)
                return workspace
            if not asked or not prompts.confirm("Choose another way to connect?", default=True):
                return None
            connection = None

    def choose_connection(self) -> tuple[Connection, StoredCredentials | None]:
        """Ask how to reach AWS. Returns the connection and, for typed keys, the credentials to offer saving."""
        from hsm_setup.session.workspace import connection_from

        while True:
            choices: list[tuple[str, Any]] = []
            for entry in self.store.saved():
                choices.append((f"Saved credentials for {entry.describe()} (OS keyring)", ("saved", entry.account_id)))
            for profile in list_available_profiles():
                choices.append((f"AWS profile {profile}", ("profile", profile)))
            if os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"):
                choices.append(("The credentials in the environment (AWS_PROFILE / AWS_ACCESS_KEY_ID)", ("default", None)))
            choices.append(("Type an access key pair (a new account with no AWS profile yet)", ("keys", None)))
            choices.append(("The practice account (a simulation on this machine; nothing reaches AWS)", ("sandbox", None)))
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
            loaded = self.load_saved(value)
            if loaded is not None:
                return connection_with(loaded, connection_from()), None

    def ask_credentials(self) -> StoredCredentials:
        self.say("The secret access key and session token are kept in memory only, unless you choose the OS keyring.")
        key_id = prompts.ask_field(ACCESS_KEY_ID, "")
        secret = prompts.ask_field(SECRET_ACCESS_KEY, "")
        while True:
            token = prompts.ask_field(SESSION_TOKEN, "") or None
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

    def open(self, connection: Connection) -> Any:
        from hsm_setup.session.workspace import open_workspace

        if connection.sandbox:
            self.say("Starting the practice account (a simulation on this machine; nothing reaches AWS)...")
        self.say(f"Connecting with {describe(connection)}...")
        try:
            from hsm_setup.sandbox.process import start_practice_process

            workspace = open_workspace(
                connection,
                answers=self.initial_answers,
                scenario=self.scenario,
                on_event=self.on_event,
                sleep=self.sleep,
                start_practice=start_practice_process,
            )
        except Exception as exc:
            problem = explain(exc, connection.profile)
            self.say(problem.cause)
            self.say(f"  {problem.next_move}")
            return None
        try:
            workspace.load_state()
        except Exception as exc:
            workspace.close()
            problem = explain(exc, connection.profile)
            self.say(problem.cause)
            self.say(f"  {problem.next_move}")
            return None
        return workspace

    def offer_to_save(self, workspace: Any, credentials: StoredCredentials) -> None:
        identity = workspace.identity
        problem = self.store.available()
        if problem:
            self.say(problem)
            self.say("  The credentials stay in memory for this run only; nothing is written to a file.")
            return
        question = (
            f"Keep these credentials in the OS keyring, so a later run can resume account {identity.account_id}? "
            "They are never written to a file."
        )
        if not prompts.confirm(question, default=False):
            self.say("The credentials stay in memory for this run only.")
            return
        try:
            self.store.save(identity.account_id, credentials, caller_arn=identity.arn)
        except KeyringUnavailable as exc:
            self.say(exc.cause)
            self.say(f"  {exc.next_move}")
            return
        self.say(f"Saved in the OS keyring. `hsm-setup forget --account {identity.account_id}` deletes them.")

    # -- one step -------------------------------------------------------------------------
    def walk_step(self, index: int, count: int, step: Step) -> bool:
        """Take one step as far as it goes. False when the run must stop (credentials expired...)."""
        ws = self.workspace
        self.say()
        self.say(f"Step {index} of {count}: {step.title}")
        result = self.results[step.id]
        self.print_findings(result)
        if result.done:
            self.say("  Done.")
            return True
        if result.status is Status.BLOCKED:
            self.say(f"  Waits for: {', '.join(result.blocked_by)}. Come back to it once that is done.")
            return True
        if result.status is Status.ERROR:
            return self.after_error(step)
        fields = fields_for_step(step.id)
        if fields and self.ask_inputs(fields):
            self.results = ws.engine.recheck(step.id, self.results)
            result = self.results[step.id]
            self.say("  Checked again with these inputs:")
            self.print_findings(result)
            if result.done:
                self.say("  Done.")
                return True
            if result.status is Status.ERROR:
                return self.after_error(step)
        for _ in range(MAX_ROUNDS_PER_STEP):
            actions = ws.engine.plan_step(step, self.results)
            if not actions:
                break
            self.print_plan(actions)
            api = [a for a in actions if not a.is_manual]
            if api:
                question = f"Apply {len(api)} change(s) to account {ws.identity.account_id}?"
                if not prompts.confirm(question, default=True):
                    self.say("  Skipped: nothing was changed for this step.")
                    return True
                try:
                    report = ws.engine.apply(self.results, only={step.id})
                finally:
                    self.offer_to_keep_passwords()
                self.results = report.results
                self.changed.extend(o.action.summary for o in report.changed)
                if report.stopped is not None:
                    self.say(f"Stopped: {report.stopped.cause}")
                    return False
                if report.failed:
                    self.say("  This step is not done; the rest of the steps still go ahead.")
                    return True
            if self.results[step.id].done:
                break
            manual = [a for a in ws.engine.plan_step(step, self.results) if a.is_manual]
            if not manual:
                break
            for action in manual:
                if not self.handle_manual(step, action):
                    self.say("  Left for later; the other steps still go ahead.")
                    return True
            if self.results[step.id].done:
                break
        result = self.results[step.id]
        if result.done:
            self.say("  Done.")
        else:
            self.say("  Not done yet:")
            self.print_findings(result)
        return True

    def after_error(self, step: Step) -> bool:
        result = self.results[step.id]
        if result.stops_everything:
            self.say("  Nothing else can be checked with these credentials; stopping here.")
            return False
        while prompts.confirm("  Check this step again?", default=False):
            self.results = self.workspace.engine.recheck(step.id, self.results)
            result = self.results[step.id]
            self.print_findings(result)
            if result.status is not Status.ERROR:
                return self.walk_step_again(step)
        return True

    def walk_step_again(self, step: Step) -> bool:
        steps = list(self.workspace.engine.steps)
        return self.walk_step(steps.index(step) + 1, len(steps), step)

    def ask_inputs(self, fields: list[Any]) -> bool:
        """Ask the step's inputs (Enter keeps the shown value). True when an answer changed."""
        ws = self.workspace
        values: dict[str, Any] = {}
        mode = None
        if any(field.key == "admin.mode" for field in fields):
            mode = self.ask_admin_mode()
            values["admin.mode"] = mode
            fields = [f for f in fields if f.key != "admin.mode" and f.applies_to(mode)]
        self.say("  Inputs (press Enter to keep the value shown):")
        values.update({field.key: prompts.ask_field(field, ws.answers[field.key], mode=mode) for field in fields})
        updated = ws.answers.replace(values)
        changed = updated.to_flat() != ws.answers.to_flat()
        ws.set_answers(updated)  # saved even when unchanged, so the next run resumes with them
        return changed

    def ask_admin_mode(self) -> str:
        """Identity Center (recommended) or an IAM user, with the trade-off said first."""
        self.say(f"  {BY_KEY['admin.mode'].label}:")
        for mode, title in MODE_CHOICES:
            self.say(f"    {mode}: {title}")
        # Typed rather than picked from a list: Enter keeps the current mode, and screen readers read it as one line.
        typed = dataclasses.replace(BY_KEY["admin.mode"], kind="text", help="identity-center or iam")
        return str(prompts.ask_field(typed, admin_mode(self.workspace.answers)))

    # -- console passwords ----------------------------------------------------------------
    def offer_to_keep_passwords(self) -> None:
        """After an apply that showed a password: offer to keep it in the OS keyring until it is handed over."""
        issued, self.issued = self.issued, []
        for secret in issued:
            problem = self.store.available()
            if problem:
                self.say(f"  {problem} The password is not kept anywhere: make sure you copied it.")
                continue
            question = (
                f"  Keep the password of {secret.user_name} in the OS keyring until you mark it handed over? "
                "(Never in a file.)"
            )
            if not prompts.confirm(question, default=False):
                self.say("  Not kept: it was shown once, above.")
                continue
            try:
                self.store.keep_password(secret.account_id, secret.user_name, secret.secret)
            except KeyringUnavailable as exc:
                self.say(f"  {exc.cause} The password is not kept anywhere: make sure you copied it.")
                continue
            self.say(
                "  Kept in the OS keyring. The next `hsm-setup --plain` asks whether it was handed over; "
                f"`hsm-setup forget --account {secret.account_id}` deletes it."
            )

    def offer_handover(self) -> None:
        """Console passwords kept in the keyring for this account: show one again, or mark it handed over."""
        account_id = self.workspace.identity.account_id
        for pending in self.store.pending_passwords(account_id):
            self.say()
            self.say(f"The OS keyring keeps the console password of IAM user {pending.user_name} until it is handed over.")
            choice = prompts.choose(
                "  What now?",
                [
                    ("It was handed over: delete it from the keyring", "handed-over"),
                    ("Show it now", "show"),
                    ("Keep it for later", "keep"),
                ],
                default="keep",
            )
            try:
                if choice == "show":
                    password = self.store.kept_password(account_id, pending.user_name)
                    if password is None:
                        self.say("  The keyring no longer holds it.")
                        self.store.handed_over(account_id, pending.user_name)
                        continue
                    self.say(f"  Console password of {pending.user_name}:")
                    self.say(f"      {password}")
                    del password
                    if prompts.confirm("  Handed over now? (Deletes it from the keyring.)", default=False):
                        choice = "handed-over"
                if choice == "handed-over":
                    self.store.handed_over(account_id, pending.user_name)
                    self.say(f"  Deleted the console password of {pending.user_name} from the OS keyring.")
            except KeyringUnavailable as exc:
                self.say(f"  {exc.cause}")
                self.say(f"    {exc.next_move}")

    # -- manual actions -------------------------------------------------------------------
    def handle_manual(self, step: Step, action: Action) -> bool:
        """Show a console action, offer the practice account's simulation, then watch. True once done."""
        ws = self.workspace
        self.say(f"  To do by a person, in the AWS console: {action.summary}")
        if action.console_url:
            self.say(f"    Console: {action.console_url}")
        for number, text in enumerate(action.instructions, start=1):
            self.say(f"    {number}. {text}")
        if ws.practice is not None and action.simulation:
            description = simulation_description(action.simulation).rstrip(".")
            question = f"  This is the practice account: simulate this console action ({description})?"
            if prompts.confirm(question, default=True):
                try:
                    what = ws.practice.simulate(action.simulation, region=ws.answers["region"])
                except Exception as exc:
                    self.say(f"  The simulation could not be done: {exc}")
                else:
                    self.say(f"  {what}")
                    self.changed.append(f"{action.summary} (simulated on the practice account)")
                self.results = ws.engine.recheck(step.id, self.results)
                if self.results[step.id].done or action.key not in self.pending_keys(step):
                    self.say("  The check sees the change.")
                    return True
        return self.watch(step, action)

    def pending_keys(self, step: Step) -> set[str]:
        return {a.key for a in self.workspace.engine.plan_step(step, self.results) if a.is_manual}

    def watch(self, step: Step, action: Action) -> bool:
        """Re-check until the console action shows, with a countdown; Enter checks at once, s skips."""
        self.say(
            f"  Watching for it: checking again every {self.watch_seconds} s. "
            "Press Enter to check now; type s and Enter to leave it for later; Ctrl-C stops."
        )
        while True:
            if self.countdown() == "skip":
                return False
            self.results = self.workspace.engine.recheck(step.id, self.results)
            result = self.results[step.id]
            if result.done or action.key not in self.pending_keys(step):
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

    # -- the root user's access key ----------------------------------------------------------
    def offer_root_key_deletion(self) -> None:
        ws = self.workspace
        offer = root_key_offer(ws.identity, ws.aws, self.results)
        if offer is None:
            return
        self.say()
        self.say(
            "The administrative user is set up, and this run uses an access key of the root user. "
            "The CloudHSM guide advises deleting root access keys: the administrator does the rest."
        )
        self.say(f"  {offer.action().cli}")
        if not prompts.confirm(f"Delete the root user's access key {offer.access_key_id} now?", default=False):
            self.say("Kept. You can delete it later in the console: IAM > Security credentials > Access keys.")
            return
        outcome = ws.engine.run_action(offer.action(), self.results)
        if not outcome.ok:
            self.say(f"Not deleted: {outcome.message}")
            return
        self.changed.append(outcome.action.summary)
        self.forget_dead_credentials(offer.account_id, offer.access_key_id)
        user_name = str(ws.answers["admin.user_name"])
        if is_iam_mode(ws.answers):
            url = self.results["admin-user"].facts.get("sign_in_url", "the account's console sign-in URL")
            lines = [
                f"Continue as the IAM administrator {user_name}, not as the root user:",
                f"  1. Sign in at {url} with the password shown when it was set, and choose a new one.",
                "  2. Assign an MFA device to the user (IAM > Users > Security credentials).",
            ]
        else:
            lines = continue_as_administrator(self.results, user_name)
        for line in lines:
            self.say(line)

    def forget_dead_credentials(self, account_id: str, key_id: str) -> None:
        """The deleted key can no longer sign anything: drop it from the keyring too."""
        if account_id not in {entry.account_id for entry in self.store.saved()}:
            return
        try:
            saved = self.store.load(account_id)
            if saved is not None and saved.access_key_id == key_id:
                self.store.delete(account_id)
                self.say(f"Also deleted the saved copy of that key from the OS keyring (account {account_id}).")
        except KeyringUnavailable as exc:
            self.say(f"The saved copy in the OS keyring could not be deleted: {exc.cause}")
            self.say(f"  Run `hsm-setup forget --account {account_id}` later.")


def describe(connection: Connection) -> str:
    if connection.sandbox:
        return "the practice account"
    if connection.profile:
        return f"profile {connection.profile}"
    credentials = credentials_of(connection)
    if credentials is not None:
        return f"access key {credentials.access_key_id}"
    return "the default credentials"


def simulation_description(name: str) -> str:
    try:
        from hsm_setup.sandbox import SIMULATIONS
    except ImportError:
        return name
    return str(SIMULATIONS.get(name, name))
