"""One person's setup of one account: the flow every front end renders.

The Textual wizard, the plain prompts and the headless commands all drive a
Session. It owns the connection, the answers, the latest results and plans, what
each step allows now and why not, the follow-up offers, and the events a front
end listens to. Front ends only render `view()` and pass on what the person chose,
so two front ends cannot disagree about what happens next.

Threading: the methods marked "blocks" call AWS, the OS keyring or the disk; a
front end with an event loop runs them in a worker thread. Everything else is
quick and may be called from any thread. State changes happen under one lock;
listeners are called outside it, from whichever thread made the change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import msgspec

from hsm_setup.answers.fields import admin_mode, fields_for_step, is_iam_mode
from hsm_setup.answers.values import Answers
from hsm_setup.aws.connection import Connection
from hsm_setup.aws.identity import Identity
from hsm_setup.engine.events import ActionFinished, ActionStarted, Count, Event, Progress, StepChecked
from hsm_setup.engine.preflight import Preflight, preflight
from hsm_setup.engine.runner import ApplyReport, Engine
from hsm_setup.errors import HsmSetupError
from hsm_setup.model import SecretIssued, StepResult
from hsm_setup.organizations.choices import AccountPicker
from hsm_setup.organizations.per_account import steps_reading
from hsm_setup.secrets.store import KeyringUnavailable, SecretStore, StoredCredentials
from hsm_setup.session import facts
from hsm_setup.session.events import EngineEventSeen, Notice, OfferMade, SessionEvent, ViewChanged
from hsm_setup.session.offers import Choice, Offer, OfferKind, OfferOutcome
from hsm_setup.session.practice import PracticeAccount, StartPractice
from hsm_setup.session.root_key import RootKeyOffer, continue_as_administrator, root_key_offer
from hsm_setup.session.view import (
    ALLOWED,
    Allowance,
    Busy,
    Capability,
    Handoff,
    SessionView,
    StepState,
    StepView,
    refused,
)
from hsm_setup.session.workspace import Workspace, open_workspace
from hsm_setup.steps.actions import Action
from hsm_setup.steps.base import Step
from hsm_setup.steps.registry import STEPS

Listener = Callable[[SessionEvent], None]
# Hands a new console password to the person: returns once it is on their screen (then
# the secret is marked shown). The default shows nothing, so the password counts as not
# handed over and the next apply issues a new one.
# Shows a password AWS just issued to the person (what it returns is not used).
Reveal = Callable[[SecretIssued], object]

# File name endings the report is written as; anything else is HTML.
REPORT_FORMATS = {"md": "md", "markdown": "md", "json": "json", "html": "html", "htm": "html"}


class AnswerEdit(msgspec.Struct, frozen=True):
    """What a front end's edit of a step's inputs did."""

    # answers key -> message naming it, for every input that is not valid.
    problems: Mapping[str, str]
    changed: bool = False
    # The steps to check again now that the answers changed (empty: nothing to do).
    recheck: frozenset[str] = frozenset()
    # admin.mode changed: it decides what every other step does.
    mode_changed: bool = False


class HandoffResult(msgspec.Struct, frozen=True):
    """What a hand-off (report, AWS CLI profile) did, in lines for the person."""

    lines: tuple[str, ...]
    severity: str = "information"
    # The profile written, when an AWS CLI profile was.
    profile: str | None = None
    # A profile or sso-session of that name exists with other settings: ask before replacing it.
    conflict: str | None = None


class CheckTicket(msgspec.Struct):
    generation: int
    steps: frozenset[str]
    first: bool = False


class _State(msgspec.Struct):
    """Everything a view is built from. Guarded by Session._lock."""

    results: dict[str, StepResult] = msgspec.field(default_factory=dict)
    plans: dict[str, tuple[Action, ...]] = msgspec.field(default_factory=dict)
    checking: set[str] = msgspec.field(default_factory=set)
    started: dict[str, int] = msgspec.field(default_factory=dict)  # step -> generation of the newest check of it
    skipped: set[str] = msgspec.field(default_factory=set)
    dirty: set[str] = msgspec.field(default_factory=set)  # answers changed since the step's last check
    progress: dict[str, str] = msgspec.field(default_factory=dict)
    # How far an apply across many accounts has got, by step, while it runs.
    counts: dict[str, Count] = msgspec.field(default_factory=dict)
    problems: dict[str, dict[str, str]] = msgspec.field(default_factory=dict)
    busy: Busy | None = None
    busy_step: str | None = None
    offers: dict[str, Offer] = msgspec.field(default_factory=dict)
    handoff_lines: tuple[str, ...] = ()
    handoff_profile: str | None = None
    notices: list[str] = msgspec.field(default_factory=list)
    # The organization to choose target accounts from: read once a connection (Session.account_picker).
    accounts: AccountPicker | None = None
    accounts_read: bool = False


class Session:
    def __init__(
        self,
        *,
        store: SecretStore | None = None,
        start_practice: StartPractice | None = None,
        practice: PracticeAccount | None = None,
        scenario: str = "fresh",
        answers: Answers | None = None,
        sleep: Callable[[float], None] | None = None,
        reveal: Reveal | None = None,
        steps: tuple[Step, ...] = STEPS,
        interactive: bool = True,
    ) -> None:
        """`interactive`: a person is there, so the session makes the follow-up offers (keyring,
        passwords, the root key) and reads the account alias for the header. The headless
        commands are not: they ask nothing, never touch the OS keyring, and make no extra call."""
        self._store = store
        self.interactive = interactive
        self._start_practice = start_practice
        self._practice = practice
        self.scenario = scenario
        self._initial_answers = answers
        self._sleep = sleep
        self.reveal: Reveal = reveal or (lambda secret: None)
        self.steps = steps
        self._titles = {s.id: s.title for s in steps}
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._ws: Workspace | None = None
        self._closed = True
        self.connection: Connection | None = None
        self.identity: Identity | None = None
        self.alias: str | None = None
        self._state = _State()
        self._generation = 0
        # The check running on this thread: the engine reports its results on the thread that asked.
        self._running = threading.local()
        # Secrets an offer is about (typed credentials, a password just shown), by offer key. Memory only.
        self._typed: StoredCredentials | None = None
        self._issued: list[SecretIssued] = []
        self._offer_secrets: dict[str, SecretIssued | StoredCredentials] = {}
        self._root_offer: RootKeyOffer | None = None
        # What happened, in order: the parity of front ends is tested on it.
        self.history: list[tuple[str, ...]] = []
        self.outcomes_changed: list[str] = []

    @property
    def store(self) -> SecretStore:
        if self._store is None:
            self._store = SecretStore()
        return self._store

    # -- listening ----------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, event: SessionEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    def _changed(self) -> None:
        self._emit(ViewChanged())

    def _notify(self, text: str, severity: str = "information", title: str = "") -> None:
        with self._lock:
            self._state.notices.append(text)
        self._emit(Notice(text, severity, title))

    # -- connecting ----------------------------------------------------------------------
    @property
    def workspace(self) -> Workspace:
        if self._ws is None:
            raise HsmSetupError("Not connected to an account yet.", "Connect first.")
        return self._ws

    @property
    def engine(self) -> Engine:
        return self.workspace.engine

    def account_picker(self) -> AccountPicker | None:
        """The organization to choose admin.accounts and cloudhsm.accounts from (blocks the first time: read in
        pages, once a connection); None when the account is in no organization this caller may read, or the
        organization has no other account: the fields are then not asked, and the answers stay "this"."""
        from hsm_setup.organizations.choices import picker

        with self._lock:
            if self._state.accounts_read:
                return self._state.accounts
        account_id = self.engine.identity().account_id
        try:
            tree, caller = self.engine.organization.organization(account_id)
        except Exception:  # not allowed to read the organization: the answers stay typed by hand
            tree = None
        chosen = picker(tree, caller) if tree is not None and len(tree.accounts) > 1 else None
        with self._lock:
            self._state.accounts, self._state.accounts_read = chosen, True
        self._changed()
        return chosen

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._closed and self.identity is not None

    @property
    def practice(self) -> PracticeAccount | None:
        return self._ws.practice if self._ws is not None else None

    def connect(self, connection: Connection, *, typed: StoredCredentials | None = None) -> Identity:
        """Open the account (blocks): who the caller is, the saved answers and progress, the first offers.

        `typed`: credentials the person typed in, offered for the OS keyring now that STS accepted them.
        """
        self.close()
        ws = open_workspace(
            connection,
            answers=self._initial_answers,
            scenario=self.scenario,
            on_event=self._on_engine_event,
            sleep=self._sleep,
            practice=self._practice,
            start_practice=self._start_practice,
        )
        try:
            # Credentials first, on this thread: a role's MFA code is asked here (by the
            # connection's asker), not on a thread of the engine's; a cached role session
            # or a static key is used without asking.
            ws.aws.sign_in()
            # sts GetCallerIdentity goes out first; the other clients are made while it travels.
            ws.engine.identity_future()
            ws.aws.warm_up()
            identity = ws.identity
            ws.load_state()
        except BaseException:
            ws.close()
            raise
        alias = facts.account_alias(ws) if self.interactive else None
        with self._lock:
            self._ws, self.connection, self.identity, self.alias = ws, connection, identity, alias
            self._closed = False
            self._state = _State()
            self._typed = typed
        interrupted = ws.state.in_flight() if ws.state is not None else []
        if interrupted:
            self._notify(
                f"The last run stopped during: {', '.join(interrupted)}. Those steps are checked again now and finished.",
                title="Resuming",
            )
        self._offer_typed_credentials()
        self._offer_kept_passwords()
        self._changed()
        return identity

    def close(self) -> None:
        """Let go of the account: the practice account stops, the view is empty again.

        The closed workspace and the last results stay readable until the next connect,
        so what the run did (its calls, its saved state, where it stopped) can still be reported.
        """
        with self._lock:
            ws, already = self._ws, self._closed
            self._closed = True
            self.identity = None
            self._state.offers.clear()
            self._root_offer = None
        if ws is not None and not already:
            ws.close()

    # -- checking ------------------------------------------------------------------------
    def affected(self, step_ids: Iterable[str] | None) -> frozenset[str]:
        """These steps and every step that depends on them (None: every step)."""
        if step_ids is None:
            return frozenset(s.id for s in self.steps)
        affected = set(step_ids)
        for step in self.steps:  # in dependency order
            if any(d in affected for d in step.depends_on):
                affected.add(step.id)
        return frozenset(affected)

    def begin_check(self, step_ids: Iterable[str] | None = None, *, first: bool = False) -> CheckTicket:
        """Mark steps as being checked (quick): the view says so at once; `run_check` does the work."""
        affected = self.affected(step_ids)
        with self._lock:
            self._generation += 1
            ticket = CheckTicket(self._generation, affected, first)
            self._state.checking |= affected
            for step_id in affected:
                self._state.started[step_id] = ticket.generation
        self._changed()
        return ticket

    def run_check(self, ticket: CheckTicket) -> dict[str, StepResult]:
        """Check the ticket's steps against the account (blocks) and keep what no newer check replaced."""
        engine = self.engine
        with self._lock:
            prior = dict(self._state.results)
        every = ticket.steps == self.affected(None)
        self._running.ticket = ticket
        try:
            results = engine.check() if every or not prior else engine.check(only=set(ticket.steps), prior=prior)
            plans = _plans(engine, results)
        except BaseException:
            with self._lock:
                self._state.checking -= {s for s in ticket.steps if self._state.started.get(s) == ticket.generation}
            self._changed()
            raise
        finally:
            self._running.ticket = None
        with self._lock:
            current = {s for s in ticket.steps if self._state.started.get(s) == ticket.generation}
            for step_id in current:
                self._state.results[step_id] = results[step_id]
                self._state.plans[step_id] = plans[step_id]
                self._state.progress.pop(step_id, None)
            self._state.checking -= current
            self._state.dirty -= current
        self.history.append(("check", *sorted(ticket.steps)))
        self._after_results()
        self._changed()
        return results

    def check(self, step_ids: Iterable[str] | None = None) -> dict[str, StepResult]:
        """Check steps and their dependents (blocks): `begin_check` then `run_check`."""
        return self.run_check(self.begin_check(step_ids))

    def _on_engine_event(self, event: Event) -> None:
        """Engine events, from the engine's threads: live statuses and progress lines."""
        if isinstance(event, SecretIssued):
            self.reveal(event)
            if event.shown:
                with self._lock:
                    self._issued.append(event)
            return
        with self._lock:
            if isinstance(event, StepChecked):
                step_id = event.result.step_id
                ticket: CheckTicket | None = getattr(self._running, "ticket", None)
                if ticket is not None and self._state.started.get(step_id) != ticket.generation:
                    return  # a newer check of this step is under way: this result is already old
                self._state.results[step_id] = event.result
                self._state.checking.discard(step_id)
                # The old plan no longer matches this result; the new one comes when the check ends.
                self._state.plans.pop(step_id, None)
            elif isinstance(event, Progress):
                count = event.count
                self._state.progress[event.step_id] = count.words if count is not None else event.message
                if count is not None:
                    self._state.counts[event.step_id] = count
            elif isinstance(event, ActionStarted):
                self._state.progress[event.action.step_id] = f"Running: {event.action.summary}"
                self._state.counts.pop(event.action.step_id, None)
            elif isinstance(event, ActionFinished):
                self._state.counts.pop(event.outcome.action.step_id, None)
                verb = "Done" if event.outcome.ok else "Failed"
                self._state.progress[event.outcome.action.step_id] = f"{verb}: {event.outcome.action.summary}"
        self._emit(EngineEventSeen(event))
        self._changed()

    # -- answers ---------------------------------------------------------------------------
    def edit_answers(self, step_id: str, typed: Mapping[str, object]) -> AnswerEdit:
        """Take a step's inputs as typed (text, or a list for list fields); validate; keep the valid ones.

        A changed admin.mode re-checks every step (it decides what the other steps do);
        any other change re-checks the step and its dependents.
        """
        ws = self.workspace
        current = ws.answers
        # The mode picks which fields apply and by which rules (admin.user_name is an IAM or an Identity Center name).
        mode = str(typed.get("admin.mode") or admin_mode(current))
        values: dict[str, object] = {}
        problems: dict[str, str] = {}
        # The fields about the organization's other accounts too: a front end sends them only where it asked them.
        for field_ in fields_for_step(step_id, mode, organization=True):
            if field_.key not in typed:
                continue
            raw = typed[field_.key]
            value = field_.parse(raw) if isinstance(raw, str) else raw
            problem = field_.error(value, mode)
            if problem:
                problems[field_.key] = problem
            else:
                values[field_.key] = value
        with self._lock:
            self._state.problems[step_id] = problems
        if problems:
            self._changed()
            return AnswerEdit(problems)
        updated = current.replace(values)
        before, after = current.to_flat(), updated.to_flat()
        changed_keys = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
        changed = bool(changed_keys)
        unsaved = ws.state is not None and not ws.state.answers
        if changed or unsaved:
            ws.set_answers(updated)  # saved, so the next run resumes with them
        if not changed:
            self._changed()
            return AnswerEdit({})
        mode_changed = admin_mode(updated) != admin_mode(current)
        # Target accounts and the member role are read by other steps than the one that asks them.
        recheck = self.affected(None) if mode_changed else self.affected([step_id, *steps_reading(changed_keys)])
        with self._lock:
            self._state.dirty |= recheck
        self.history.append(("answers", step_id, "mode" if mode_changed else "values"))
        self._changed()
        return AnswerEdit({}, changed=True, recheck=recheck, mode_changed=mode_changed)

    # -- applying --------------------------------------------------------------------------
    def begin_apply(self, step_id: str) -> None:
        """Reserve the step for an apply (quick): the view says "applying" at once; raises when not allowed."""
        with self._lock:
            if self._state.busy is Busy.APPLY and self._state.busy_step == step_id:
                return
            allowance = self._allowance(step_id, Capability.APPLY)
            if not allowance:
                raise HsmSetupError(f"Apply is not possible now: {allowance.reason}")
            self._state.busy, self._state.busy_step = Busy.APPLY, step_id
            self._state.checking.discard(step_id)
            self._state.progress[step_id] = "Applying…"
        self._changed()

    def apply_step(self, step_id: str) -> ApplyReport:
        """Make the changes in the step's plan (blocks), then check again; raises when not allowed now."""
        self.begin_apply(step_id)
        report = self._apply(only={step_id})
        with self._lock:
            self._state.dirty.discard(step_id)
            if report.failed or report.stopped:
                self._state.progress[step_id] = "Apply failed: see the message."
            else:
                made = len(report.changed)
                rest = " The rest is yours to do in the console." if report.pending_manual else ""
                self._state.progress[step_id] = f"Applied {made} change(s).{rest}"
        self.history.append(("apply", step_id))
        self._after_apply(report)
        return report

    def apply_all(self) -> ApplyReport:
        """Make every planned change, in dependency order (blocks), then check again: headless `apply`.

        The step-by-step front ends use `apply_step`; both leave the session's results and plans
        as a check would, so what follows (the report, the exit code) reads the same state.
        """
        with self._lock:
            if self._state.busy is not None:
                raise HsmSetupError(f"Apply is not possible now: a {self._state.busy.value} is under way.")
            self._state.busy = Busy.APPLY
        report = self._apply(only=None)
        with self._lock:
            self._state.dirty.clear()
        self.history.append(("apply", *sorted(self._state.results)))
        self._after_apply(report)
        return report

    def _apply(self, only: set[str] | None) -> ApplyReport:
        """Run the engine's apply under the account's lock (the caller reserved the session as busy);
        the results and plans it leaves are the session's, as a check's would be."""
        ws = self.workspace
        with self._lock:
            prior = dict(self._state.results)
            self._issued = []
        try:
            with ws.load_state().locked():
                report = ws.engine.apply(prior, only=only)
            plans = _plans(ws.engine, report.results)
        finally:
            with self._lock:
                self._state.busy = self._state.busy_step = None
                self._state.counts.clear()
        with self._lock:
            self._state.results, self._state.plans = dict(report.results), plans
            self._state.checking.clear()
        return report

    def _after_apply(self, report: ApplyReport) -> None:
        """What follows every apply: its changes are noted, issued passwords offered, the view redrawn."""
        self.outcomes_changed.extend(o.action.summary for o in report.changed)
        self._offer_issued_passwords()
        self._after_results()
        self._changed()

    def confirmation(self, step_id: str) -> tuple[Action, ...]:
        """The changes Apply would make on this step, for the person to confirm."""
        with self._lock:
            return tuple(a for a in self._state.plans.get(step_id, ()) if not a.is_manual)

    def preflight(self, step_id: str) -> Preflight:
        """Ask IAM whether the caller may make this step's planned changes (blocks: one or a few requests).

        What `apply` does before changing anything, for the step about to be confirmed: when it
        blocks, the front end shows what is missing and offers no Apply.
        """
        with self._lock:
            results = dict(self._state.results)
            planned = {step_id: list(self._state.plans.get(step_id, ()))}
        verdict = preflight(self.workspace.engine, results, planned)
        self.history.append(("preflight", step_id, verdict.outcome))
        return verdict

    # -- console actions ---------------------------------------------------------------------
    def begin_simulation(self, step_id: str) -> Action:
        """Reserve the step for a simulation (quick); raises when there is nothing to simulate now."""
        with self._lock:
            action = self._simulation(step_id)
            if self._state.busy is Busy.SIMULATE and self._state.busy_step == step_id and action is not None:
                return action
            allowance = self._allowance(step_id, Capability.SIMULATE)
            if not allowance or action is None or action.simulation is None:
                raise HsmSetupError(
                    f"Simulate is not possible now: {allowance.reason or 'no console action to simulate'}"
                )
            self._state.busy, self._state.busy_step = Busy.SIMULATE, step_id
            self._state.progress[step_id] = f"Simulating: {action.summary}"
        self._changed()
        return action

    def simulate(self, step_id: str) -> str:
        """Practice account: stand in for the step's console action (blocks); returns what changed."""
        action = self.begin_simulation(step_id)
        practice = self.practice
        assert practice is not None and action.simulation is not None  # begin_simulation checked both
        try:
            what = practice.simulate(action.simulation, region=str(self.workspace.answers["region"]))
        finally:
            with self._lock:
                self._state.busy = self._state.busy_step = None
        self.history.append(("simulate", step_id))
        self.outcomes_changed.append(f"{action.summary} (simulated on the practice account)")
        self.check([step_id])
        with self._lock:
            done = step_id in self._state.results and self._state.results[step_id].done
            self._state.progress[step_id] = "Simulated the console action." + (" The step is done." if done else "")
        self._changed()
        return what

    def describe_simulation(self, step_id: str) -> str:
        action = self._simulation(step_id)
        practice = self.practice
        if action is None or action.simulation is None or practice is None:
            return ""
        return practice.describe_simulation(action.simulation)

    def pending_console_actions(self, step_id: str) -> tuple[Action, ...]:
        with self._lock:
            return tuple(a for a in self._state.plans.get(step_id, ()) if a.is_manual)

    # -- skipping and moving ------------------------------------------------------------------
    def skip(self, step_id: str) -> None:
        with self._lock:
            self._state.skipped.add(step_id)
        self.history.append(("skip", step_id))
        self._changed()

    def next_step(self, step_id: str | None) -> str | None:
        """The step after this one; None after the last (the summary comes next)."""
        ids = [s.id for s in self.steps]
        if step_id in ids and ids.index(step_id) + 1 < len(ids):
            return ids[ids.index(step_id) + 1]
        return None

    def previous_step(self, step_id: str | None) -> str | None:
        ids = [s.id for s in self.steps]
        if step_id in ids and ids.index(step_id) > 0:
            return ids[ids.index(step_id) - 1]
        return None

    # -- offers --------------------------------------------------------------------------------
    def _make_offer(self, offer: Offer, secret: SecretIssued | StoredCredentials | None = None) -> None:
        with self._lock:
            if offer.key in self._state.offers:
                return
            self._state.offers[offer.key] = offer
            if secret is not None:
                self._offer_secrets[offer.key] = secret
        self.history.append(("offer", offer.kind.value))
        self._emit(OfferMade(offer))
        self._changed()

    def _withdraw(self, key: str) -> None:
        with self._lock:
            self._state.offers.pop(key, None)
            self._offer_secrets.pop(key, None)

    def offers(self) -> tuple[Offer, ...]:
        with self._lock:
            return tuple(self._state.offers.values())

    def answer(self, offer: Offer, choice: str) -> OfferOutcome:
        """Act on the person's answer to an offer (blocks: the OS keyring, or AWS for the root key)."""
        offer.choice(choice)  # an answer the offer does not take is a programming error: say so
        with self._lock:
            secret = self._offer_secrets.get(offer.key)
        self._withdraw(offer.key)
        self.history.append(("answer", offer.kind.value, choice))
        try:
            outcome = self._answer(offer, choice, secret)
        finally:
            self._changed()
        return outcome

    def _answer(self, offer: Offer, choice: str, secret: SecretIssued | StoredCredentials | None) -> OfferOutcome:
        kind = offer.kind
        account = self.identity.account_id if self.identity else ""
        if kind is OfferKind.KEEP_CREDENTIALS:
            if choice != "keep" or not isinstance(secret, StoredCredentials):
                return OfferOutcome(("The credentials stay in memory for this run only.",))
            caller = self.identity.arn if self.identity else ""
            return self._keyring(
                lambda: self.store.save(account, secret, caller_arn=caller),
                f"Saved in the OS keyring. `hsm-setup forget --account {account}` deletes them.",
            )
        if kind is OfferKind.KEEP_PASSWORD:
            if choice != "keep" or not isinstance(secret, SecretIssued):
                return OfferOutcome(("Not kept: it was shown once.",))
            return self._keyring(
                lambda: self.store.keep_password(secret.account_id, secret.user_name, secret.secret),
                f"Kept in the OS keyring until handed over. `hsm-setup forget --account {secret.account_id}` deletes it.",
                failed_tail=" The password is not kept anywhere: make sure you copied it.",
            )
        user = offer.key.rsplit(":", 1)[-1]
        if kind is OfferKind.KEPT_PASSWORD:
            if choice == "show":
                return self._show_kept_password(account, user)
            if choice == "handed-over":
                return self._hand_over(account, user)
            return OfferOutcome(("Kept for later: the next run asks again.",))
        if kind is OfferKind.HANDED_OVER:
            if choice == "handed-over":
                return self._hand_over(account, user)
            return OfferOutcome(("Kept in the OS keyring until it is handed over.",))
        if kind is OfferKind.DELETE_ROOT_KEY:
            if choice == "delete":
                return self.delete_root_key()
            return OfferOutcome(
                (
                    "Kept. You can delete it later from the summary, or in the console: IAM > Security credentials > Access keys.",
                )
            )
        raise AssertionError(f"unknown offer {kind}")  # pragma: no cover - every kind is handled above

    def _keyring(self, call: Callable[[], object], done: str, *, failed_tail: str = "") -> OfferOutcome:
        try:
            call()
        except KeyringUnavailable as exc:
            tail = failed_tail or f" {exc.next_move}"
            return OfferOutcome((f"{exc.cause}{tail}",), severity="warning")
        return OfferOutcome((done,))

    def _offer_typed_credentials(self) -> None:
        typed, identity = self._typed, self.identity
        self._typed = None
        if typed is None or identity is None or not self.interactive:
            return
        problem = self.store.available()
        if problem:
            self._notify(
                f"{problem} The credentials stay in memory for this run only; nothing is written to a file.",
                "warning",
                "No OS keyring",
            )
            return
        self._make_offer(
            Offer(
                OfferKind.KEEP_CREDENTIALS,
                f"keep-credentials:{identity.account_id}",
                "Keep these credentials?",
                f"Keep these credentials in the OS keyring (access key {typed.access_key_id}), so a later run can resume "
                f"account {identity.account_id}? They are never written to a file.",
                (Choice("keep", "Keep in keyring"), Choice("memory", "Memory only")),
                default="memory",
            ),
            typed,
        )

    def _offer_kept_passwords(self) -> None:
        if self.identity is None or not self.interactive:
            return
        # From the keyring's index: user names only, no keyring call and no secret.
        for pending in self.store.pending_passwords(self.identity.account_id):
            self._make_offer(
                Offer(
                    OfferKind.KEPT_PASSWORD,
                    f"kept-password:{pending.account_id}:{pending.user_name}",
                    "A console password is waiting to be handed over",
                    f"The OS keyring keeps the console password of IAM user {pending.user_name} until it is handed "
                    "over. Show it now? Once it is shown you can mark it handed over, which deletes it from the keyring.",
                    (
                        Choice("show", "Show it now"),
                        Choice("handed-over", "It was handed over: delete it"),
                        Choice("later", "Later"),
                    ),
                    default="later",
                )
            )

    def _offer_issued_passwords(self) -> None:
        with self._lock:
            issued, self._issued = self._issued, []
        if not self.interactive:
            return
        for secret in issued:
            problem = self.store.available()
            if problem:
                self._notify(
                    f"{problem} The password is not kept anywhere: make sure you copied it.", "warning", "Not kept"
                )
                continue
            self._make_offer(
                Offer(
                    OfferKind.KEEP_PASSWORD,
                    f"keep-password:{secret.account_id}:{secret.user_name}",
                    "Keep the password?",
                    f"Keep the console password of {secret.user_name} in the OS keyring until you mark it handed "
                    "over? It is never written to a file.",
                    (Choice("keep", "Keep in keyring"), Choice("no", "Don't keep")),
                    default="no",
                ),
                secret,
            )

    def _show_kept_password(self, account: str, user: str) -> OfferOutcome:
        try:
            password = self.store.kept_password(account, user)
            if password is None:
                self.store.handed_over(account, user)  # only its name was left in the index
                return OfferOutcome((f"The OS keyring no longer holds the console password of {user}.",), "warning")
        except KeyringUnavailable as exc:
            return OfferOutcome((f"{exc.cause} {exc.next_move}",), "warning")
        follow_up = Offer(
            OfferKind.HANDED_OVER,
            f"handed-over:{account}:{user}",
            "Handed over?",
            f"Has {user} got the password now? Marking it handed over deletes it from the OS keyring.",
            (Choice("handed-over", "Handed over: delete it"), Choice("keep", "Keep it for now")),
            default="keep",
        )
        return OfferOutcome((f"Console password of {user}:",), secret=password, follow_up=follow_up)

    def _hand_over(self, account: str, user: str) -> OfferOutcome:
        self._withdraw(f"handed-over:{account}:{user}")
        return self._keyring(
            lambda: self.store.handed_over(account, user),
            f"Deleted the console password of {user} from the OS keyring.",
        )

    # -- the root user's access key --------------------------------------------------------------
    def _after_results(self) -> None:
        """What a new result makes possible: the root access key may go once the administrator exists."""
        ws, identity = self._ws, self.identity
        if ws is None or identity is None or not self.connected or not self.interactive:
            return
        with self._lock:
            results = dict(self._state.results)
        offer = root_key_offer(identity, ws.aws, results)
        with self._lock:
            self._root_offer = offer
        key = "delete-root-key"
        if offer is None:
            self._withdraw(key)
            return
        if ("offer", OfferKind.DELETE_ROOT_KEY.value) in self.history:
            return  # made once; declined, it stays on the summary as a hand-off
        self._make_offer(_root_key_question(offer))

    def root_key_question(self) -> Offer | None:
        """The question to delete the root access key, asked again from the summary (None: nothing to delete)."""
        with self._lock:
            offer = self._root_offer
        return _root_key_question(offer) if offer is not None else None

    def delete_root_key(self) -> OfferOutcome:
        """Delete the root access key in use (blocks), drop a saved copy of it, say how to go on."""
        offer, ws = self._root_offer, self.workspace
        if offer is None:
            return OfferOutcome(("There is no root access key to delete now.",), "warning")
        with self._lock:
            self._state.busy, self._state.busy_step = Busy.APPLY, "root-user"
            results = dict(self._state.results)
        self._changed()
        try:
            with ws.load_state().locked():
                outcome = ws.engine.run_action(offer.action(), results)
        finally:
            with self._lock:
                self._state.busy = self._state.busy_step = None
        if not outcome.ok:
            return OfferOutcome((f"The root access key was not deleted: {outcome.message}",), "error")
        self.outcomes_changed.append(outcome.action.summary)
        self.history.append(("delete-root-key",))
        with self._lock:
            self._root_offer = None
        self._withdraw("delete-root-key")
        lines = [f"Deleted the root user's access key {offer.access_key_id}."]
        lines += self._forget_dead_key(offer)
        lines += self.continue_lines(results)
        self._set_handoff(tuple(lines), None)
        return OfferOutcome(tuple(lines))

    def _forget_dead_key(self, offer: RootKeyOffer) -> list[str]:
        """The deleted key signs nothing any more: a saved copy of it goes too."""
        try:
            if offer.account_id not in {e.account_id for e in self.store.saved()}:
                return []
            saved = self.store.load(offer.account_id)
            if saved is not None and saved.access_key_id == offer.access_key_id:
                self.store.delete(offer.account_id)
                return [f"Also deleted the saved copy of that key from the OS keyring (account {offer.account_id})."]
        except KeyringUnavailable as exc:
            return [
                f"The saved copy in the OS keyring could not be deleted ({exc.cause}); "
                f"run `hsm-setup forget --account {offer.account_id}`."
            ]
        return []

    def continue_lines(self, results: Mapping[str, StepResult] | None = None) -> list[str]:
        """How to continue as the new administrator instead of the root user."""
        ws = self.workspace
        with self._lock:
            results = dict(results or self._state.results)
        user_name = str(ws.answers["admin.user_name"])
        if is_iam_mode(ws.answers):
            url = facts.sign_in_url(results) or "the account's console sign-in URL"
            return [
                f"Continue as the IAM administrator {user_name}, not as the root user:",
                f"  1. Sign in at {url} with the password shown when it was set, and choose a new one.",
                "  2. Assign an MFA device to the user (IAM > Users > Security credentials).",
            ]
        return continue_as_administrator(results, user_name)

    # -- hand-offs ---------------------------------------------------------------------------------
    def _set_handoff(self, lines: tuple[str, ...], profile: str | None) -> None:
        with self._lock:
            self._state.handoff_lines = lines
            self._state.handoff_profile = profile
        self._changed()

    def write_report(self, path: str) -> HandoffResult:
        """Write the report (blocks); the file name's ending picks the format: .md, .json, else HTML."""
        from hsm_setup.handoff.report import build_report, render_report
        from hsm_setup.state.files import atomic_write

        target = Path(path).expanduser()
        fmt = REPORT_FORMATS.get(target.suffix.lower().lstrip("."), "html")
        with self._lock:
            results = dict(self._state.results)
        text = render_report(build_report(self.workspace, results), fmt)
        try:
            atomic_write(target, text)
        except OSError as exc:
            result = HandoffResult((f"The report could not be written to {target}: {exc.strerror or exc}.",), "error")
        else:
            result = HandoffResult((f"Report written to {target.resolve()}",))
        self._set_handoff(result.lines, self._state.handoff_profile)
        return result

    def report_path_problem(self, path: str) -> str | None:
        if not path.strip():
            return "file: name a file to write"
        if Path(path).expanduser().is_dir():
            return "file: name a file to write, not a folder"
        return None

    def default_report_path(self) -> str:
        account = self.identity.account_id if self.identity else "account"
        return f"./hsm-setup-report-{account}.html"

    def write_sso_profile(self, name: str, *, force: bool = False) -> HandoffResult:
        """Add an AWS CLI profile that signs in as the administrator (blocks)."""
        from hsm_setup.handoff.sso_profile import ProfileConflict, settings_from, write_sso_profile

        with self._lock:
            results = dict(self._state.results)
        try:
            written = write_sso_profile(name, force=force, **settings_from(self.workspace, results))
        except ProfileConflict as exc:
            return HandoffResult((exc.cause,), profile=name, conflict=exc.cause)
        except HsmSetupError as exc:
            result = HandoffResult((exc.cause, exc.next_move), "error")
            self._set_handoff(result.lines, None)
            return result
        lines = [
            f"Wrote profile {name} to {written.config_path}."
            if written.changed
            else f"{written.config_path} already has profile {name} as wanted."
        ]
        if written.backup_path is not None:
            lines.append(f"The file as it was is kept in {written.backup_path}.")
        lines.append(f"Sign in as the administrator with:  {written.login_command}")
        result = HandoffResult(tuple(lines), profile=name)
        self._set_handoff(result.lines, name)
        return result

    def continue_as(self) -> Connection | None:
        """A connection as the AWS CLI profile just written (after `aws sso login`)."""
        with self._lock:
            name = self._state.handoff_profile
        if not name:
            return None
        region = str(self._ws.answers["region"]) if self._ws is not None else None
        return Connection(profile=name, region=region)

    # -- the view ----------------------------------------------------------------------------------
    def view(self) -> SessionView:
        with self._lock:
            state = self._state
            ws = self._ws
            steps = tuple(self._step_view(number, step) for number, step in enumerate(self.steps, 1))
            return SessionView(
                connection=self.connection,
                identity=self.identity,
                alias=self.alias,
                practice=ws is not None and ws.practice is not None and not self._closed,
                answers=ws.answers if ws is not None and not self._closed else None,
                steps=steps,
                busy=state.busy,
                busy_step=state.busy_step,
                offers=tuple(state.offers.values()),
                handoffs=self._handoffs(),
                handoff_lines=state.handoff_lines,
                handoff_profile=state.handoff_profile,
                notices=tuple(state.notices),
                root_access_key=self._root_offer.access_key_id if self._root_offer is not None else None,
                accounts=state.accounts,
                accounts_read=state.accounts_read,
            )

    def _step_view(self, number: int, step: Step) -> StepView:
        state = self._state
        plan = state.plans.get(step.id)
        return StepView(
            id=step.id,
            number=number,
            title=step.title,
            why=step.why,
            guidance=step.guidance,
            state=self._step_state(step.id),
            result=state.results.get(step.id),
            plan=plan,
            progress=state.progress.get(step.id, ""),
            problems=dict(state.problems.get(step.id, {})),
            allowances={capability: self._allowance(step.id, capability) for capability in Capability},
            simulation=self._simulation(step.id),
            console_url=next((a.console_url for a in plan or () if a.console_url), None),
            stale=step.id in state.dirty,
            count=state.counts.get(step.id),
        )

    def _step_state(self, step_id: str) -> StepState:
        state = self._state
        if state.busy is not None and step_id == state.busy_step:
            return StepState.APPLYING if state.busy is Busy.APPLY else StepState.SIMULATING
        if step_id in state.checking:
            return StepState.CHECKING
        if step_id in state.skipped:
            return StepState.SKIPPED
        result = state.results.get(step_id)
        if result is None:
            return StepState.WAITING
        status = result.status.value
        if status in ("done", "skipped", "blocked", "error"):
            return {
                "done": StepState.DONE,
                "skipped": StepState.SKIPPED,
                "blocked": StepState.BLOCKED,
                "error": StepState.ERROR,
            }[status]
        if result.missing_answers:
            return StepState.NEEDS_INPUT
        plan = state.plans.get(step_id)
        if plan is None:
            return StepState.CHECKING  # checked; the plan that says "to do" or "needs you" is being made
        return StepState.NEEDS_YOU if plan and all(a.is_manual for a in plan) else StepState.TO_DO

    def _simulation(self, step_id: str) -> Action | None:
        if self._ws is None or self._ws.practice is None:
            return None
        return next((a for a in self._state.plans.get(step_id, ()) if a.is_manual and a.simulation), None)

    def _allowance(self, step_id: str, capability: Capability) -> Allowance:
        with self._lock:
            state = self._state
            connected = self.connected
            checking = step_id in state.checking
            result = state.results.get(step_id)
            plan = state.plans.get(step_id) or ()
            settled = result is not None and not checking
            if capability is Capability.CONSOLE:
                if any(a.console_url for a in plan):
                    return ALLOWED
                return refused("This step has nothing to do in the console.")
            if not connected:
                return refused("Connect to an account first.")
            if state.busy is not None:
                return refused("Wait for the change that is running to finish.")
            if capability is Capability.SKIP:
                return ALLOWED
            if capability is Capability.CHECK:
                return refused("This step is being checked now.") if checking else ALLOWED
            if capability is Capability.SIMULATE:
                if not settled or self._simulation(step_id) is None:
                    return refused("This step has no console action to simulate now (or it is being checked).")
                return ALLOWED
            problems = state.problems.get(step_id)
            if problems:
                return refused("Fix the inputs first: " + "; ".join(problems.values()))
            missing = self._ws.answers.missing_messages(step_id) if self._ws is not None else []
            if capability is Capability.APPLY and missing:
                # Nobody is made up on a real account: apply waits for the person's own answers.
                return refused("Give the answers first: " + "; ".join(missing))
            if checking or step_id in state.dirty:
                return refused("Wait for the check to finish.")
            if result is not None and result.done:
                return refused("This step is already done.")
            if plan and all(a.is_manual for a in plan):
                return refused("What is left is done in the AWS console.")
            if not settled or not any(not a.is_manual for a in plan):
                return refused("There is nothing to apply for this step yet.")
            return ALLOWED

    def _handoffs(self) -> dict[Handoff, Allowance]:
        state, ws = self._state, self._ws
        ready = refused("Wait for the change that is running to finish.") if state.busy else ALLOWED
        if ws is None or not self.connected:
            return {}
        handoffs: dict[Handoff, Allowance] = {Handoff.REPORT: ready}
        # An SSO profile signs in through the access portal: it needs Identity Center, and means nothing in IAM mode.
        if not is_iam_mode(ws.answers):
            portal = facts.portal_url(state.results)
            handoffs[Handoff.SSO_PROFILE] = ready if portal else refused("IAM Identity Center is not enabled yet.")
        if state.handoff_profile:
            handoffs[Handoff.CONTINUE_AS] = ready
        if self._root_offer is not None:
            handoffs[Handoff.DELETE_ROOT_KEY] = ready
        return handoffs

    # -- the end -------------------------------------------------------------------------------------
    def exit_code(self) -> int:
        """0 when every step is done (a skipped step counts as done, as the core counts it), 1 otherwise."""
        with self._lock:
            results = dict(self._state.results)
        if not results or len(results) < len(self.steps):
            return 1
        return 0 if all(r.done for r in results.values()) else 1

    def results(self) -> dict[str, StepResult]:
        with self._lock:
            return dict(self._state.results)

    def plans(self) -> dict[str, tuple[Action, ...]]:
        with self._lock:
            return dict(self._state.plans)

    def plan_lists(self) -> dict[str, list[Action]]:
        """Every step's plan in step order, as the engine's `plan` gives it (the headless renderers take it)."""
        with self._lock:
            return {step.id: list(self._state.plans.get(step.id, ())) for step in self.steps}


def _root_key_question(offer: RootKeyOffer) -> Offer:
    return Offer(
        OfferKind.DELETE_ROOT_KEY,
        "delete-root-key",
        "Delete the root user's access key?",
        offer.question,
        (Choice("delete", f"Delete {offer.access_key_id}"), Choice("keep", "Keep it")),
        default="keep",
        danger=True,
        command=offer.action().cli,
    )


def _plans(engine: Engine, results: Mapping[str, StepResult]) -> dict[str, tuple[Action, ...]]:
    """Every step's plan; planning reads facts, never AWS, so a failure is the step's own error."""
    plans: dict[str, tuple[Action, ...]] = {}
    for step in engine.steps:
        try:
            plans[step.id] = tuple(engine.plan_step(step, dict(results)))
        except Exception:
            plans[step.id] = ()
    return plans


__all__ = ["AnswerEdit", "CheckTicket", "HandoffResult", "Session"]
