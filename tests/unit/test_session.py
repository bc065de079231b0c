"""The session: what a step allows and why not, what a changed answer re-checks, offers, hand-offs.

Every front end renders these decisions; here they are checked headless, on the
practice account (the same in-process server the end-to-end tests use).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import keyring
import pytest

from hsm_setup.aws.connection import Connection
from hsm_setup.secrets.store import SecretStore, reset_default_store
from hsm_setup.session.events import OfferMade, SessionEvent, ViewChanged
from hsm_setup.session.offers import OfferKind
from hsm_setup.session.session import Session
from hsm_setup.session.view import Busy, Capability, Handoff, StepState
from tests.unit.test_secrets import MemoryKeyring

SANDBOX = Connection(sandbox=True)
EVERY_STEP = {"root-user", "identity-center", "admin-user", "permission-sets", "cloudhsm-group", "service-linked-role"}


@pytest.fixture
def store() -> SecretStore:
    keyring.set_keyring(MemoryKeyring())
    reset_default_store()
    yield SecretStore()
    reset_default_store()


@pytest.fixture
def session(practice, store):
    def build(scenario: str = "fresh") -> Session:
        opened = Session(store=store, practice=practice, scenario=scenario, sleep=lambda seconds: None)
        opened.connect(SANDBOX)
        return opened

    made: list[Session] = []
    yield lambda scenario="fresh": made.append(build(scenario)) or made[-1]
    for opened in made:
        opened.close()


def test_before_the_first_check_nothing_can_be_applied_and_it_says_why(session) -> None:
    opened = session("fresh")
    step = opened.view().step("cloudhsm-group")
    assert step.state is StepState.WAITING
    assert not step.allows(Capability.APPLY)
    assert step.allows(Capability.APPLY).reason == "There is nothing to apply for this step yet."
    assert step.allows(Capability.CHECK)


def test_after_a_check_each_step_says_what_it_allows(session) -> None:
    opened = session("fresh")
    opened.check()
    view = opened.view()
    assert view.checked
    root = view.step("root-user")
    assert root.state is StepState.NEEDS_YOU
    assert root.allows(Capability.APPLY).reason == "What is left is done in the AWS console."
    assert root.allows(Capability.SIMULATE) and root.simulation is not None
    assert root.allows(Capability.CONSOLE) and root.console_url
    blocked = view.step("admin-user")
    assert blocked.state is StepState.BLOCKED
    assert not blocked.allows(Capability.APPLY)
    group = view.step("cloudhsm-group")
    assert group.state is StepState.TO_DO and group.allows(Capability.APPLY)


def test_an_invalid_input_blocks_apply_naming_the_field_and_changes_nothing(session) -> None:
    opened = session("partial")
    opened.check()
    saved = dict(opened.workspace.state.answers)

    edit = opened.edit_answers("admin-user", {"admin.user_name": "Administrator"})

    assert edit.problems == {
        "admin.user_name": 'admin.user_name: "Administrator" is reserved in IAM Identity Center; choose another name'
    }
    assert not edit.recheck and not edit.changed
    step = opened.view().step("admin-user")
    assert step.problems == edit.problems
    assert step.allows(Capability.APPLY).reason.startswith("Fix the inputs first: admin.user_name:")
    assert opened.workspace.state.answers == saved
    assert opened.workspace.aws.mutating_calls() == []


def test_a_changed_answer_re_checks_its_step_and_dependents_and_blocks_apply_until_then(session) -> None:
    opened = session("partial")
    opened.check()

    edit = opened.edit_answers("identity-center", {"region": "eu-west-1"})

    assert edit.changed and not edit.mode_changed
    assert edit.recheck == {"identity-center", "admin-user", "permission-sets"}
    view = opened.view()
    assert view.step("admin-user").stale and not view.checked
    assert view.step("admin-user").allows(Capability.APPLY).reason == "Wait for the check to finish."
    opened.check(edit.recheck)
    assert opened.view().checked
    assert ("check", "admin-user", "identity-center", "permission-sets") in opened.history


def test_a_changed_admin_mode_re_checks_every_step(session) -> None:
    opened = session("partial")
    opened.check()

    edit = opened.edit_answers("admin-user", {"admin.mode": "iam"})

    assert edit.mode_changed and edit.recheck == EVERY_STEP
    opened.check(edit.recheck)
    view = opened.view()
    assert view.step("identity-center").state is StepState.SKIPPED
    assert view.step("permission-sets").state is StepState.SKIPPED


def test_a_superseded_check_does_not_overwrite_the_newer_one(session) -> None:
    opened = session("partial")
    opened.check()
    older = opened.begin_check(["cloudhsm-group"])
    newer = opened.begin_check(["cloudhsm-group"])
    opened.run_check(newer)
    assert opened.view().step("cloudhsm-group").state is not StepState.CHECKING
    kept = opened.view().step("cloudhsm-group").result

    opened.run_check(older)

    assert opened.view().step("cloudhsm-group").result is kept


def test_apply_is_refused_while_another_change_runs(session) -> None:
    opened = session("partial")
    opened.check()
    opened.begin_apply("cloudhsm-group")
    view = opened.view()
    assert view.busy is Busy.APPLY and view.step("cloudhsm-group").state is StepState.APPLYING
    assert (
        view.step("service-linked-role").allows(Capability.APPLY).reason
        == "Wait for the change that is running to finish."
    )
    assert not view.handoffs[Handoff.REPORT]


def test_listeners_hear_changes_and_offers_from_the_thread_that_made_them(practice, store) -> None:
    heard: list[tuple[str, str]] = []
    opened = Session(store=store, practice=practice, scenario="complete", sleep=lambda seconds: None)
    opened.subscribe(lambda event: heard.append((type(event).__name__, threading.current_thread().name)))
    opened.connect(SANDBOX)
    worker = threading.Thread(target=opened.check, name="a-worker")
    worker.start()
    worker.join(120)
    assert ("ViewChanged", "a-worker") in heard
    opened.close()


def test_the_report_format_follows_the_file_name(session, tmp_path: Path) -> None:
    opened = session("complete")
    opened.check()

    written = opened.write_report(str(tmp_path / "onboarding.json"))

    assert written.severity == "information" and "Report written to" in written.lines[0]
    assert json.loads((tmp_path / "onboarding.json").read_text())["summary"] == {"steps": 6, "done": 6}
    opened.write_report(str(tmp_path / "onboarding.md"))
    assert (tmp_path / "onboarding.md").read_text().startswith("#")
    opened.write_report(str(tmp_path / "onboarding.txt"))
    assert "<html" in (tmp_path / "onboarding.txt").read_text().lower()
    assert opened.report_path_problem(str(tmp_path)) == "file: name a file to write, not a folder"
    assert opened.view().handoff_lines == written.lines or "Report written" in opened.view().handoff_lines[0]


def test_a_kept_password_is_offered_shown_once_asked_and_handed_over(practice, store) -> None:
    store.keep_password("123456789012", "ops.admin", "Kept-Passw0rd!")
    made: list[SessionEvent] = []
    opened = Session(store=store, practice=practice, scenario="fresh", sleep=lambda seconds: None)
    opened.subscribe(made.append)
    opened.connect(SANDBOX)
    offers = [e.offer for e in made if isinstance(e, OfferMade)]
    assert [o.kind for o in offers] == [OfferKind.KEPT_PASSWORD]
    offer = offers[0]
    assert "Kept-Passw0rd!" not in offer.question and "ops.admin" in offer.question
    assert offer.default == "later"

    shown = opened.answer(offer, "show")

    assert shown.secret == "Kept-Passw0rd!" and "Kept-Passw0rd!" not in repr(shown)
    assert shown.follow_up is not None and shown.follow_up.kind is OfferKind.HANDED_OVER
    done = opened.answer(shown.follow_up, "handed-over")
    assert done.lines == ("Deleted the console password of ops.admin from the OS keyring.",)
    assert store.pending_passwords("123456789012") == []
    assert not opened.offers()
    opened.close()


def test_an_answer_an_offer_does_not_take_is_refused(practice, store) -> None:
    store.keep_password("123456789012", "ops.admin", "Kept-Passw0rd!")
    opened = Session(store=store, practice=practice, scenario="fresh", sleep=lambda seconds: None)
    opened.connect(SANDBOX)
    (offer,) = opened.offers()
    with pytest.raises(
        ValueError, match="'delete' is not an answer to kept-password; one of: show, handed-over, later"
    ):
        opened.answer(offer, "delete")
    assert opened.offers() == (offer,)  # still waiting for a real answer
    opened.close()


def test_the_practice_account_offers_no_root_key_deletion_and_views_change_on_events(session) -> None:
    opened = session("complete")
    changes: list[SessionEvent] = []
    opened.subscribe(changes.append)
    opened.check()
    assert any(isinstance(e, ViewChanged) for e in changes)
    assert Handoff.DELETE_ROOT_KEY not in opened.view().handoffs
    assert opened.view().all_done and opened.exit_code() == 0


def test_on_a_real_account_a_step_waiting_for_answers_needs_input_and_apply_names_them(practice, store) -> None:
    # The practice server reached as an ordinary endpoint counts as a real account: nobody is made up.
    practice.reset("partial")
    opened = Session(store=store, sleep=lambda seconds: None)
    try:
        opened.connect(Connection(region="us-east-1", **practice.connection_overrides()))
        opened.check()
        step = opened.view().step("admin-user")
        assert step.state is StepState.NEEDS_INPUT
        assert set(step.missing_answers) == {"admin.user_name", "admin.given_name", "admin.family_name", "admin.email"}
        refusal = step.allows(Capability.APPLY)
        assert not refusal
        assert refusal.reason.startswith("Give the answers first: ")
        for key in step.missing_answers:
            assert f"{key}: not given" in refusal.reason
        # Answers that name nobody are not needed by a step that does not use them.
        assert opened.view().step("cloudhsm-group").allows(Capability.APPLY)
    finally:
        opened.close()
