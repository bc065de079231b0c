"""The member notes file: durable lines read back after a crash, what stands after drops, and what apply notes."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from hsm_setup.organizations.member_iam import MemberIam
from hsm_setup.organizations.member_notes import MEMBER_NOTES_FILE, MemberNotes
from hsm_setup.resources.iam_groups import IamGroup, IamGroupPolicy
from hsm_setup.resources.iam_policies import IamPolicy
from hsm_setup.resources.service_linked_role import ServiceLinkedRole
from hsm_setup.state.notes_file import NotesFile

ACCOUNT, OTHER = "200000000001", "200000000002"
ROLE = "OrganizationAccountAccessRole"
POLICY = IamPolicy(arn=f"arn:aws:iam::{ACCOUNT}:policy/CloudHSMAdminPolicy", name="CloudHSMAdminPolicy")
GROUP = IamGroup(name="CloudHSMAdmins", arn=f"arn:aws:iam::{ACCOUNT}:group/CloudHSMAdmins")
ATTACHMENT = IamGroupPolicy(group="CloudHSMAdmins", policy_arn=POLICY.arn)
SLR = ServiceLinkedRole(name="AWSServiceRoleForCloudHSM")


def test_a_line_torn_by_a_crash_is_skipped_and_the_next_note_still_reads_whole(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    NotesFile(path).append({"n": 1})
    NotesFile(path).append({"n": 2})
    with path.open("ab") as handle:
        handle.write(b'{"n": 3, "ki')  # the process died mid-append: no newline, half an object
    assert NotesFile(path).notes() == [{"n": 1}, {"n": 2}]

    NotesFile(path).append({"n": 4})  # the next run
    assert NotesFile(path).notes() == [{"n": 1}, {"n": 2}, {"n": 4}]


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX's")
def test_the_notes_file_is_the_owners_alone(tmp_path: Path) -> None:
    path = tmp_path / "account" / "notes.jsonl"
    NotesFile(path).append({"n": 1})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_what_stands_is_what_was_noted_and_not_dropped_since_and_compacting_keeps_just_that(tmp_path: Path) -> None:
    notes = MemberNotes(tmp_path)
    notes.created(ACCOUNT, ROLE, [POLICY, GROUP, ATTACHMENT])
    notes.created(OTHER, ROLE, [SLR])
    notes.created(ACCOUNT, ROLE, [SLR])
    notes.dropped(ACCOUNT, [ATTACHMENT, GROUP], "removed")
    notes.dropped(OTHER, [SLR], "removed")

    live = notes.live()
    assert list(live) == [ACCOUNT]
    # In the order teardown undoes them, whatever order they were noted in.
    assert live[ACCOUNT].records == (POLICY, SLR) and live[ACCOUNT].role == ROLE

    notes.compact()
    assert len((tmp_path / MEMBER_NOTES_FILE).read_text().splitlines()) == 1
    assert MemberNotes(tmp_path).live() == live
    notes.dropped(ACCOUNT, [POLICY, SLR], "removed")
    notes.compact()
    assert not (tmp_path / MEMBER_NOTES_FILE).exists()


def test_a_note_teardown_cannot_act_on_is_named_not_guessed(tmp_path: Path) -> None:
    NotesFile(tmp_path / MEMBER_NOTES_FILE).append(
        {"op": "created", "account": ACCOUNT, "role": ROLE, "notes": [{"kind": "iam-user", "id": "ops", "arn": "x"}]}
    )
    (entry,) = MemberNotes(tmp_path).live().values()
    assert entry.records == ()
    assert entry.unreadable == (
        f"In member account {ACCOUNT}: iam-user ops (teardown does not remove this kind in member accounts; "
        "remove it in that account's console).",
    )


class FakeMemberIam:
    """A member account's IAM as MemberIam reaches it: a set of names, and someone else's group made meanwhile."""

    role_name = ROLE

    def __init__(self, there: set[str], made_meanwhile: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.there = set(there)
        self.made_meanwhile = made_meanwhile
        self.calls: list[str] = []

    def call(self, account: str, service: str, operation: str, **params: Any) -> Any:
        self.calls.append(operation)
        name = {"get_policy": "policy", "create_policy": "policy", "get_group": "group", "create_group": "group"}
        name |= {"get_role": "role", "create_service_linked_role": "role"}
        if operation.startswith("get_"):
            if name[operation] not in self.there:
                raise ClientError({"Error": {"Code": "NoSuchEntity", "Message": "not there"}}, operation)
            return {}
        if operation.startswith("create_"):
            if name[operation] in self.there | self.made_meanwhile:
                raise ClientError({"Error": {"Code": "EntityAlreadyExists", "Message": "taken"}}, operation)
            self.there.add(name[operation])
        if operation == "attach_group_policy":
            self.there.add("attached")
        return {}

    def pages(self, account: str, service: str, operation: str, **params: Any) -> list[Any]:
        attached = [{"PolicyArn": POLICY.arn}] if "attached" in self.there else []
        return [{"AttachedPolicies": attached}]


def ensure_group(member: MemberIam) -> str:
    return member.ensure_group(ACCOUNT, "CloudHSMAdmins", "CloudHSMAdminPolicy", "{}", "CloudHSM administrators")


def test_what_was_there_is_adopted_not_noted_and_what_apply_makes_is_noted_before_it_is_made(tmp_path: Path) -> None:
    notes = MemberNotes(tmp_path)
    iam = FakeMemberIam(there={"group"})
    seen_before_creating: list[object] = []
    real_call = iam.call

    def call(account: str, service: str, operation: str, **params: Any) -> Any:
        if operation.startswith(("create_", "attach_")):
            seen_before_creating.append((operation, MemberNotes(tmp_path).live()[ACCOUNT].records))
        return real_call(account, service, operation, **params)

    iam.call = call  # type: ignore[method-assign]
    ensure_group(MemberIam(iam, notes))  # type: ignore[arg-type]
    # One durable line before the first creation, naming the policy and the attachment, not the group.
    assert seen_before_creating == [
        ("create_policy", (ATTACHMENT, POLICY)),
        ("attach_group_policy", (ATTACHMENT, POLICY)),
    ]
    assert len((tmp_path / MEMBER_NOTES_FILE).read_text().splitlines()) == 1


def test_a_group_someone_made_between_the_read_and_the_creation_is_adopted_and_its_note_dropped(
    tmp_path: Path,
) -> None:
    notes = MemberNotes(tmp_path)
    ensure_group(MemberIam(FakeMemberIam(there=set(), made_meanwhile={"group"}), notes))  # type: ignore[arg-type]
    assert notes.live()[ACCOUNT].records == (ATTACHMENT, POLICY)
    dropped = [json.loads(line) for line in (tmp_path / MEMBER_NOTES_FILE).read_text().splitlines()][-1]
    assert dropped["op"] == "dropped" and dropped["why"] == "adopted"


def test_resuming_a_killed_run_keeps_the_note_of_what_it_finds_made_meanwhile(tmp_path: Path) -> None:
    notes = MemberNotes(tmp_path)
    member = MemberIam(FakeMemberIam(there=set(), made_meanwhile={"group"}), notes, resuming=True)  # type: ignore[arg-type]
    ensure_group(member)
    assert notes.live()[ACCOUNT].records == (ATTACHMENT, GROUP, POLICY)


def test_an_earlier_runs_note_stays_and_is_not_written_again(tmp_path: Path) -> None:
    notes = MemberNotes(tmp_path)
    notes.created(ACCOUNT, ROLE, [SLR])  # a run noted the role and died before making it
    iam = FakeMemberIam(there=set())
    assert MemberIam(iam, notes).ensure_role(ACCOUNT) == "role created"  # type: ignore[arg-type]
    assert notes.live()[ACCOUNT].records == (SLR,)
    assert len((tmp_path / MEMBER_NOTES_FILE).read_text().splitlines()) == 1
