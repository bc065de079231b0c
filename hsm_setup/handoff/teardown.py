"""Undoing what hsm-setup created (or changed), and only that, in the order AWS allows.

The steps record every resource they create (not ones they adopt) in the account's
saved state (AccountState.created), as the typed records of hsm_setup.resources.
Teardown plans one undoing per record, in the kinds' declared order (account
assignments, memberships, groups, permission sets, policy attachments, versions and
policies, users); the service-linked role only when asked, since AWS keeps it while
clusters exist. What apply made in member accounts (the CloudHSM group, policy and
service-linked role) is noted in the member notes file instead, and undone last as one
item that goes through every noted account at once (resources.member_accounts). The root
user's settings, the organization and Identity Center's enablement are never recorded, so
never touched.

Every undoing reads first and treats "already gone" as done, and a record is
dropped only once its resource is gone, so an interrupted teardown is finished by
running it again. Notes written by an earlier version are read the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import msgspec

from hsm_setup.aws.clients import AwsSession
from hsm_setup.errors import Problem, explain
from hsm_setup.model import FATAL_KINDS
from hsm_setup.organizations.member_notes import AccountNotes, MemberNotes
from hsm_setup.resources.base import Record, UnreadableNote
from hsm_setup.resources.kinds import PARENT_KINDS, record_from_note, undo_rank
from hsm_setup.resources.member_accounts import InMemberAccounts, named
from hsm_setup.resources.service_linked_role import ServiceLinkedRole
from hsm_setup.state.account import AccountState


class Removal(msgspec.Struct):
    """One thing teardown undoes: the record, and the records that go with it (a permission set's policies)."""

    record: Record
    covers: list[Record] = msgspec.field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.record.kind

    @property
    def ident(self) -> str:
        return self.record.ident

    @property
    def summary(self) -> str:
        return self.record.undo_summary()

    @property
    def cli(self) -> list[str]:
        return self.record.undo_commands()


class TeardownPlan(msgspec.Struct):
    removals: list[Removal] = msgspec.field(default_factory=list)
    # Created resources left in place (the service-linked role unless asked), and notes teardown cannot act on.
    kept: list[str] = msgspec.field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.removals

    def in_words(self, account_id: str) -> str:
        """What the plan removes, for the question before it runs: "3 thing(s) from account X and ..."."""
        here = [r for r in self.removals if not isinstance(r.record, InMemberAccounts)]
        members = sum(len(r.record.accounts) for r in self.removals if isinstance(r.record, InMemberAccounts))
        parts = [f"{len(here)} thing(s) from account {account_id}"] if here else []
        if members:
            parts.append(f"what hsm-setup created in {members} member account(s)")
        return " and ".join(parts)


class TeardownReport(msgspec.Struct):
    removed: list[tuple[Removal, str]] = msgspec.field(default_factory=list)
    failed: list[tuple[Removal, Problem]] = msgspec.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


# -- plan --------------------------------------------------------------------------------
def plan_teardown(state: AccountState, *, include_service_linked_role: bool = False) -> TeardownPlan:
    """The undoings for everything the saved state says hsm-setup created, in dependency order."""
    plan = TeardownPlan()
    records: list[Record] = []
    for note in state.created():
        if not note.get("id"):
            continue
        try:
            records.append(record_from_note(note))
        except UnreadableNote as exc:  # noted by a version or a step teardown cannot undo: say so rather than guess
            plan.kept.append(str(exc))
    records.sort(key=undo_rank)
    # What goes with a deleted parent is not undone on its own: the parent's removal clears its record.
    parents = {(r.kind, r.ident) for r in records if r.kind in PARENT_KINDS}

    def parent_of(record: Record) -> tuple[str, str] | None:
        parent = record.parent_ident()
        return (record.part_of, parent) if record.part_of and parent is not None else None

    covered: dict[tuple[str, str], list[Record]] = {}
    for record in records:
        parent = parent_of(record)
        if parent in parents and parent is not None:
            covered.setdefault(parent, []).append(record)
    for record in records:
        if parent_of(record) in parents:
            continue
        if record.left_to_a_person:
            plan.kept.append(f"The {record.what.lower()} {record.ident}: {record.left_to_a_person}.")
            continue
        if record.kept_unless_asked and not include_service_linked_role:
            plan.kept.append(f"The {record.what.lower()} {record.ident} ({record.kept_unless_asked}).")
            continue
        plan.removals.append(Removal(record, covered.get((record.kind, record.ident), [])))
    member_accounts = _in_member_accounts(state, plan, include_service_linked_role)
    if member_accounts is not None:
        plan.removals.append(Removal(member_accounts))
    return plan


def _in_member_accounts(
    state: AccountState, plan: TeardownPlan, include_service_linked_role: bool
) -> InMemberAccounts | None:
    """What the member notes hold, as one removal; the service-linked roles in `plan.kept` unless asked."""
    accounts: list[AccountNotes] = []
    kept: dict[str, list[str]] = {}  # what is kept unless asked ("the service-linked role X") -> its accounts
    for account, notes in sorted(MemberNotes(state.folder).live().items()):
        plan.kept.extend(notes.unreadable)
        records = notes.records
        if not include_service_linked_role:
            for record in records:
                if record.kept_unless_asked:
                    kept.setdefault(f"{record.what.lower()} {record.ident}", []).append(account)
            records = tuple(r for r in records if not r.kept_unless_asked)
        if records:
            accounts.append(msgspec.structs.replace(notes, records=records))
    for what, where in kept.items():
        plan.kept.append(
            f"The {what} in {len(where)} member account(s): {named(where)} ({ServiceLinkedRole.kept_unless_asked})."
        )
    return InMemberAccounts(folder=str(state.folder), accounts=tuple(accounts)) if accounts else None


def plan_text(plan: TeardownPlan) -> str:
    lines: list[str] = []
    for removal in plan.removals:
        lines.append(f"# {removal.summary}")
        lines.extend(removal.cli)
    if not lines:
        lines.append(
            "Nothing to remove: the saved progress records nothing that hsm-setup created and that is still there."
        )
    for kept in plan.kept:
        lines.append(f"# Kept: {kept}")
    return "\n".join(lines)


# -- run ---------------------------------------------------------------------------------
def run_teardown(
    aws: AwsSession,
    state: AccountState,
    plan: TeardownPlan,
    *,
    on_removed: Callable[[Removal, str], None] | None = None,
    on_failed: Callable[[Removal, Problem], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> TeardownReport:
    """Run every undoing in order; a failure is reported and the rest still tried (each reads first)."""
    report = TeardownReport()
    for removal in plan.removals:
        try:
            message = removal.record.undo(aws, sleep)
        except Exception as exc:
            problem = explain(exc, aws.profile)
            report.failed.append((removal, problem))
            if on_failed:
                on_failed(removal, problem)
            if problem.kind in FATAL_KINDS:
                break  # every further call would fail the same way
            continue
        state.forget_created(removal.kind, removal.ident)
        for covered in removal.covers:
            state.forget_created(covered.kind, covered.ident)
        report.removed.append((removal, message))
        if on_removed:
            on_removed(removal, message)
    return report
