"""Every kind of AWS profile listed and explained, and the ones that cannot work saying why, without a call to AWS."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

import pytest

from hsm_setup.aws.signin import caches
from hsm_setup.aws.signin.profiles import Needs, ProfileKind, list_profiles

ROLE = "arn:aws:iam::123456789012:role/Admin"
SERIAL = "arn:aws:iam::123456789012:mfa/me"

CONFIG = f"""
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1

[profile sso]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = AdministratorAccess

[profile sso-legacy]
sso_start_url = https://old.awsapps.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = ReadOnly

[profile sso-missing-session]
sso_session = nowhere
sso_account_id = 123456789012
sso_role_name = AdministratorAccess

[profile sso-no-role]
sso_session = corp
sso_account_id = 123456789012

[profile keys]
aws_access_key_id = AKIAEXAMPLEKEY001234
aws_secret_access_key = not-a-real-secret

[profile half-keys]
aws_access_key_id = AKIAEXAMPLEKEY005678

[profile role]
role_arn = {ROLE}
source_profile = keys

[profile role-mfa]
role_arn = {ROLE}
source_profile = keys
mfa_serial = {SERIAL}

[profile chain]
role_arn = arn:aws:iam::123456789012:role/Top
source_profile = role-mfa

[profile no-source]
role_arn = {ROLE}

[profile both-sources]
role_arn = {ROLE}
source_profile = keys
credential_source = Environment

[profile missing-source]
role_arn = {ROLE}
source_profile = ghost

[profile loop-a]
role_arn = {ROLE}
source_profile = loop-b

[profile loop-b]
role_arn = {ROLE}
source_profile = loop-a

[profile broken-chain]
role_arn = {ROLE}
source_profile = half-keys

[profile process]
credential_process = /definitely/not/here/credential-helper --json

[profile process-found]
credential_process = "sh" -c "echo"

[profile login]
login_session = arn:aws:iam::123456789012:user/me

[profile settings-only]
region = eu-west-1
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "aws-config").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def _listing() -> dict:
    listing = list_profiles()
    assert listing.problem is None
    return {p.name: p for p in listing.profiles}


def test_each_kind_of_profile_is_named_and_described(home: Path) -> None:
    profiles = _listing()
    kinds = {name: p.kind for name, p in profiles.items()}
    assert kinds["sso"] is ProfileKind.SSO
    assert kinds["sso-legacy"] is ProfileKind.SSO_LEGACY
    assert kinds["keys"] is ProfileKind.STATIC
    assert kinds["role"] is ProfileKind.ROLE
    assert kinds["role-mfa"] is ProfileKind.ROLE_MFA
    assert kinds["process-found"] is ProfileKind.PROCESS
    assert kinds["login"] is ProfileKind.LOGIN
    assert kinds["settings-only"] is ProfileKind.NONE
    assert (
        "AdministratorAccess" in profiles["sso"].description
        and "https://corp.awsapps.com/start" in profiles["sso"].description
    )
    assert SERIAL in profiles["role-mfa"].description and "`keys`" in profiles["role-mfa"].description
    # The key id is shown shortened; the secret never.
    assert "AKIA…1234" in profiles["keys"].description and "not-a-real-secret" not in repr(profiles)
    for name in ("sso", "sso-legacy", "keys", "role", "role-mfa", "chain", "process-found"):
        assert profiles[name].usable, (name, profiles[name].problem)


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("sso-missing-session", "sso_session `nowhere` is not defined"),
        ("sso-no-role", "lacks sso_role_name"),
        ("half-keys", "no aws_secret_access_key"),
        ("no-source", "neither source_profile nor credential_source"),
        ("both-sources", "both source_profile and credential_source"),
        ("missing-source", "source_profile `ghost` does not exist"),
        ("loop-a", "loop: loop-a -> loop-b -> loop-a"),
        ("broken-chain", "source profile `half-keys` cannot work"),
        ("process", "`/definitely/not/here/credential-helper` was not found"),
        ("settings-only", "holds no credentials"),
    ],
)
def test_a_profile_that_cannot_work_says_why_before_it_is_tried(home: Path, name: str, says: str) -> None:
    profile = _listing()[name]
    assert not profile.usable
    assert says in profile.problem


def test_what_signing_in_will_ask_for(home: Path) -> None:
    profiles = _listing()
    assert profiles["role-mfa"].needs is Needs.MFA_CODE and "MFA code" in profiles["role-mfa"].status
    assert profiles["chain"].needs is Needs.MFA_CODE  # its source role asks for the code
    assert profiles["sso"].needs is Needs.SSO_SIGN_IN and "Not signed in" in profiles["sso"].status
    assert profiles["keys"].needs is None and profiles["role"].needs is None


def test_a_login_session_profile_needs_the_aws_common_runtime_or_a_sign_in(home: Path) -> None:
    from botocore.compat import EC

    login = _listing()["login"]
    if EC is None:
        assert "botocore[crt]" in login.problem
    else:
        assert login.needs is Needs.AWS_LOGIN and "aws login --profile login" in login.status


def test_a_cached_role_session_and_sso_token_count_as_signed_in(home: Path) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    role_entry = {
        "Credentials": {
            "AccessKeyId": "ASIA",
            "SecretAccessKey": "x",
            "SessionToken": "y",
            "Expiration": later.strftime("%Y-%m-%dT%H:%M:%SUTC"),
        }
    }
    folder = caches.cli_cache_dir()
    folder.mkdir(parents=True)
    (folder / f"{caches.role_cache_key({'role_arn': ROLE, 'mfa_serial': SERIAL})}.json").write_text(
        json.dumps(role_entry)
    )
    token_dir = caches.sso_cache_dir()
    token_dir.mkdir(parents=True)
    token = {
        "startUrl": "https://corp.awsapps.com/start",
        "region": "eu-west-1",
        "accessToken": "t",
        "expiresAt": later.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    (token_dir / f"{caches.sso_token_key('https://corp.awsapps.com/start', 'corp')}.json").write_text(json.dumps(token))

    profiles = _listing()
    assert profiles["role-mfa"].needs is None and "cached until" in profiles["role-mfa"].status
    assert profiles["chain"].needs is None  # its source role's session is cached: no code asked
    assert profiles["sso"].needs is None and "Signed in" in profiles["sso"].status


def test_an_unreadable_config_file_is_reported_not_raised(home: Path) -> None:
    (home / "aws-config").write_text("[profile broken\nregion = x\n", encoding="utf-8")
    listing = list_profiles()
    assert listing.profiles == () and "cannot be read" in listing.problem


@pytest.mark.parametrize(
    "config",
    [
        {"role_arn": ROLE},
        {"role_arn": ROLE, "mfa_serial": SERIAL},
        {
            "role_arn": ROLE,
            "mfa_serial": SERIAL,
            "role_session_name": "me",
            "external_id": "x",
            "duration_seconds": "7200",
        },
        {"role_arn": ROLE, "duration_seconds": "not-a-number"},
    ],
)
def test_the_role_cache_key_is_botocores(config: dict) -> None:
    """The AWS CLI and botocore find a role's cached session under this key: it must match exactly."""
    from botocore.credentials import AssumeRoleCredentialFetcher

    extra: dict = {}
    for key, arg in (
        ("role_session_name", "RoleSessionName"),
        ("external_id", "ExternalId"),
        ("mfa_serial", "SerialNumber"),
    ):
        if key in config:
            extra[arg] = config[key]
    if "duration_seconds" in config:
        with contextlib.suppress(ValueError):
            extra["DurationSeconds"] = int(config["duration_seconds"])
    fetcher = AssumeRoleCredentialFetcher(lambda *a, **k: None, None, config["role_arn"], extra_args=extra)
    assert caches.role_cache_key(config) == fetcher._cache_key
