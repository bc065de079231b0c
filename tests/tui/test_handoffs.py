"""Typed-in credentials and the OS keyring, the root user's access key, the summary's
hand-offs (report, SSO profile) and the IAM path, driven as a person would."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import save_admin

from .conftest import run_async, visible_text, wait_for, wait_for_screen, wait_settled

pytestmark = pytest.mark.tui

# Shaped like real keys (the practice account accepts any key pair).
KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCOUNT = "123456789012"


def _files_containing(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_text(encoding="utf-8", errors="replace")]


def _notices(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def _connect_with_typed_keys_not_kept_to_the_summary(pilot) -> None:
    """Typed keys on a complete account: decline keeping them, and wait for the summary it opens on."""
    from hsm_setup_screens.dialogs import OfferDialog
    from hsm_setup_screens.summary import SummaryScreen

    await _connect_with_typed_keys(pilot)
    await wait_for_screen(pilot, OfferDialog, "the offer to keep the keys")
    await pilot.press("n")
    # A complete account opens on the summary; a further offer may already stand over it.
    await wait_for(pilot, lambda: any(isinstance(s, SummaryScreen) for s in pilot.app.screen_stack), "the summary")
    await pilot.pause()


async def _connect_with_typed_keys(pilot, key_id: str = KEY_ID, secret: str = SECRET) -> None:
    from textual.widgets import Input, OptionList

    from hsm_setup_screens.connect import ConnectScreen

    app = pilot.app
    await wait_for_screen(pilot, ConnectScreen, "the connect screen")
    options = app.screen.query_one("#connections", OptionList)
    await wait_for(
        pilot, lambda: options.get_option_at_index(options.option_count - 1).id == "access-keys", "the connections"
    )
    options.focus()
    options.highlighted = options.option_count - 1
    await pilot.press("enter")  # into the form
    key = app.screen.query_one("#key-aws-access-key-id", Input)
    assert key.has_focus
    await pilot.press(*key_id)
    app.screen.query_one("#key-aws-secret-access-key", Input).value = secret
    await pilot.press("enter")


def _option_ids(app) -> list[str]:
    from textual.widgets import OptionList

    options = app.screen.query_one("#connections", OptionList)
    return [options.get_option_at_index(i).id for i in range(options.option_count)]


@pytest.fixture
def practice_endpoint(practice, monkeypatch):
    """Typed keys reach the practice account through AWS_ENDPOINT_URL, as they would reach AWS."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", practice.endpoint_url)
    return practice


@run_async
async def test_typed_keys_connect_are_kept_in_the_keyring_if_asked_and_offered_next_time(
    practice_endpoint, keyring_backend, state_dir
):
    from hsm_setup_screens.app import make_app
    from hsm_setup_screens.dialogs import OfferDialog as Question
    from hsm_setup_screens.wizard import WizardScreen

    practice_endpoint.reset("partial")
    app = make_app(None, sleep=lambda seconds: None, watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await _connect_with_typed_keys(pilot)
        question = await wait_for_screen(pilot, Question, "the offer to keep the keys")
        text = visible_text(question.query_one("#question-text"))
        assert KEY_ID in text and ACCOUNT in text and "never written to a file" in text
        assert app.view().identity.account_id == ACCOUNT  # STS accepted the keys before the offer
        await pilot.press("y")
        await wait_for(pilot, lambda: "Saved in the OS keyring" in _notices(app), "the keys to be saved")
        assert isinstance(app.screen, WizardScreen)
        assert "access key" not in visible_text(app.screen.query_one("#who"))  # connected: the account shows
        assert ACCOUNT in visible_text(app.screen.query_one("#who"))
    assert ("hsm-setup", ACCOUNT) in keyring_backend.entries
    assert SECRET in keyring_backend.entries[("hsm-setup", ACCOUNT)]
    assert _files_containing(state_dir, SECRET) == []

    # The next run offers the saved credentials and connects with them.
    again = make_app(None, sleep=lambda seconds: None, watch_interval=None)
    async with again.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "access-keys" in _option_ids(again), "the connections")
        ids = _option_ids(again)
        assert f"saved:{ACCOUNT}" in ids
        from textual.widgets import OptionList

        options = again.screen.query_one("#connections", OptionList)
        prompt = str(options.get_option_at_index(ids.index(f"saved:{ACCOUNT}")).prompt)
        assert ACCOUNT in prompt and "OS keyring" in prompt
        options.focus()
        options.highlighted = ids.index(f"saved:{ACCOUNT}")
        await pilot.press("enter")
        await wait_for_screen(pilot, WizardScreen, "the wizard")
        await wait_settled(pilot)
        assert again.connection.access_key_id == KEY_ID
        # Saved keys are not offered for saving again.
        assert not isinstance(again.screen, Question)


@run_async
async def test_bad_typed_keys_name_the_field_and_never_echo_the_secret(practice_endpoint):
    from textual.widgets import Input

    from hsm_setup_screens.app import make_app
    from hsm_setup_screens.connect import ConnectScreen

    app = make_app(None, sleep=lambda seconds: None, watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await _connect_with_typed_keys(pilot, secret="not a secret!")
        await pilot.pause()
        assert isinstance(app.screen, ConnectScreen)
        error = visible_text(app.screen.query_one("#connect-error"))
        assert "aws_secret_access_key" in error and "not a secret!" not in error
        assert app.screen.query_one("#key-aws-secret-access-key", Input).password


@run_async
async def test_without_a_keyring_the_keys_stay_in_memory_and_it_says_so(practice_endpoint, state_dir):
    import keyring
    from keyring.backends import fail

    from hsm_setup.secrets.store import reset_default_store
    from hsm_setup_screens.app import make_app
    from hsm_setup_screens.dialogs import OfferDialog as Question

    keyring.set_keyring(fail.Keyring())
    reset_default_store()
    practice_endpoint.reset("partial")
    app = make_app(None, sleep=lambda seconds: None, watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await _connect_with_typed_keys(pilot)
        await wait_for(
            pilot, lambda: "No OS keyring" in _notices(app) or "no OS keyring" in _notices(app), "the explanation"
        )
        notices = _notices(app)
        assert "stay in memory for this run only" in notices
        assert not isinstance(app.screen, Question)
        await wait_settled(pilot)
        assert app.view().identity.account_id == ACCOUNT  # carried on with the keys in memory
    assert _files_containing(state_dir, SECRET) == []


@run_async
async def test_root_credentials_are_named_and_the_root_key_can_be_deleted_once_the_admin_exists(
    practice_endpoint, state_dir
):
    from hsm_setup_screens.app import make_app
    from hsm_setup_screens.dialogs import OfferDialog

    save_admin(state_dir)  # reached by endpoint, the account counts as real: its administrator was named before
    practice_endpoint.reset("complete")
    practice_endpoint.caller = "root"
    app = make_app(None, sleep=lambda seconds: None, watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await _connect_with_typed_keys_not_kept_to_the_summary(pilot)
        # The administrator exists: the session offers to delete the key at once, naming it.
        question = await wait_for_screen(pilot, OfferDialog, "the offer to delete the root key")
        summary_screen = app.screen_stack[-2]
        warning = summary_screen.query_one("#root-warning")
        assert warning.display and "ROOT USER" in visible_text(warning)
        text = visible_text(question.query_one("#question-text"))
        assert KEY_ID in text and "aws iam delete-access-key" in text
        await pilot.press("n")  # later: it stays on the summary
        await wait_for(pilot, lambda: not app.screen.is_modal, "the summary again")
        summary = visible_text(app.screen.query_one("#summary-text"))
        assert KEY_ID in summary
        assert app.screen.query_one("#delete-root-key").display
        await pilot.press("d")
        question = await wait_for_screen(pilot, OfferDialog, "the question again")
        assert KEY_ID in visible_text(question.query_one("#question-text"))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.view().handoff_lines, "the deletion")
        await pilot.pause()
        handoff = visible_text(app.screen.query_one("#handoff"))
        assert f"Deleted the root user's access key {KEY_ID}" in handoff
        assert "Continue as the administrator ops.admin" in handoff
        assert not app.screen.query_one("#delete-root-key").display


@run_async
async def test_a_user_caller_gets_no_root_warning_and_no_root_key_offer(practice_endpoint, state_dir):
    from hsm_setup_screens.app import make_app

    save_admin(state_dir)  # reached by endpoint, the account counts as real: its administrator was named before
    practice_endpoint.reset("complete")
    app = make_app(None, sleep=lambda seconds: None, watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await _connect_with_typed_keys_not_kept_to_the_summary(pilot)
        await wait_settled(pilot)
        assert not app.screen.query_one("#root-warning").display
        assert app.view().root_access_key is None and not app.screen.query_one("#delete-root-key").display


@run_async
async def test_the_summary_writes_a_report_where_the_person_says(practice_app, tmp_path):
    from textual.widgets import Input

    from hsm_setup_screens.dialogs import AskText
    from hsm_setup_screens.summary import SummaryScreen

    app = practice_app("complete")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, SummaryScreen, "the summary")
        await wait_settled(pilot)
        await pilot.press("w")
        dialog = await wait_for_screen(pilot, AskText, "the file name")
        field = dialog.query_one("#ask-value", Input)
        assert field.value == f"./hsm-setup-report-{ACCOUNT}.html"
        target = tmp_path / "out" / "report.md"
        field.value = str(tmp_path)  # a folder is refused, naming the field
        await pilot.press("enter")
        assert "file:" in visible_text(dialog.query_one("#ask-error"))
        target.parent.mkdir()
        field.value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: target.exists() and app.view().handoff_lines, "the report")
        assert f"Report written to {target}" in visible_text(app.screen.query_one("#handoff"))
    text = target.read_text()
    assert ACCOUNT in text and text.lstrip().startswith("#")  # Markdown, from the name's ending


@run_async
async def test_the_summary_writes_an_sso_profile_and_can_continue_as_it(practice_app, tmp_path, monkeypatch):
    from hsm_setup_screens.dialogs import AskText, Question
    from hsm_setup_screens.sign_in_dialogs import SsoSignInDialog
    from hsm_setup_screens.summary import SummaryScreen

    config = tmp_path / "aws-config"
    config.write_text("# mine\n[profile hsm-admin]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("HOME", str(tmp_path))  # no cached SSO token
    app = practice_app("complete")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, SummaryScreen, "the summary")
        await wait_settled(pilot)
        assert not app.screen.query_one("#continue-as").display
        await pilot.press("s")
        await wait_for_screen(pilot, AskText, "the profile name")
        await pilot.press("enter")  # the default name, hsm-admin, which the file already has
        question = await wait_for_screen(pilot, Question, "the offer to replace it")
        assert "[profile hsm-admin]" in visible_text(question.query_one("#question-text"))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.view().handoff_lines, "the profile")
        handoff = visible_text(app.screen.query_one("#handoff"))
        assert "aws sso login --profile hsm-admin" in handoff
        assert "backup" in handoff or "kept in" in handoff
        written = config.read_text()
        assert "# mine" in written and "sso_session = hsm-admin" in written and f"sso_account_id = {ACCOUNT}" in written
        assert app.screen.query_one("#continue-as").display
        await pilot.press("c")
        # Not signed in yet: the wizard offers to sign in here, or with `aws sso login`.
        dialog = await wait_for_screen(pilot, SsoSignInDialog, "the sign-in offer")
        offer = visible_text(dialog.query_one("#sign-in-text"))
        assert "The profile `hsm-admin` signs in through IAM Identity Center" in offer
        assert "aws sso login --profile hsm-admin" in offer
        assert app.connection.profile == "hsm-admin"


@run_async
async def test_the_iam_path_skips_identity_center_and_shows_the_password_once(practice_app, keyring_backend, state_dir):
    from textual.widgets import RadioSet

    from hsm_setup.session.view import Capability
    from hsm_setup_screens.confirm import ConfirmApply
    from hsm_setup_screens.dialogs import OfferDialog, PasswordDialog

    from .conftest import drawn_text, settled, sidebar_text

    app = practice_app("fresh")
    shown: list[str] = []
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_settled(pilot)
        app.show_step("admin-user")
        await wait_for(pilot, lambda: app.screen.query(RadioSet), "the choice of sign-in")
        await pilot.pause()
        help_text = " ".join(visible_text(w) for w in app.screen.query(".field-help"))
        assert "long-lived" in help_text and "organization" in help_text  # the trade-off is explained
        assert app.screen.query("#field-admin-email")
        await pilot.click("#field-admin-mode-iam")
        guidance = drawn_text(app.screen.query_one("#guidance"))
        assert "administrative" in guidance.lower()
        await wait_for(
            pilot,
            lambda: app.view().answers["admin.mode"] == "iam" and not app.screen.query("#field-admin-email"),
            "the IAM fields",
        )
        assert app.screen.query("#field-admin-iam_group")
        await pilot.pause()
        assert drawn_text(app.screen.query_one("#guidance")) == guidance  # the step's guidance stays
        await wait_settled(pilot, "the steps to be checked in IAM mode")
        statuses = sidebar_text(app)
        assert "skipped" in statuses["identity-center"] and "skipped" in statuses["permission-sets"]
        app.show_step("admin-user")
        await wait_for(pilot, lambda: app.screen.step_id == "admin-user", "the admin-user step")
        await wait_for(pilot, lambda: app.view().step("admin-user").allows(Capability.APPLY), "apply to be offered")
        await pilot.press("a")
        await wait_for_screen(pilot, ConfirmApply, "the confirmation")
        await pilot.press("y")
        dialog = await wait_for_screen(pilot, PasswordDialog, "the password")
        text = visible_text(dialog.query_one("#password-text"))
        assert "Shown once; copy it now" in text
        password = dialog.secret.secret
        assert password in text
        shown.append(password)
        await pilot.press("escape")
        # Once the apply is over, the session offers to keep it in the keyring until handed over.
        offer = await wait_for_screen(pilot, OfferDialog, "the offer to keep the password")
        assert password not in visible_text(offer.query_one("#question-text"))
        await pilot.press("y")
        await wait_for(
            pilot, lambda: any(k[1].endswith(":console-password") for k in keyring_backend.entries), "the keyring"
        )
        await wait_for(pilot, lambda: settled(app), "the apply to finish")
        await pilot.pause()
        assert not isinstance(app.screen, PasswordDialog)
        assert app.view().step("admin-user").state.value == "done"
        # Checking again does not show it again.
        await pilot.press("ctrl+r")
        await wait_settled(pilot)
        assert not isinstance(app.screen, PasswordDialog)
    assert list(keyring_backend.entries.values()) == [password]
    assert _files_containing(state_dir, password) == []

    # The next run offers to show it again (not on screen until asked for), and deletes it once handed over.
    from hsm_setup_screens.dialogs import KeptPasswordDialog

    again = practice_app("fresh")
    async with again.run_test(size=(80, 24)) as pilot:
        question = await wait_for_screen(pilot, OfferDialog, "the offer to show the kept password")
        text = visible_text(question.query_one("#question-text"))
        assert "ops.admin" in text and password not in text
        await pilot.press("y")
        dialog = await wait_for_screen(pilot, KeptPasswordDialog, "the kept password")
        assert password in visible_text(dialog.query_one("#password-text"))
        await pilot.press("d")
        await wait_for(pilot, lambda: not keyring_backend.entries, "the password to leave the keyring")
        assert not isinstance(again.screen, KeptPasswordDialog)
        assert "Deleted the console password of ops.admin" in _notices(again)
