"""Signing in from `hsm-setup --plain`: profiles explained, a role's MFA code asked masked, and
IAM Identity Center's device sign-in run in the prompts, against the practice account over HTTP."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import pytest

from hsm_setup.aws.connection import Connection
from hsm_setup.aws.signin import caches
from tests.unit.test_plain_flow import CTRL_C, FakeQuestionary, Keys, make_flow, run

from .signin_helpers import START_URL, set_up_mfa, write_config, wrong_code


@pytest.fixture
def home(practice: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))  # no cached role session or SSO token
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
def _no_terminal_prompt_or_browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """botocore's own prompt is never reached; the sign-in page is recorded, not opened."""

    def refuse(*args: object, **kwargs: object) -> str:
        raise AssertionError("botocore's terminal prompt was used")

    monkeypatch.setattr(getpass, "getpass", refuse)
    opened: list[str] = []
    monkeypatch.setattr("hsm_setup.session.sign_in.try_open_browser", lambda url: opened.append(url) or False)
    return opened


def _caller(flow: Any) -> str:
    identity = flow.session.identity
    return identity.arn if identity is not None else ""


# -- profiles ---------------------------------------------------------------------------------------
def test_every_profile_is_listed_with_its_kind_and_one_that_cannot_work_is_greyed_with_why(
    monkeypatch, practice, mfa, home
) -> None:
    with (home / "aws-config").open("a") as config:
        config.write("\n[profile orphan]\nrole_arn = arn:aws:iam::123456789012:role/Nowhere\nsource_profile = gone\n")
    fake = FakeQuestionary([("How should hsm-setup reach AWS", "AWS profile base")]).install(monkeypatch)
    flow, _ = make_flow(None)

    connection, typed = flow.choose_connection()

    assert connection.profile == "base" and typed is None
    asked = fake.asked[0]
    admin = next(title for title in asked.choices if title.startswith("AWS profile admin "))
    assert (
        admin.startswith("AWS profile admin (role with MFA): Assumes the role")
        and mfa.serial in admin
        and admin.endswith("Asks for an MFA code.")
    )
    assert any(
        t.startswith("AWS profile sso-admin (IAM Identity Center):") and "Not signed in" in t for t in asked.choices
    )
    assert asked.disabled == {"AWS profile orphan (role)": "cannot work: Its source_profile `gone` does not exist."}


# -- a role that requires MFA --------------------------------------------------------------------------
def test_the_mfa_code_is_asked_masked_naming_the_device_and_role_and_again_after_aws_refuses(
    monkeypatch, practice, mfa
) -> None:
    codes = [lambda: wrong_code(practice, mfa.serial), lambda: "12ab", lambda: practice.mfa_code(mfa.serial)]
    fake = FakeQuestionary([("MFA code for", codes)]).install(monkeypatch)
    flow, out = make_flow(Connection(profile="admin", endpoint_url=practice.endpoint_url))

    assert flow.connect()

    assert "assumed-role/PracticeMfaAdmin/" in _caller(flow)
    asked = [a for a in fake.asked if "MFA code for" in a.message]
    assert [a.kind for a in asked] == ["password", "password"]  # masked
    assert asked[0].message == f"MFA code for {mfa.serial} (role {mfa.role_arn}):"
    assert (
        "Not accepted: MultiFactorAuthentication failed with invalid MFA one time pass code. (try 2 of 3)"
        in out.getvalue()
    )
    assert fake.invalid == ["An MFA code is the 6 digits the MFA device shows."]  # refused by the prompt, never sent
    flow.session.close()


def test_an_empty_mfa_answer_cancels_and_goes_back_to_the_choice_saying_why(monkeypatch, practice, mfa, home) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", practice.endpoint_url)
    fake = FakeQuestionary(
        [("How should hsm-setup reach AWS", ["AWS profile admin", CTRL_C]), ("MFA code for", "")]
    ).install(monkeypatch)
    flow, out = make_flow(None)

    assert run(flow) == 130  # Ctrl-C at the second choice

    text = out.getvalue()
    assert f"Sign-in cancelled: no MFA code was given for {mfa.role_arn}." in text
    assert "Connect again when the MFA device is at hand." in text
    assert sum("How should hsm-setup reach AWS" in m for m in fake.messages("select")) == 2
    assert "Choose another way to connect?" not in fake.messages("confirm")
    assert not list((home / ".aws" / "cli" / "cache").glob("*.json"))


# -- IAM Identity Center -------------------------------------------------------------------------------
def _token_file() -> Path:
    return caches.sso_cache_dir() / f"{caches.sso_token_key(START_URL, 'practice')}.json"


def test_sso_sign_in_in_the_prompts_with_the_practice_account_s_simulated_approval(
    monkeypatch, practice, sso, _no_terminal_prompt_or_browser
) -> None:
    fake = FakeQuestionary([("Sign in to IAM Identity Center now", True), ("simulate approving", True)]).install(
        monkeypatch
    )
    flow, out = make_flow(Connection(profile="sso-admin", endpoint_url=practice.endpoint_url))

    assert flow.connect()

    text = out.getvalue()
    assert (
        f"The profile `sso-admin` signs in through IAM Identity Center ({START_URL}). Not signed in to IAM Identity Center."
        in text
    )
    page = _no_terminal_prompt_or_browser[0]
    assert f"Open this page and approve the sign-in: {page}" in text
    assert "No browser could be opened here: open the page on any device." in text
    assert "Simulated: the sign-in request" in text and "Signed in to IAM Identity Center until" in text
    assert "assumed-role/AWSReservedSSO_AdministratorAccess_" in _caller(flow)
    assert _token_file().is_file()
    assert fake.messages("confirm")[0] == "Sign in to IAM Identity Center now?"
    flow.session.close()


def test_sso_sign_in_counts_down_until_approved_in_the_browser(monkeypatch, practice, sso) -> None:
    FakeQuestionary([("Sign in to IAM Identity Center now", True), ("simulate approving", False)]).install(monkeypatch)
    ticks: list[float] = []

    def person(timeout: float) -> None:
        """One second of the countdown passes with nothing typed; meanwhile the person approves in the browser."""
        ticks.append(timeout)
        if len(ticks) == 2:
            practice.approve_sign_in()

    flow, out = make_flow(Connection(profile="sso-admin", endpoint_url=practice.endpoint_url), keys=person)

    assert flow.connect()

    text = out.getvalue()
    assert "Waiting for the approval: type c and Enter to cancel." in text
    assert "\r  Waiting for the approval: 9:5" in text and " left (c Enter: cancel)" in text
    assert "assumed-role/AWSReservedSSO_AdministratorAccess_" in _caller(flow)
    flow.session.close()


def test_typing_c_cancels_the_sso_sign_in_and_nothing_is_signed_in(monkeypatch, practice, sso) -> None:
    FakeQuestionary([("Sign in to IAM Identity Center now", True), ("simulate approving", False)]).install(monkeypatch)
    flow, out = make_flow(Connection(profile="sso-admin", endpoint_url=practice.endpoint_url), keys=Keys("c"))

    assert not flow.connect()

    assert "Sign-in cancelled: nothing was signed in." in out.getvalue()
    assert not _token_file().exists()


def test_declining_the_sso_sign_in_names_aws_sso_login(monkeypatch, practice, sso) -> None:
    FakeQuestionary([("Sign in to IAM Identity Center now", False)]).install(monkeypatch)
    flow, out = make_flow(Connection(profile="sso-admin", endpoint_url=practice.endpoint_url))

    assert not flow.connect()

    assert "Or run `aws sso login --profile sso-admin` in another terminal, then connect again." in out.getvalue()


def test_a_check_failing_on_an_expired_sign_in_offers_to_sign_in_again(monkeypatch, practice, sso) -> None:
    def approve_once_aws_answers_again() -> bool:
        practice.clear_faults()
        return True

    fake = FakeQuestionary(
        [("Sign in to IAM Identity Center now", True), ("simulate approving", [True, approve_once_aws_answers_again])]
    ).install(monkeypatch)
    flow, out = make_flow(Connection(profile="sso-admin", endpoint_url=practice.endpoint_url))
    assert flow.connect()
    practice.expire_credentials()  # AWS now answers ExpiredToken
    flow.session.check()
    assert flow.step_view("root-user").result.problem_kind == "expired"

    flow.after_error("root-user")

    text = out.getvalue()
    assert "its sign-in has expired or was never made" in text
    assert sum(m == "Sign in to IAM Identity Center now?" for m in fake.messages("confirm")) == 2
    assert "Nothing else can be checked with these credentials" not in text
    assert not any(step.state.value == "error" for step in flow.session.view().steps)  # checked again, signed in
    flow.session.close()
