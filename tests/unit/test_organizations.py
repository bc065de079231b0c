"""The organization's tree, target accounts and member-account access, on the practice account's `org` scenario."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from hsm_setup.answers.values import Answers
from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.connection import Connection
from hsm_setup.organizations.fanout import across_accounts
from hsm_setup.organizations.member_access import MemberAccess, MemberAccessError
from hsm_setup.organizations.per_account import MEMBER_ACCOUNTS_BESIDE_ASSIGNMENTS, OrganizationScope
from hsm_setup.organizations.targets import Caller, TargetsError, resolve
from hsm_setup.organizations.tree import OrganizationTree, read_tree
from hsm_setup.sandbox import PracticeAccount
from hsm_setup.sandbox.catalog import ACCOUNT_ID, MANAGEMENT_ACCOUNT_ID

ACCOUNTS = 26


@pytest.fixture(scope="module")
def practice() -> Iterator[PracticeAccount]:
    with PracticeAccount("org", accounts=ACCOUNTS) as account:
        yield account


@pytest.fixture
def aws(practice: PracticeAccount) -> AwsSession:
    return AwsSession(Connection(region="us-east-1", sandbox=True, **practice.connection_overrides()))


@pytest.fixture(scope="module")
def tree(practice: PracticeAccount) -> OrganizationTree:
    aws = AwsSession(Connection(region="us-east-1", sandbox=True, **practice.connection_overrides()))
    return read_tree(aws.client("organizations"))


def ou_id(tree: OrganizationTree, name: str) -> str:
    return next(unit.id for unit in tree.units.values() if unit.name == name)


MANAGEMENT = Caller(ACCOUNT_ID, ACCOUNT_ID)


# -- the tree -----------------------------------------------------------------------------
def test_the_tree_holds_every_account_where_it_sits_and_which_are_suspended(
    practice: PracticeAccount, tree: OrganizationTree
) -> None:
    seeded = practice.organization
    assert set(tree.accounts) == {ACCOUNT_ID, *seeded.member_ids}
    assert {a.id for a in tree.accounts.values() if a.suspended} == seeded.suspended
    cloudhsm = ou_id(tree, "CloudHSM")
    assert tree.path(cloudhsm) == "Root / Workloads / Production / CloudHSM"
    # Workloads covers its own accounts and those of Production, Development and CloudHSM below it
    nested = {a for name in ("Production", "Development", "CloudHSM") for a in tree.members.get(ou_id(tree, name), [])}
    assert nested and nested <= set(tree.accounts_under(ou_id(tree, "Workloads")))


def test_the_tree_is_read_in_pages_not_one_call_per_account(aws: AwsSession) -> None:
    read_tree(aws.client("organizations"))
    calls = aws.call_counts()
    # one listing per parent (7: the root and six OUs), plus a second page where a parent holds over 20 accounts
    assert calls["organizations:ListAccountsForParent"] <= 8
    assert calls["organizations:ListOrganizationalUnitsForParent"] == 7
    assert "organizations:DescribeAccount" not in calls


class SiblingsMeet:
    """An organizations client whose listings of two sibling OUs each wait for the other to be asked."""

    def __init__(self) -> None:
        import threading

        self.both = threading.Barrier(2)

    def list_roots(self) -> dict[str, Any]:
        return {"Roots": [{"Id": "r-root", "Name": "Root"}]}

    def get_paginator(self, operation: str) -> Any:
        from types import SimpleNamespace

        def paginate(ParentId: str) -> list[dict[str, Any]]:
            if operation == "list_organizational_units_for_parent":
                units = [{"Id": "ou-a", "Name": "A"}, {"Id": "ou-b", "Name": "B"}] if ParentId == "r-root" else []
                return [{"OrganizationalUnits": units}]
            if ParentId in ("ou-a", "ou-b"):
                self.both.wait(timeout=5)  # raises BrokenBarrierError when read one after the other
                return [{"Accounts": [{"Id": f"11111111111{ParentId[-1] == 'b':d}", "Status": "ACTIVE"}]}]
            return [{"Accounts": []}]

        return SimpleNamespace(paginate=paginate)


def test_the_ous_of_one_level_are_read_side_by_side_and_the_tree_keeps_their_order() -> None:
    # Read one parent after another, 1,256 accounts under 7 parents took 10.5 s at 80 ms a request; this way 7.1 s.
    tree = read_tree(SiblingsMeet())
    assert tree.children["r-root"] == ["ou-a", "ou-b"]
    assert tree.members == {"ou-a": ["111111111110"], "ou-b": ["111111111111"]}


# -- answers and targets --------------------------------------------------------------------
def test_an_item_of_the_wrong_form_is_named_with_what_is_allowed() -> None:
    problems = Answers({"cloudhsm.accounts": ["this", "12345"]}).problems()
    assert problems == [
        'cloudhsm.accounts: entry 2 "12345" is not an account target: use "this" (the connected account), '
        "a 12-digit account id, an OU id (ou-..., with every OU below it) or the organization's root (r-...)"
    ]
    assert Answers({}).problems() == [] and Answers({})["admin.accounts"] == ["this"]


def test_every_bad_item_of_a_list_is_named_at_once_so_one_edit_fixes_them_all() -> None:
    allowed = (
        'is not an account target: use "this" (the connected account), a 12-digit account id, an OU id (ou-..., '
        "with every OU below it) or the organization's root (r-...)"
    )
    listed = ["this", "12345", "111111111111", "ou-nothere", "111111111111"]
    assert Answers({"admin.accounts": listed}).problems() == [
        f'admin.accounts: entries 2 "12345" and 4 "ou-nothere": each {allowed}; entry 5 repeats "111111111111"'
    ]
    # A pasted list with many typos: the first five are named, and how many more there are.
    typos = [f"{n:011d}" for n in range(8)]
    assert Answers({"cloudhsm.accounts": typos}).problems() == [
        'cloudhsm.accounts: entries 1 "00000000000", 2 "00000000001", 3 "00000000002", 4 "00000000003" and'
        f' 5 "00000000004": each {allowed}; and 3 more entries to fix'
    ]
    # Entries are named while the message stays one readable line: the rest are counted.
    (long,) = Answers({"admin.accounts": ["this", "x" * 300, "y" * 300, "z" * 300]}).problems()
    assert long.startswith('admin.accounts: entry 2 "xxxxxxxx') and long.endswith(
        f"{allowed}; and 2 more entries to fix"
    )


def test_an_ou_covers_every_account_below_it_and_leaves_suspended_ones_out_with_why(tree: OrganizationTree) -> None:
    workloads = ou_id(tree, "Workloads")
    targets = resolve("cloudhsm.accounts", ["this", workloads], tree, MANAGEMENT)
    below = tree.accounts_under(workloads)
    suspended = {a for a in below if tree.accounts[a].suspended}
    assert suspended, "the scenario puts a suspended account below Workloads"
    assert targets.accounts == (ACCOUNT_ID, *[a for a in below if a not in suspended])
    assert {a for a, _ in targets.left_out} == suspended
    assert all("suspended" in why for _, why in targets.left_out)


def test_the_root_covers_the_whole_organization(tree: OrganizationTree) -> None:
    targets = resolve("admin.accounts", [tree.root.id], tree, MANAGEMENT)
    assert set(targets.accounts) == {a.id for a in tree.accounts.values() if not a.suspended}


def test_every_bad_item_is_named_with_its_reason(tree: OrganizationTree) -> None:
    suspended = next(a for a in tree.accounts.values() if a.suspended)
    with pytest.raises(TargetsError) as caught:
        resolve(
            "cloudhsm.accounts",
            ["999999999999", suspended.id, "ou-zzzz-zzzzzzzz", "r-zzzz"],
            tree,
            MANAGEMENT,
        )
    problems = caught.value.problems
    assert problems[0].startswith("cloudhsm.accounts: entry 1 '999999999999' is not an account of this organization")
    assert problems[1].startswith(f"cloudhsm.accounts: entry 2 '{suspended.id}' ({suspended.name}) is suspended")
    assert problems[2].startswith("cloudhsm.accounts: entry 3 'ou-zzzz-zzzzzzzz' is not an OU of this organization")
    assert problems[3].startswith("cloudhsm.accounts: entry 4 'r-zzzz' is not the root of this organization")


def test_without_an_organization_only_this_account_is_a_target() -> None:
    assert resolve("admin.accounts", ["this"], None, Caller(ACCOUNT_ID, None)).accounts == (ACCOUNT_ID,)
    with pytest.raises(TargetsError, match="in no organization"):
        resolve("admin.accounts", ["210987654321"], None, Caller(ACCOUNT_ID, None))


def test_a_delegated_administrator_is_told_it_cannot_assign_in_the_management_account(tree: OrganizationTree) -> None:
    delegated = Caller(ACCOUNT_ID, MANAGEMENT_ACCOUNT_ID)
    # the tree of the org scenario stands in; the management account is named explicitly, then through the root
    tree.accounts.setdefault(
        MANAGEMENT_ACCOUNT_ID,
        type(tree.accounts[ACCOUNT_ID])(MANAGEMENT_ACCOUNT_ID, "management", "ACTIVE", tree.root.id),
    )
    try:
        with pytest.raises(TargetsError, match="delegated administrator of IAM Identity Center cannot assign"):
            resolve("admin.accounts", [MANAGEMENT_ACCOUNT_ID], tree, delegated)
        tree.members.setdefault(tree.root.id, []).append(MANAGEMENT_ACCOUNT_ID)
        targets = resolve("admin.accounts", [tree.root.id], tree, delegated)
        assert MANAGEMENT_ACCOUNT_ID not in targets.accounts
        assert dict(targets.left_out)[MANAGEMENT_ACCOUNT_ID].startswith("is the management account")
    finally:
        tree.accounts.pop(MANAGEMENT_ACCOUNT_ID)
        tree.members[tree.root.id].remove(MANAGEMENT_ACCOUNT_ID)


# -- member accounts --------------------------------------------------------------------------
def reachable(practice: PracticeAccount) -> list[str]:
    seeded = practice.organization
    return [a for a in seeded.member_ids if a not in seeded.suspended | seeded.role_missing]


def test_a_member_account_is_called_with_its_own_credentials_assumed_once(
    practice: PracticeAccount, aws: AwsSession
) -> None:
    access = MemberAccess(aws)
    first, second = reachable(practice)[:2]
    assert access.call(first, "sts", "get_caller_identity")["Account"] == first
    assert access.call(second, "sts", "get_caller_identity")["Account"] == second
    assert [r["RoleName"] for r in access.call(first, "iam", "list_roles")["Roles"]] == [
        "OrganizationAccountAccessRole"
    ]
    assert aws.call_counts()["sts:AssumeRole"] == 2


def test_credentials_are_assumed_again_only_when_they_are_about_to_expire(
    practice: PracticeAccount, aws: AwsSession
) -> None:
    later = [dt.datetime.now(dt.UTC)]
    access = MemberAccess(aws, now=lambda: later[0])
    account = reachable(practice)[0]
    access.call(account, "sts", "get_caller_identity")
    expires = access.credentials(account).expires
    later[0] = expires - dt.timedelta(minutes=6)
    access.call(account, "sts", "get_caller_identity")
    assert aws.call_counts()["sts:AssumeRole"] == 1
    later[0] = expires - dt.timedelta(minutes=4)
    access.call(account, "sts", "get_caller_identity")
    assert aws.call_counts()["sts:AssumeRole"] == 2


def test_an_account_without_the_role_is_named_with_the_reason_and_the_next_move(
    practice: PracticeAccount, aws: AwsSession
) -> None:
    missing = sorted(practice.organization.role_missing)[0]
    with pytest.raises(MemberAccessError) as caught:
        MemberAccess(aws).call(missing, "iam", "list_roles")
    assert caught.value.account_id == missing
    assert caught.value.cause.startswith(f"Account {missing}: the role OrganizationAccountAccessRole cannot be assumed")
    assert "organization.member_role" in caught.value.next_move and "StackSet" in caught.value.next_move


def test_fan_outs_one_after_another_reuse_the_member_account_clients(
    practice: PracticeAccount, aws: AwsSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An apply fans out a dozen times (checks, actions, checks again), each with threads of its own: a client
    costs milliseconds of CPU to build under the session's lock, so the fan-outs share one pool of them."""
    built: list[str] = []
    new_client = aws.new_client
    monkeypatch.setattr(
        aws, "new_client", lambda service, *a, **k: built.append(service) or new_client(service, *a, **k)
    )
    access = MemberAccess(aws)
    accounts = reachable(practice)
    for _ in range(3):
        outcome = across_accounts(
            accounts, lambda a: access.call(a, "sts", "get_caller_identity")["Account"], workers=4
        )
        # Each call still signed for its own account, whichever thread's client made it.
        assert outcome.results == {a: a for a in accounts}
    # A client is taken from the pool for a call and handed back: never more built than calls made at once.
    assert set(built) == {"sts"} and 1 <= len(built) <= 4


def test_a_failing_account_is_reported_by_id_and_the_others_go_on(practice: PracticeAccount, aws: AwsSession) -> None:
    access = MemberAccess(aws)
    accounts = reachable(practice)[:5] + sorted(practice.organization.role_missing)
    lines: list[tuple[int, int]] = []
    outcome = across_accounts(
        accounts,
        lambda a: access.call(a, "sts", "get_caller_identity")["Account"],
        progress=lambda done, total: lines.append((done, total)),
    )
    assert outcome.results == {a: a for a in reachable(practice)[:5]}
    assert set(outcome.failures) == practice.organization.role_missing
    assert all(message.startswith(f"Account {a}:") for a, message in outcome.failures.items())
    # Seven accounts: each is more than a hundredth of them, so each moves the bar.
    assert lines == [(n, 7) for n in range(1, 8)]


def test_progress_comes_each_hundredth_of_the_accounts_each_hundred_and_at_the_end() -> None:
    counts: list[int] = []
    accounts = [f"{n:012d}" for n in range(1250)]
    across_accounts(accounts, lambda a: a, progress=lambda done, total: counts.append(done), workers=4)
    # 1,250 accounts: a hundredth is 12; the hundreds (headless mode's lines) come as well, and the last.
    assert counts == sorted({*range(12, 1251, 12), *range(100, 1251, 100), 1250})
    # Headless mode prints the hundreds and the last, however often the bar moved.
    from hsm_setup.cli.commands import LINE_EVERY
    from hsm_setup.engine.events import Count

    assert [done for done in counts if Count(done, 1250).line_due(LINE_EVERY)] == [*range(100, 1201, 100), 1250]


class Peak:
    """Work that counts how many accounts are worked on at once, each held until `release` is set."""

    def __init__(self) -> None:
        self.inside = 0
        self.peak = 0
        self.lock = threading.Lock()
        self.release = threading.Event()

    def work(self, account: str) -> str:
        with self.lock:
            self.inside += 1
            self.peak = max(self.peak, self.inside)
        try:
            assert self.release.wait(timeout=30)
            return account
        finally:
            with self.lock:
                self.inside -= 1

    def reaches(self, expected: int) -> int:
        """The peak once it has reached `expected` (or waited long for it), and a moment after: one more account
        let in would show."""
        deadline = time.monotonic() + 30
        while self.peak < expected and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        return self.peak


MEMBER_ACCOUNTS = [f"{100000000000 + n}" for n in range(40)]


@pytest.fixture
def scope() -> OrganizationScope:
    return OrganizationScope(None)  # type: ignore[arg-type]  # the gates make no AWS call


@contextlib.contextmanager
def member_fan_outs(scope: OrganizationScope, *peaks: Peak) -> Iterator[None]:
    """Member-account fan-outs over MEMBER_ACCOUNTS side by side, one per Peak's work. On leaving, every account is
    let go, and each fan-out must then end with all its accounts done."""
    with ThreadPoolExecutor(max_workers=len(peaks)) as running:
        outcomes = [running.submit(across_accounts, MEMBER_ACCOUNTS, scope.member_fan_out(p.work)) for p in peaks]
        try:
            yield
        finally:
            for peak in peaks:
                peak.release.set()
        assert [len(o.result(timeout=30).results) for o in outcomes] == [len(MEMBER_ACCOUNTS)] * len(peaks)


def test_fewer_member_accounts_are_worked_on_at_once_while_assignments_are_made(scope: OrganizationScope) -> None:
    # The creations are paced and outlast the member accounts' IAM; 32 threads at once would only slow their turns.
    beside = Peak()
    with scope.assigning(), member_fan_outs(scope, beside):
        assert beside.reaches(12) == MEMBER_ACCOUNTS_BESIDE_ASSIGNMENTS == 12
    alone = Peak()
    with member_fan_outs(scope, alone):
        assert alone.reaches(32) == 32


def test_member_accounts_waiting_at_the_gate_go_on_when_the_assignments_end(scope: OrganizationScope) -> None:
    peak = Peak()
    with contextlib.ExitStack() as assignments:
        assignments.enter_context(scope.assigning())
        with member_fan_outs(scope, peak):
            assert peak.reaches(12) == 12
            assignments.close()
            # The assignments have ended: the accounts waiting at the gate go in, up to the usual number.
            assert peak.reaches(32) == 32


def test_two_member_fan_outs_side_by_side_each_work_on_as_many_accounts_at_once(scope: OrganizationScope) -> None:
    # A check reads the group and the service-linked role of the same accounts in two fan-outs at once: with AWS's
    # latency, a count shared between them would halve how fast each reads.
    group, role = Peak(), Peak()
    with member_fan_outs(scope, group, role):
        assert (group.reaches(32), role.reaches(32)) == (32, 32)


# -- choosing targets: what the front ends draw ----------------------------------------------
def test_the_picker_lists_the_tree_with_what_each_choice_covers_and_suspended_accounts_greyed(
    tree: OrganizationTree,
) -> None:
    from hsm_setup.organizations.choices import picker

    chosen = picker(tree, MANAGEMENT)
    root = chosen.choices[0]
    active = sum(1 for a in tree.accounts.values() if not a.suspended)
    assert (root.kind, root.depth, root.covers) == ("root", 0, active)
    assert root.label == f"Root ({tree.root.id}): {active} accounts"
    cloudhsm = next(c for c in chosen.choices if c.name == "CloudHSM")
    assert cloudhsm.depth == 3 and cloudhsm.label.startswith("      CloudHSM (ou-")
    suspended = [c for c in chosen.choices if c.suspended]
    assert suspended and all(c.disabled == "suspended" and c.label.endswith("[suspended]") for c in suspended)
    assert [c.value for c in chosen.matching("cloudhsm")] == [cloudhsm.value]
    assert chosen.matching(suspended[0].value) == [suspended[0]]
    assert (
        chosen.summary([tree.root.id])
        == f"{active} accounts chosen ({len(suspended)} suspended or out of reach, left out)"
    )
    assert chosen.summary([ACCOUNT_ID]) == "1 account chosen"


def test_plain_prompts_ask_for_accounts_with_a_searchable_checkbox_list(
    tree: OrganizationTree, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import questionary

    from hsm_setup.answers.fields import BY_KEY
    from hsm_setup.organizations.choices import picker
    from hsm_setup_screens.plain import prompts

    asked: dict[str, object] = {}

    class Answered:
        def __init__(self, value: list[str]) -> None:
            self.value = value

        def unsafe_ask(self) -> list[str]:
            return self.value

    def checkbox(message: str, choices: list[questionary.Choice], **kwargs: object) -> Answered:
        asked.update(message=message, choices=choices, **kwargs)
        return Answered([ACCOUNT_ID, ou_id(tree, "CloudHSM")])

    monkeypatch.setattr(questionary, "checkbox", checkbox)
    chosen = prompts.ask_accounts(BY_KEY["cloudhsm.accounts"], ["this"], picker(tree, MANAGEMENT))
    assert chosen == ["this", ou_id(tree, "CloudHSM")]
    assert asked["use_search_filter"] is True
    choices = asked["choices"]
    assert isinstance(choices, list)
    this = next(c for c in choices if c.value == ACCOUNT_ID)
    assert this.checked and str(this.title).endswith("(this account)")
    assert any(c.disabled == "suspended" for c in choices)
    validate = asked["validate"]
    assert callable(validate) and validate([]) == "Choose at least one account, OU or the root."
    assert "accounts chosen" in capsys.readouterr().out
