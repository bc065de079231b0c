"""Credentials that expire or are revoked mid-run: the action stops, the message says how
to refresh for the kind of credentials in use, everything is kept, and the next run finishes."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from hsm_setup.errors import explain
from hsm_setup.state.account import AccountState

from .conftest import ACCOUNT, EXPECTED_INVENTORY, inventory
from .test_faults import run  # noqa: F401  (the in-process apply fixture)

pytestmark = pytest.mark.e2e


def _expire_at(practice, k: int):
    def rule(request):
        if request.mutating_index == k:
            practice.expire_credentials()

    return rule


@pytest.mark.parametrize("k", [1, 6, 13])
def test_credentials_expiring_mid_apply_stop_it_and_a_refresh_lets_it_finish(k, ready_account, proxy, run):
    proxy.rule = _expire_at(ready_account, k)
    code, out, err = run("apply", "--yes")
    assert code == 1, out + err
    text = out + err
    assert "Traceback" not in text
    assert "The credentials have expired" in err
    # Environment credentials (as in this test): say which variables to export again.
    assert "Export a new AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in err
    assert "Progress is saved" in err
    stopped_after = len([r for r in proxy.requests if r.mutating])
    state = AccountState(ACCOUNT)
    assert state.answers["admin.user_name"] == "hsm.operator"
    assert state.in_flight() == []  # the stopped action is recorded as failed, not left open

    ready_account.clear_faults()  # the person refreshed the credentials
    proxy.rule = lambda request: None
    code, out, err = run("apply", "--yes", config=False)
    assert code == 0, out + err
    assert inventory(ready_account) == EXPECTED_INVENTORY
    assert stopped_after <= k  # nothing was attempted after the expiry but the failing call itself


def test_revoked_credentials_mid_run_are_explained_and_nothing_after_is_attempted(ready_account, proxy, run):
    seen = {"revoked": False}

    def rule(request):
        if request.mutating_index == 4:
            seen["revoked"] = True
        return "expired" if seen["revoked"] else None

    proxy.rule = rule
    code, out, err = run("apply", "--yes")
    assert code == 1
    assert "The credentials have expired" in err and "Traceback" not in out + err
    changes_tried = [r.operation for r in proxy.requests if r.mutating]
    assert len(changes_tried) == 4  # the run stopped instead of failing change after change
    proxy.rule = lambda request: None
    code, out, err = run("apply", "--yes", config=False)
    assert code == 0, out + err
    assert inventory(ready_account) == EXPECTED_INVENTORY


def _expired(code: str = "ExpiredToken") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "The security token included in the request is expired"}}, "CreateGroup"
    )


@pytest.fixture
def profiles(tmp_path, monkeypatch):
    config = tmp_path / "aws-config"
    config.write_text(
        "[profile sso-admin]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\nregion = us-east-1\n"
        "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
        "[profile legacy-sso]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
        "sso_account_id = 123456789012\nsso_role_name = Admin\n"
        "[profile deployer]\nrole_arn = arn:aws:iam::123456789012:role/Deployer\nsource_profile = keys\n"
        "[profile helper]\ncredential_process = /usr/local/bin/get-creds\n",
        encoding="utf-8",
    )
    (tmp_path / "aws-credentials").write_text(
        "[keys]\naws_access_key_id = AKIAEXAMPLEEXAMPLE12\naws_secret_access_key = x\n", encoding="utf-8"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))


@pytest.mark.parametrize(
    ("profile", "advice"),
    [
        ("sso-admin", "aws sso login --profile sso-admin"),
        ("legacy-sso", "aws sso login --profile legacy-sso"),
        ("keys", "aws configure --profile keys"),
        ("deployer", "source profile `keys`"),
        ("helper", "credential_process"),
    ],
)
def test_the_refresh_advice_fits_the_profile_type(profiles, profile, advice):
    for code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
        problem = explain(_expired(code), profile)
        assert problem.kind == "expired"
        assert advice in problem.next_move
        assert "progress is kept" in problem.next_move


def test_the_refresh_advice_for_environment_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLEEXAMPLE12")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token")
    assert "AWS_SESSION_TOKEN" in explain(_expired(), None).next_move
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    assert "Export a new AWS_ACCESS_KEY_ID" in explain(_expired(), None).next_move
