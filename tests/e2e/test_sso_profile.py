"""`hsm-setup sso-profile` against the practice account's server, read back by botocore as the AWS CLI would."""

from __future__ import annotations

import os

import pytest

from tests.e2e.conftest import Cli
from tests.e2e.handoff import ACCOUNT, clients

pytestmark = pytest.mark.e2e
EXISTING = """# my settings: keep me
[default]
region = eu-west-1 ; the usual one

[profile other]
# a comment inside a section
role_arn = arn:aws:iam::111111111111:role/x
source_profile = default
s3 =
  max_concurrent_requests = 20
"""


def read_profile(config, name):
    import botocore.session

    os.environ["AWS_CONFIG_FILE"] = str(config)
    session = botocore.session.Session(profile=name)
    full = session.full_config
    return full["profiles"][name], full["sso_sessions"][name], full


def portal(practice) -> str:
    (instance,) = clients(practice)["sso-admin"].list_instances()["Instances"]
    return f"https://{instance['IdentityStoreId']}.awsapps.com/start"


def test_writes_a_session_and_profile_keeping_every_existing_line(cli, practice, tmp_path):
    practice.reset("partial")
    config = tmp_path / "aws-config"
    config.write_text(EXISTING)
    done = cli("sso-profile", "--name", "hsm-admin")
    assert done.returncode == 0, done.stderr
    assert "aws sso login --profile hsm-admin" in done.stdout
    text = config.read_text()
    assert text.startswith(EXISTING)  # every section and comment kept
    profile, session, full = read_profile(config, "hsm-admin")
    assert profile == {
        "sso_session": "hsm-admin",
        "sso_account_id": ACCOUNT,
        "sso_role_name": "AdministratorAccess",
        "region": "us-east-1",
    }
    assert session["sso_start_url"] == portal(practice) and session["sso_region"] == "us-east-1"
    assert full["profiles"]["other"]["source_profile"] == "default"
    (backup,) = tmp_path.glob("aws-config.hsm-setup-backup-*")
    assert backup.read_text() == EXISTING
    assert os.stat(backup).st_mode & 0o777 == 0o600

    again = cli("sso-profile", "--name", "hsm-admin")
    assert again.returncode == 0 and "nothing changed" in again.stdout
    assert config.read_text() == text
    assert len(list(tmp_path.glob("aws-config.hsm-setup-backup-*"))) == 1


def test_a_different_profile_of_that_name_is_kept_unless_forced(cli, practice, tmp_path):
    practice.reset("partial")
    config = tmp_path / "aws-config"
    config.write_text(EXISTING)
    refused = cli("sso-profile", "--name", "other")
    assert refused.returncode == 2
    assert "[profile other]" in refused.stderr and "--force" in refused.stderr
    assert config.read_text() == EXISTING

    forced = cli("sso-profile", "--name", "other", "--force")
    assert forced.returncode == 0, forced.stderr
    profile, _session, full = read_profile(config, "other")
    assert profile["sso_account_id"] == ACCOUNT and "role_arn" not in profile
    assert full["profiles"]["default"]["region"].startswith("eu-west-1")
    text = config.read_text()
    assert "# my settings: keep me" in text and "# a comment inside a section" in text


def test_without_identity_center_it_exits_2_and_writes_nothing(cli, tmp_path):
    done = cli("sso-profile", "--name", "hsm-admin")
    assert done.returncode == 2
    assert "IAM Identity Center is not enabled" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "aws-config").exists()


def test_a_bad_name_exits_2_naming_the_option_and_calls_nothing(trap, state_dir, tmp_path):
    cli = Cli(trap.url, state_dir, tmp_path)
    done = cli("sso-profile", "--name", "bad name]")
    assert done.returncode == 2 and "--name" in done.stderr and "Traceback" not in done.stderr
    assert trap.connections == 0


def test_a_portal_url_given_in_the_answers_is_the_profiles_start_url(cli, practice, state_dir, tmp_path):
    from hsm_setup.state.account import AccountState

    practice.reset("partial")
    # The subdomain was customised in the console: no AWS API returns the URL, so the person gives it.
    AccountState(ACCOUNT, root=state_dir).save_answers({"identity_center.portal_url": "https://corp.awsapps.com/start"})
    config = tmp_path / "aws-config"
    done = cli("sso-profile", "--name", "hsm-admin")
    assert done.returncode == 0, done.stderr
    _, session, _ = read_profile(config, "hsm-admin")
    assert session["sso_start_url"] == "https://corp.awsapps.com/start"
