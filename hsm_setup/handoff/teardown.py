"""Undoing what hsm-setup created (or changed), and only that, in the order AWS allows.

The steps record every resource they create (not ones they adopt) in the account's
saved state (AccountState.created), as the typed records of hsm_setup.resources.
Teardown plans one undoing per record, in the kinds' declared order (account
assignments, memberships, groups, permission sets, policy attachments, versions and
policies, users); the service-linked role only when asked, since AWS keeps it while
clusters exist. The root user's settings, the organization and Identity Center's
enablement are never recorded, so never touched.

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
from hsm_setup.resources.base import Record, UnreadableNote
from hsm_setup.resources.kinds import PARENT_KINDS, record_from_note, undo_rank
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
    return plan


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
