"""IAM Identity Center sign-in without the AWS CLI, end to end against the practice account through the core API."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.connection import Connection
from hsm_setup.aws.identity import get_identity
from hsm_setup.aws.signin import caches
from hsm_setup.aws.signin.profiles import Needs, list_profiles
from hsm_setup.aws.signin.sso_device import (
    DeviceSignIn,
    SignInCancelled,
    SignInDenied,
    SignInExpired,
    approve_on_practice_page,
    sso_target,
)
from hsm_setup.errors import explain

from .signin_helpers import START_URL, aws_cli, cache_files, no_traceback, run_aws_cli, write_config

# The keys `aws sso login` writes (awscli/botocore's SSOTokenFetcher), with a refresh token for scoped registrations.
AWS_CLI_TOKEN_KEYS = {
    "startUrl",
    "region",
    "accessToken",
    "expiresAt",
    "clientId",
    "clientSecret",
    "registrationExpiresAt",
    "refreshToken",
}


@pytest.fixture
def home(practice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    write_config(tmp_path / "aws-config")
    return tmp_path


def _sign_in(practice, **kwargs) -> DeviceSignIn:
    return DeviceSignIn(sso_target("sso-admin"), endpoint_url=practice.endpoint_url, **kwargs)


def _connect(practice) -> str:
    return get_identity(AwsSession(Connection(profile="sso-admin", endpoint_url=practice.endpoint_url))).arn


def test_signing_in_through_the_device_flow_then_connecting(practice, home: Path) -> None:
    assert list_profiles().named("sso-admin").needs is Needs.SSO_SIGN_IN
    with pytest.raises(Exception) as before:
        _connect(practice)
    assert "aws sso login --profile sso-admin" in explain(before.value, "sso-admin").next_move

    sign_in = _sign_in(practice)
    authorization = sign_in.start()
    assert authorization.user_code in authorization.verification_url
    assert 0 < authorization.seconds_left() <= 600
    assert sign_in.poll() is None  # not approved yet
    practice.approve_sign_in(authorization.user_code)
    signed_in = sign_in.poll()

    assert signed_in is not None and signed_in.start_url == START_URL
    token = json.loads(signed_in.token_file.read_text())
    assert set(token) == AWS_CLI_TOKEN_KEYS and token["startUrl"] == START_URL and token["expiresAt"].endswith("Z")
    assert signed_in.token_file.name == f"{caches.sso_token_key(START_URL, 'practice')}.json"
    profile = list_profiles().named("sso-admin")
    assert profile.needs is None and "Signed in" in profile.status
    assert "assumed-role/AWSReservedSSO_AdministratorAccess_" in _connect(practice)


def test_the_registration_is_reused_for_the_next_sign_in(practice, home: Path) -> None:
    first = _sign_in(practice)
    practice.approve_sign_in(first.start().user_code)
    first.poll()
    registrations = [
        p for p in cache_files(home, "sso") if p.name != f"{caches.sso_token_key(START_URL, 'practice')}.json"
    ]
    second = _sign_in(practice)
    practice.approve_sign_in(second.start().user_code)
    second.poll()
    assert [
        p for p in cache_files(home, "sso") if p.name != f"{caches.sso_token_key(START_URL, 'practice')}.json"
    ] == registrations
    assert len(registrations) == 1


def test_waiting_polls_at_the_interval_slows_down_when_told_and_ends_when_approved(practice, home: Path) -> None:
    pauses: list[float] = []
    pending: list[float] = []
    sign_in = _sign_in(practice, pause=pauses.append)
    authorization = sign_in.start()
    practice.slow_down_sign_in(1)

    def on_pending(seconds_left: float) -> None:
        pending.append(seconds_left)
        if len(pending) == 2:  # the person approves while hsm-setup waits
            practice.approve_sign_in(authorization.user_code)

    signed_in = sign_in.wait(on_pending=on_pending)
    assert signed_in.token_file.is_file()
    assert pauses == [authorization.interval + 5, authorization.interval + 5]  # SlowDownException adds 5 seconds
    assert all(0 < left <= 600 for left in pending)


def test_cancelling_stops_waiting_and_writes_no_token(practice, home: Path) -> None:
    sign_in = _sign_in(practice, pause=lambda seconds: None)
    sign_in.start()
    with pytest.raises(SignInCancelled):
        sign_in.wait(on_pending=lambda left: sign_in.cancel())
    assert not (caches.sso_cache_dir() / f"{caches.sso_token_key(START_URL, 'practice')}.json").exists()


def test_a_denied_request_says_so(practice, home: Path) -> None:
    sign_in = _sign_in(practice)
    practice.deny_sign_in(sign_in.start().user_code)
    with pytest.raises(SignInDenied):
        sign_in.poll()


def test_a_request_not_approved_in_time_expires(practice, home: Path) -> None:
    now = [dt.datetime.now(dt.UTC)]
    sign_in = _sign_in(
        practice, clock=lambda: now[0], pause=lambda seconds: now.__setitem__(0, now[0] + dt.timedelta(minutes=11))
    )
    sign_in.start()
    with pytest.raises(SignInExpired) as caught:
        sign_in.wait()
    assert "expired before it was approved" in caught.value.cause


def test_the_simulated_console_action_approves_the_sign_in(practice, home: Path) -> None:
    sign_in = _sign_in(practice)
    sign_in.start()
    assert "approved in the browser" in practice.simulate("sso-sign-in")
    assert sign_in.poll() is not None

    again = _sign_in(practice)
    authorization = again.start()
    assert "Simulated" in approve_on_practice_page(authorization)  # what the wizard's "simulate" button does
    assert again.poll() is not None


# -- headless: the clear exit 2 stays ------------------------------------------------------------
def test_headless_without_a_token_exits_2_with_aws_sso_login_advice(cli, home: Path) -> None:
    done = cli("check", "--profile", "sso-admin", input="", HOME=str(home))
    assert done.returncode == 2
    assert "aws sso login --profile sso-admin" in done.stderr and no_traceback(done.stderr)


def test_headless_with_an_expired_token_exits_2_with_aws_sso_login_advice(cli, home: Path) -> None:
    folder = caches.sso_cache_dir()
    folder.mkdir(parents=True)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    token = {"startUrl": START_URL, "region": "us-east-1", "accessToken": "expired", "expiresAt": past}
    (folder / f"{caches.sso_token_key(START_URL, 'practice')}.json").write_text(json.dumps(token))
    done = cli("check", "--profile", "sso-admin", input="", HOME=str(home))
    assert done.returncode == 2
    assert "aws sso login --profile sso-admin" in done.stderr and no_traceback(done.stderr)


def test_headless_after_signing_in_connects(cli, practice, home: Path) -> None:
    sign_in = _sign_in(practice)
    practice.approve_sign_in(sign_in.start().user_code)
    sign_in.poll()
    done = cli("check", "--profile", "sso-admin", input="", HOME=str(home))
    assert done.returncode in (0, 1), done.stderr
    assert "assumed-role/AWSReservedSSO_AdministratorAccess_" in done.stdout


@pytest.mark.skipif(aws_cli() is None, reason="the AWS CLI is not installed (pip install awscli)")
def test_the_aws_cli_uses_the_token_hsm_setup_wrote(cli, practice, home: Path) -> None:
    sign_in = _sign_in(practice)
    practice.approve_sign_in(sign_in.start().user_code)
    sign_in.poll()
    aws = run_aws_cli(
        "sts", "get-caller-identity", "--profile", "sso-admin", "--output", "json", env=cli.env(HOME=str(home))
    )
    assert aws.returncode == 0, aws.stderr
    assert "assumed-role/AWSReservedSSO_AdministratorAccess_" in json.loads(aws.stdout)["Arn"]
