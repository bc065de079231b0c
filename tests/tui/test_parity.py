"""One scripted setup through each interactive front end: the same offers, the same re-checks, the same account.

The script: the root user connects with typed keys to a half-finished account, keeps
the keys in the OS keyring, switches the administrator to IAM mode, applies every
step that has changes, keeps the new console password in the keyring, and deletes
the root access key when offered. The Textual wizard (driven by keys under Pilot)
and the plain prompts (answered by a scripted questionary) each run it from the same
starting point; the session's history (offers made, answers given, steps checked,
changes applied) and the account afterwards must be the same.
"""

from __future__ import annotations

import io
from typing import Any

import keyring
import pytest

from hsm_setup.secrets.store import SecretStore, reset_default_store

from .conftest import run_async, wait_for, wait_for_screen, wait_settled

pytestmark = pytest.mark.tui

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
# The entries of the session's history a person could tell apart: what was offered and
# answered, which steps were checked, what IAM was asked before an apply, what was applied.
COMPARED = ("offer", "answer", "answers", "check", "preflight", "apply", "delete-root-key", "skip", "simulate")


def account_state(practice: Any) -> dict[str, Any]:
    """What the account holds that the script can change (a password's value aside: it is random)."""
    iam = practice.client("iam")
    users = sorted(u["UserName"] for u in iam.list_users()["Users"])
    groups = {}
    for group in iam.list_groups()["Groups"]:
        name = group["GroupName"]
        groups[name] = {
            "members": sorted(u["UserName"] for u in iam.get_group(GroupName=name)["Users"]),
            "policies": sorted(
                p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName=name)["AttachedPolicies"]
            ),
        }
    policies = sorted(p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"])
    roles = sorted(r["RoleName"] for r in iam.list_roles()["Roles"])
    logins = sorted(u for u in users if _has_login(iam, u))
    return {"users": users, "groups": groups, "policies": policies, "roles": roles, "console_passwords": logins}


def _has_login(iam: Any, user: str) -> bool:
    try:
        iam.get_login_profile(UserName=user)
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


def compared(history: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    return [entry for entry in history if entry[0] in COMPARED]


@pytest.fixture
def as_root(practice, monkeypatch, tmp_path):
    """The practice account answering as the root user, reached as a real account would be."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", practice.endpoint_url)
    practice.caller = "root"
    yield practice
    practice.caller = "user"


def fresh_start(practice: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, name: str) -> SecretStore:
    """The same starting point for each front end: the account, the saved state and the keyring."""
    from tests.e2e.conftest import save_admin
    from tests.unit.test_secrets import MemoryKeyring

    practice.reset("partial")
    monkeypatch.setenv("HSM_SETUP_STATE_DIR", str(tmp_path / name))
    # Reached as a real account, nobody is made up: the administrator was named in an earlier session.
    save_admin(tmp_path / name)
    keyring.set_keyring(MemoryKeyring())
    reset_default_store()
    return SecretStore()


def run_plain(store: SecretStore, monkeypatch: pytest.MonkeyPatch) -> tuple[list[tuple[str, ...]], int]:
    from hsm_setup_screens.plain.flow import PlainFlow
    from tests.unit.test_plain_flow import FakeQuestionary

    FakeQuestionary(
        [
            ("How should hsm-setup reach AWS", "Type an access key"),
            ("Access key ID", KEY_ID),
            ("Secret access key", SECRET),
            ("Session token", ""),
            ("Keep these credentials", True),
            ("How the administrator signs in", "iam"),
            ("Apply", True),
            ("Keep the console password", True),
            ("Delete the root user's access key", True),
        ]
    ).install(monkeypatch)
    flow = PlainFlow(
        None, out=io.StringIO(), store=store, wait_for_input=lambda t: "s", watch_seconds=1, sleep=lambda s: None
    )
    code = flow.run()
    return compared(flow.session.history), code


async def run_wizard(store: SecretStore) -> tuple[list[tuple[str, ...]], int]:
    from textual.widgets import Input, OptionList

    from hsm_setup.session.view import Capability
    from hsm_setup_screens.app import make_app
    from hsm_setup_screens.confirm import ConfirmApply
    from hsm_setup_screens.connect import ConnectScreen
    from hsm_setup_screens.dialogs import OfferDialog, PasswordDialog
    from hsm_setup_screens.summary import SummaryScreen
    from hsm_setup_screens.wizard import WizardScreen

    app = make_app(None, store=store, sleep=lambda seconds: None, watch_interval=None)
    async with app.run_test(size=(100, 40)) as pilot:

        async def answer_offer(title: str, key: str) -> None:
            dialog = await wait_for_screen(pilot, OfferDialog, title)
            assert title.lower() in dialog.offer.title.lower(), dialog.offer.title
            await pilot.press(key)
            await wait_for(
                pilot, lambda: not isinstance(app.screen, OfferDialog) or app.screen is not dialog, f"{title} answered"
            )

        async def apply(step_id: str) -> None:
            if isinstance(app.screen, SummaryScreen):
                app.pop_screen()
            app.show_step(step_id)
            await wait_for(
                pilot, lambda: isinstance(app.screen, WizardScreen) and app.screen.step_id == step_id, step_id
            )
            await wait_for(pilot, lambda: app.view().step(step_id).allows(Capability.APPLY), f"apply on {step_id}")
            await pilot.press("a")
            await wait_for_screen(pilot, ConfirmApply, "the confirmation")
            await pilot.press("y")

        # Connect with typed keys, and keep them.
        await wait_for_screen(pilot, ConnectScreen, "the connect screen")
        options = app.screen.query_one("#connections", OptionList)
        await wait_for(
            pilot, lambda: options.get_option_at_index(options.option_count - 1).id == "access-keys", "the connections"
        )
        options.focus()
        options.highlighted = options.option_count - 1
        await pilot.press("enter")
        await pilot.press(*KEY_ID)
        app.screen.query_one("#key-aws-secret-access-key", Input).value = SECRET
        await pilot.press("enter")
        await answer_offer("Keep these credentials", "y")
        await wait_settled(pilot)
        # The administrator in IAM mode.
        app.show_step("admin-user")
        await wait_for(pilot, lambda: app.screen.query("#field-admin-mode-iam"), "the choice of sign-in")
        # The findings above the choice grew with the administrators group: once the step is drawn,
        # bring the choice into view, then click it.
        await wait_settled(pilot, "the administrative user step to be drawn")
        await pilot.pause()
        app.screen.query_one("#field-admin-mode-iam").scroll_visible(animate=False)
        await pilot.pause()
        await pilot.click("#field-admin-mode-iam")
        await wait_for(pilot, lambda: app.view().answers["admin.mode"] == "iam", "IAM mode")
        await wait_settled(pilot, "the steps checked in IAM mode")
        await apply("admin-user")
        await wait_for_screen(pilot, PasswordDialog, "the password")
        await pilot.press("escape")
        await answer_offer("Keep the password", "y")
        await answer_offer("Delete the root user's access key", "y")
        await wait_settled(pilot)
        for step_id in ("cloudhsm-group", "service-linked-role"):
            await apply(step_id)
            await wait_settled(pilot)
        session = app.controller.session
        history = compared(session.history)
        code = app.exit_code()
        await pilot.press("ctrl+q")
    return history, code


@run_async
async def test_both_front_ends_make_the_same_offers_checks_and_changes(as_root, monkeypatch, tmp_path):
    import asyncio

    store = fresh_start(as_root, monkeypatch, tmp_path, "plain")
    plain_history, plain_code = await asyncio.to_thread(run_plain, store, monkeypatch)
    plain_account = account_state(as_root)

    store = fresh_start(as_root, monkeypatch, tmp_path, "wizard")
    wizard_history, wizard_code = await run_wizard(store)
    wizard_account = account_state(as_root)

    # The script did what it says, in both.
    offers = [entry[1] for entry in plain_history if entry[0] == "offer"]
    assert offers == ["keep-credentials", "keep-password", "delete-root-key"]
    assert ("answers", "admin-user", "mode") in plain_history
    assert ("delete-root-key",) in plain_history
    assert "Administrators" in plain_account["groups"] and "ops.admin" in plain_account["console_passwords"]
    # And the two front ends agree on every step of it, and on the account it left.
    assert wizard_history == plain_history
    assert wizard_account == plain_account
    assert wizard_code == plain_code == 0
    reset_default_store()
