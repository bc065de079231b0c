"""Signing in inside the wizard: a role's MFA code in the wizard's own dialog, IAM Identity
Center's device sign-in without leaving it, and every profile explained on the connect screen.

Against the practice account over HTTP: it checks MFA codes on AssumeRole as AWS does
and answers the IAM Identity Center sign-in, approved through its control channel or its
simulated browser approval.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.signin_helpers import set_up_mfa, write_config, wrong_code

from .conftest import run_async, visible_text, wait_for, wait_for_screen, wait_settled

pytestmark = pytest.mark.tui

SIZE = (100, 30)


@pytest.fixture
def home(practice: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home of its own (no cached role session or SSO token), the practice account as it starts."""
    monkeypatch.setenv("HOME", str(tmp_path))
    practice.reset("fresh")
    return tmp_path


@pytest.fixture
def mfa(practice: Any, home: Path) -> Any:
    setup = set_up_mfa(practice)
    write_config(home / "aws-config", setup)
    return setup


@pytest.fixture
def sso(home: Path) -> Path:
    return write_config(home / "aws-config")


@pytest.fixture(autouse=True)
def _botocore_never_prompts(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's own prompt (getpass on the terminal) must never be reached."""

    def refuse(*args: object, **kwargs: object) -> str:
        raise AssertionError("botocore's terminal prompt was used")

    monkeypatch.setattr(getpass, "getpass", refuse)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The pages the sign-in opened in a browser (none is started)."""
    pages: list[str] = []
    monkeypatch.setattr("hsm_setup.session.sign_in.try_open_browser", lambda url: pages.append(url) or True)
    return pages


def _app(practice: Any, profile: str | None) -> Any:
    from hsm_setup.aws.connection import Connection
    from hsm_setup_screens.app import make_app

    connection = Connection(profile=profile, endpoint_url=practice.endpoint_url) if profile else None
    return make_app(connection, watch_interval=None, sleep=lambda seconds: None)


def _caller(app: Any) -> str:
    identity = app.view().identity
    return identity.arn if identity is not None else ""


# -- a role that requires MFA ------------------------------------------------------------------
@run_async
async def test_the_mfa_code_is_asked_in_the_wizard_masked_and_a_refused_one_again_with_aws_reason(practice, mfa):
    from textual.widgets import Input

    from hsm_setup_screens.sign_in_dialogs import MfaDialog

    app = _app(practice, "admin")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await wait_for_screen(pilot, MfaDialog, "the MFA dialog")
        text = visible_text(dialog.query_one("#mfa-text"))
        assert mfa.serial in text and mfa.role_arn in text and "`admin`" in text
        field = dialog.query_one("#mfa-code", Input)
        assert field.password  # masked
        assert not dialog.query("#mfa-refused")

        await pilot.press(*wrong_code(practice, mfa.serial), "enter")
        await wait_for(
            pilot, lambda: app.screen is not dialog and app.screen.query("#mfa-refused"), "the MFA dialog, asked again"
        )
        again = await wait_for_screen(pilot, MfaDialog, "the MFA dialog, asked again")
        refusal = visible_text(again.query_one("#mfa-refused"))
        assert "MultiFactorAuthentication failed with invalid MFA one time pass code." in refusal
        assert "Try 2 of 3" in refusal

        await pilot.press(*practice.mfa_code(mfa.serial), "enter")
        await wait_settled(pilot)
        assert "assumed-role/PracticeMfaAdmin/" in _caller(app)
        assert len(app.view().steps) == 6 and all(step.result is not None for step in app.view().steps)


@run_async
async def test_a_code_that_is_not_six_digits_is_refused_in_the_dialog_before_anything_is_sent(practice, mfa):
    from hsm_setup_screens.sign_in_dialogs import MfaDialog

    app = _app(practice, "admin")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await wait_for_screen(pilot, MfaDialog, "the MFA dialog")
        await pilot.press("1", "2", "3", "enter")
        assert app.screen is dialog
        assert "An MFA code is the 6 digits the MFA device shows." in visible_text(dialog.query_one("#mfa-error"))


@run_async
async def test_escape_in_the_mfa_dialog_goes_back_to_the_connect_screen_saying_why(practice, mfa, home):
    from hsm_setup_screens.connect import ConnectScreen
    from hsm_setup_screens.sign_in_dialogs import MfaDialog

    app = _app(practice, "admin")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, MfaDialog, "the MFA dialog")
        await pilot.press("escape")
        screen = await wait_for_screen(pilot, ConnectScreen, "the connect screen")
        notice = screen.query_one("#connect-notice")
        assert notice.display  # in the introduction's place, above the list
        assert f"Sign-in cancelled: no MFA code was given for {mfa.role_arn}." in visible_text(notice)
        assert not app.view().connected
    assert not list((home / ".aws" / "cli" / "cache").glob("*.json"))  # nothing signed in


# -- IAM Identity Center ---------------------------------------------------------------------------
async def _start_sign_in(pilot: Any, offer: list[str] | None = None) -> Any:
    """Sign in (Enter) in the offer; `offer` gets the offer's text."""
    from hsm_setup_screens.sign_in_dialogs import SsoSignInDialog

    dialog = await wait_for_screen(pilot, SsoSignInDialog, "the sign-in offer")
    if offer is not None:
        offer.append(visible_text(dialog.query_one("#sign-in-text")))
    await pilot.press("enter")  # Sign in
    await wait_for(pilot, lambda: dialog.page is not None, "the sign-in page and code")
    await pilot.pause()
    return dialog


@run_async
async def test_sso_sign_in_in_the_wizard_approved_in_the_browser(practice, sso, opened):
    app = _app(practice, "sso-admin")
    async with app.run_test(size=SIZE) as pilot:
        offers: list[str] = []
        dialog = await _start_sign_in(pilot, offers)
        assert "`sso-admin`" in offers[0] and "aws sso login --profile sso-admin" in offers[0]
        page = visible_text(dialog.query_one("#sign-in-page"))
        assert dialog.page.user_code in page and dialog.page.verification_url in page
        assert opened == [dialog.page.verification_url]  # the browser, where there is one
        assert "Waiting for the approval:" in visible_text(dialog.query_one("#sign-in-countdown"))
        assert " left" in visible_text(dialog.query_one("#sign-in-countdown"))

        practice.approve_sign_in(dialog.page.user_code)  # the person, in the browser
        await wait_settled(pilot)
        assert "assumed-role/AWSReservedSSO_AdministratorAccess_" in _caller(app)


@run_async
async def test_on_the_practice_account_simulate_stands_in_for_the_browser(practice, sso, opened):
    app = _app(practice, "sso-admin")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await _start_sign_in(pilot)
        simulate = dialog.query_one("#simulate")
        assert simulate.display and "Simulate: approve" in str(simulate.label)
        assert "PRACTICE ACCOUNT" in visible_text(dialog.query_one("#sign-in-page"))
        await pilot.press("m")
        await wait_settled(pilot)
        assert "assumed-role/AWSReservedSSO_AdministratorAccess_" in _caller(app)


@run_async
async def test_cancelling_the_sso_sign_in_goes_back_to_the_connect_screen(practice, sso, opened, home):
    from hsm_setup.aws.signin import caches
    from hsm_setup_screens.connect import ConnectScreen

    app = _app(practice, "sso-admin")
    async with app.run_test(size=SIZE) as pilot:
        await _start_sign_in(pilot)
        await pilot.press("escape")
        screen = await wait_for_screen(pilot, ConnectScreen, "the connect screen")
        assert "Sign-in cancelled: nothing was signed in." in visible_text(screen.query_one("#connect-notice"))
    assert not (
        caches.sso_cache_dir() / f"{caches.sso_token_key('https://practice-portal.awsapps.com/start', 'practice')}.json"
    ).exists()


@run_async
async def test_a_denied_sign_in_says_so_in_the_dialog_and_can_start_again(practice, sso, opened):
    app = _app(practice, "sso-admin")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await _start_sign_in(pilot)
        practice.deny_sign_in(dialog.page.user_code)
        await wait_for(pilot, lambda: "denied" in visible_text(dialog.query_one("#sign-in-error")), "the refusal")
        assert "choose Allow" in visible_text(dialog.query_one("#sign-in-error"))
        assert app.screen is dialog and dialog.query_one("#start").display
        dialog = await _start_sign_in(pilot)
        practice.approve_sign_in(dialog.page.user_code)
        await wait_settled(pilot)
        assert "assumed-role/AWSReservedSSO_AdministratorAccess_" in _caller(app)


@run_async
async def test_a_check_failing_on_an_expired_sign_in_offers_to_sign_in_again(practice, sso, opened):
    from hsm_setup_screens.sign_in_dialogs import SsoSignInDialog

    app = _app(practice, "sso-admin")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await _start_sign_in(pilot)
        await pilot.press("m")
        await wait_settled(pilot)
        practice.expire_credentials()  # AWS now answers ExpiredToken
        await pilot.press("ctrl+r")
        dialog = await wait_for_screen(pilot, SsoSignInDialog, "the sign-in offer")
        assert "has expired" in visible_text(dialog.query_one("#sign-in-text"))
        practice.clear_faults()
        dialog = await _start_sign_in(pilot)
        await pilot.press("m")
        await wait_for(pilot, lambda: app.screen is not dialog, "the sign-in to end")
        await wait_settled(pilot)
        assert not any(step.state.value == "error" for step in app.view().steps)


# -- the connect screen --------------------------------------------------------------------------
@run_async
async def test_every_profile_is_listed_with_its_kind_and_one_that_cannot_work_is_greyed_with_why(practice, mfa, home):
    from textual.widgets import OptionList

    from hsm_setup_screens.connect import ConnectScreen

    with (home / "aws-config").open("a") as config:
        config.write("\n[profile orphan]\nrole_arn = arn:aws:iam::123456789012:role/Nowhere\nsource_profile = gone\n")
    app = _app(practice, None)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ConnectScreen, "the connect screen")
        options = screen.query_one("#connections", OptionList)
        await wait_for(
            pilot, lambda: options.get_option_at_index(options.option_count - 1).id == "access-keys", "the profiles"
        )
        listed = {
            options.get_option_at_index(i).id: options.get_option_at_index(i) for i in range(options.option_count)
        }
        assert str(listed["profile:admin"].prompt).startswith("AWS profile admin (role with MFA)\n  Assumes the role")
        # The highlighted profile in full, above the list.
        options.highlighted = list(listed).index("profile:admin")
        await pilot.pause()
        detail = screen.query_one("#profile-detail")
        assert detail.display and not screen.query_one("#connect-intro").display
        assert visible_text(detail) == (
            f"admin (role with MFA): Assumes the role {mfa.role_arn} with MFA (device {mfa.serial}), "
            "from the profile `base`. Asks for an MFA code."
        )
        assert "sso-admin (IAM Identity Center)" in str(listed["profile:sso-admin"].prompt)
        assert "Not signed in to IAM Identity Center." in str(listed["profile:sso-admin"].prompt)
        assert "base (access keys)" in str(listed["profile:base"].prompt)
        orphan = listed["profile:orphan"]
        assert orphan.disabled and "Cannot work: Its source_profile `gone` does not exist." in str(orphan.prompt)
        assert not listed["profile:admin"].disabled


@run_async
async def test_choosing_an_sso_profile_that_is_not_signed_in_offers_the_sign_in(practice, sso, opened, monkeypatch):
    from textual.widgets import OptionList

    from hsm_setup_screens.connect import ConnectScreen
    from hsm_setup_screens.sign_in_dialogs import SsoSignInDialog

    # The connect screen builds its connection from the profile; botocore sends it to the practice account.
    monkeypatch.setenv("AWS_ENDPOINT_URL", practice.endpoint_url)
    app = _app(practice, None)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ConnectScreen, "the connect screen")
        options = screen.query_one("#connections", OptionList)
        await wait_for(
            pilot, lambda: options.get_option_at_index(options.option_count - 1).id == "access-keys", "the profiles"
        )
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        options.highlighted = ids.index("profile:sso-admin")
        await pilot.press("enter")
        dialog = await wait_for_screen(pilot, SsoSignInDialog, "the sign-in offer")
        assert "Not signed in to IAM Identity Center." in visible_text(dialog.query_one("#sign-in-text"))
        dialog = await _start_sign_in(pilot)
        await pilot.press("m")
        await wait_settled(pilot)
        assert "assumed-role/AWSReservedSSO_AdministratorAccess_" in _caller(app)
