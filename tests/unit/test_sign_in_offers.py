"""When the interactive front ends offer to sign in, and with which words (hsm_setup.session.sign_in).

From the AWS config files and the AWS CLI's caches only: no call to AWS.
"""

from __future__ import annotations

import datetime as dt
import json
import webbrowser
from pathlib import Path

import pytest

from hsm_setup.aws.connection import Connection
from hsm_setup.aws.signin import caches
from hsm_setup.aws.signin.mfa import MfaRequest
from hsm_setup.aws.signin.sso_device import try_open_browser
from hsm_setup.session.sign_in import SignInPage, sso_sign_in_after, sso_sign_in_before, time_left, with_mfa_asker

START_URL = "https://corp.awsapps.com/start"
CONFIG = f"""
[sso-session corp]
sso_start_url = {START_URL}
sso_region = eu-west-1

[profile sso]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = AdministratorAccess

[profile role-from-sso]
role_arn = arn:aws:iam::123456789012:role/Admin
source_profile = sso

[profile keys]
aws_access_key_id = AKIAEXAMPLEKEY001234
aws_secret_access_key = not-a-real-secret

[profile sso-missing-session]
sso_session = nowhere
sso_account_id = 123456789012
sso_role_name = AdministratorAccess
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "aws-config").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def _sign_in(expires_in: dt.timedelta) -> None:
    folder = caches.sso_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    expires = (dt.datetime.now(dt.UTC) + expires_in).strftime("%Y-%m-%dT%H:%M:%SZ")
    token = {"startUrl": START_URL, "region": "eu-west-1", "accessToken": "token", "expiresAt": expires}
    (folder / f"{caches.sso_token_key(START_URL, 'corp')}.json").write_text(json.dumps(token), encoding="utf-8")


# -- MFA ----------------------------------------------------------------------------------------------
def test_a_code_given_up_front_is_tried_first_then_the_front_end_asks() -> None:
    asked: list[MfaRequest] = []

    def dialog(request: MfaRequest) -> str:
        asked.append(request)
        return "654321"

    ask = with_mfa_asker(Connection(profile="admin", mfa_code="123456"), dialog).ask_mfa
    assert ask is not None
    first = MfaRequest("arn:aws:iam::123456789012:mfa/me", "arn:aws:iam::123456789012:role/Admin", "admin")
    assert ask(first) == "123456" and asked == []
    refused = MfaRequest(
        first.serial,
        first.role_arn,
        "admin",
        2,
        "MultiFactorAuthentication failed with invalid MFA one time pass code.",
    )
    assert ask(refused) == "654321" and asked == [refused]


def test_without_a_code_up_front_the_front_end_asks_at_once() -> None:
    def dialog(request: MfaRequest) -> str:
        return "654321"

    connection = with_mfa_asker(Connection(profile="admin"), dialog)
    assert connection.ask_mfa is dialog
    assert connection == Connection(profile="admin")  # the asker is not part of what the connection is


# -- IAM Identity Center: before connecting ------------------------------------------------------------
def test_an_sso_profile_that_is_not_signed_in_is_offered_a_sign_in(home: Path) -> None:
    offer = sso_sign_in_before(Connection(profile="sso"))
    assert offer is not None
    assert offer.target.start_url == START_URL and offer.target.session_name == "corp"
    assert (
        offer.reason
        == f"The profile `sso` signs in through IAM Identity Center ({START_URL}). Not signed in to IAM Identity Center."
    )
    assert offer.alternative == "Or run `aws sso login --profile sso` in another terminal, then connect again."


def test_an_expired_sign_in_is_offered_and_a_good_one_is_not(home: Path) -> None:
    _sign_in(-dt.timedelta(hours=1))
    offer = sso_sign_in_before(Connection(profile="sso"))
    assert offer is not None and offer.reason.endswith("Its IAM Identity Center sign-in has expired.")
    _sign_in(dt.timedelta(hours=1))
    assert sso_sign_in_before(Connection(profile="sso")) is None


def test_a_role_whose_source_is_an_sso_profile_signs_in_there(home: Path) -> None:
    offer = sso_sign_in_before(Connection(profile="role-from-sso"))
    assert offer is not None and offer.target.profile == "sso" and offer.target.start_url == START_URL


@pytest.mark.parametrize(
    "connection",
    [
        Connection(profile="keys"),
        Connection(profile="sso-missing-session"),  # it cannot work: the connect screen says why instead
        Connection(profile="not-in-the-file"),
        Connection(sandbox=True),
        Connection(profile="sso", access_key_id="AKIAEXAMPLEKEY001234", secret_access_key="x"),
    ],
)
def test_nothing_is_offered_where_a_sign_in_would_not_help(home: Path, connection: Connection) -> None:
    assert sso_sign_in_before(connection) is None


def test_the_default_profile_is_offered_unless_keys_in_the_environment_come_first(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (home / "aws-config").write_text(CONFIG.replace("[profile sso]", "[default]"), encoding="utf-8")
    offer = sso_sign_in_before(Connection())
    assert offer is not None and "`default`" in offer.reason and "aws sso login --profile default" in offer.alternative
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEY001234")
    assert sso_sign_in_before(Connection()) is None


# -- IAM Identity Center: after a failure --------------------------------------------------------------
def test_an_expired_sign_in_found_by_connecting_or_a_check_is_offered(home: Path) -> None:
    from botocore.exceptions import UnauthorizedSSOTokenError

    _sign_in(dt.timedelta(hours=1))  # the files say signed in; AWS said otherwise
    offer = sso_sign_in_after(Connection(profile="sso"), UnauthorizedSSOTokenError())
    assert offer is not None and "has expired or was never made" in offer.reason
    assert sso_sign_in_after(Connection(profile="sso"), "expired") is not None


def test_other_failures_and_other_profiles_are_not_offered_a_sign_in(home: Path) -> None:
    from botocore.exceptions import ClientError, RefreshWithMFAUnsupportedError

    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetCallerIdentity")
    assert sso_sign_in_after(Connection(profile="sso"), denied) is None
    assert sso_sign_in_after(Connection(profile="sso"), "access-denied") is None
    assert sso_sign_in_after(Connection(profile="role-from-sso"), RefreshWithMFAUnsupportedError()) is None
    assert sso_sign_in_after(Connection(profile="keys"), "expired") is None
    assert sso_sign_in_after(Connection(sandbox=True), "expired") is None


# -- the words shown ----------------------------------------------------------------------------------------
def test_the_page_the_code_and_the_time_left_in_words() -> None:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    page = SignInPage(
        "https://device.sso.eu-west-1.amazonaws.com/?user_code=ABCD-EFGH", "ABCD-EFGH", expires, False, False
    )
    assert page.lines == (
        "Open this page and approve the sign-in: https://device.sso.eu-west-1.amazonaws.com/?user_code=ABCD-EFGH",
        "Code: ABCD-EFGH (the page shows the same code; approve only if it does)",
        "No browser could be opened here: open the page on any device.",
    )
    assert time_left(599.7) == "9:59 left" and time_left(61) == "1:01 left" and time_left(-3) == "0:00 left"
    assert page.seconds_left(expires) == 0.0


# -- opening the browser --------------------------------------------------------------------------------------
def test_the_browser_is_opened_only_where_it_does_not_take_over_this_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []

    class TerminalBrowser(webbrowser.GenericBrowser):  # lynx, w3m, links: they would take over the terminal
        def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
            started.append(f"terminal {url}")
            return True

    class DesktopBrowser(webbrowser.BackgroundBrowser):  # xdg-open: started detached
        def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
            started.append(f"desktop {url}")
            return True

    monkeypatch.setattr(webbrowser, "get", lambda using=None: TerminalBrowser("w3m"))
    assert try_open_browser("https://example.com/device") is False
    monkeypatch.setattr(webbrowser, "get", lambda using=None: DesktopBrowser("xdg-open"))
    assert try_open_browser("https://example.com/device") is True
    assert started == ["desktop https://example.com/device"]
