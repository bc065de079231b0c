"""Every flag and environment combination ends in a clear message and the contract's exit code.

`hsm-setup check` exits 0 when every step is done, 1 when something is left to do, 2 when
it could not check. Each row below runs the real program as a subprocess; none may print
a traceback, and a configuration it cannot use never reaches AWS.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e

SSO_PROFILE = """
[profile sso]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = AdministratorAccess
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
"""


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...] = ()
    config: str | None = None  # the AWS config file's text (None: no file)
    credentials: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    code: int = 2
    says: tuple[str, ...] = ()
    reaches_aws: bool = False  # False: the trap endpoint must see no connection at all


FAILING_PROCESS = (
    f"credential_process = {sys.executable} -c \"import sys; sys.stderr.write('token service down'); sys.exit(1)\""
)

CASES = [
    Case(
        "unknown --profile",
        ("--profile", "nosuch"),
        config="[default]\nregion = us-east-1\n",
        says=("The AWS profile `nosuch` does not exist", "aws configure list-profiles"),
    ),
    Case(
        "unknown AWS_PROFILE",
        env={"AWS_PROFILE": "nosuch"},
        config="[default]\nregion = us-east-1\n",
        says=("The AWS profile `nosuch` does not exist",),
    ),
    Case(
        "malformed config file",
        config="[profile broken\nregion = us-east-1\n",
        says=("cannot be read: it is not in the INI format", "aws configure list"),
    ),
    Case(
        "malformed credentials file",
        credentials="[default\naws_access_key_id = AKIA\n",
        says=("aws-credentials cannot be read",),
    ),
    Case(
        "config file is a folder",
        env={"AWS_CONFIG_FILE": "{tmp}"},
        says=("(AWS_CONFIG_FILE) is a folder", "Point AWS_CONFIG_FILE at the file itself"),
    ),
    Case(
        "credential_process fails",
        ("--profile", "proc"),
        config=f"[profile proc]\n{FAILING_PROCESS}\n",
        says=("The credential_process of the profile `proc` failed: token service down", "Run that command yourself"),
    ),
    Case(
        "credential_process missing",
        ("--profile", "proc"),
        config="[profile proc]\ncredential_process = /nonexistent/get-creds --json\n",
        says=("could not be started: /nonexistent/get-creds", "must exist and be executable"),
    ),
    Case(
        "SSO profile never signed in",
        ("--profile", "sso"),
        config=SSO_PROFILE,
        says=("The AWS SSO session has expired or was never started.", "aws sso login --profile sso"),
    ),
    Case(
        "sso-session that does not exist",
        ("--profile", "sso"),
        config=SSO_PROFILE.replace("sso_session = corp", "sso_session = gone"),
        says=("is not valid: The specified sso-session does not exist",),
    ),
    Case(
        "source_profile that does not exist",
        ("--profile", "role"),
        config="[profile role]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = missing\n",
        says=('The source_profile "missing" referenced in the profile "role" does not exist',),
    ),
    Case(
        "profile Region that is not a Region",
        ("--profile", "keys"),
        config="[profile keys]\nregion = us east 1\naws_access_key_id = testing\naws_secret_access_key = testing\n",
        env={"AWS_REGION": ""},
        says=('The region of the profile `keys`: "us east 1" is not an AWS Region name',),
    ),
    Case(
        "AWS_REGION that is not a Region",
        env={"AWS_REGION": "moon"},
        says=('AWS_REGION: "moon" is not an AWS Region name', "Set AWS_REGION to a Region such as us-east-1"),
    ),
    Case("--region that is not a Region", ("--region", "moon"), says=('"moon" is not an AWS Region name',)),
    Case(
        "no credentials at all",
        env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
        says=("No AWS credentials were found.",),
    ),
    Case(
        "profile without a Region",
        ("--profile", "keys"),
        config="[profile keys]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
        env={"AWS_REGION": ""},
        code=1,
        reaches_aws=True,
        says=("note: no Region is set (--region, AWS_REGION or the profile's region); using us-east-1",),
    ),
    Case(
        "a profile that works",
        ("--profile", "keys"),
        config="[profile keys]\nregion = us-east-1\naws_access_key_id = testing\naws_secret_access_key = testing\n",
        code=1,
        reaches_aws=True,
    ),
    Case(
        "the practice account ignores a broken config and AWS_PROFILE",
        ("--sandbox",),
        config="[profile broken\n",
        env={"AWS_PROFILE": "nosuch", "AWS_ENDPOINT_URL": ""},
        code=1,
        reaches_aws=True,
    ),
]


def _write(path: Path, text: str | None) -> None:
    if text is not None:
        path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_configuration_ends_in_a_clear_message_and_the_contracts_exit_code(
    case, practice, trap, state_dir, tmp_path
):
    endpoint = practice.endpoint_url if case.reaches_aws else trap.url
    cli = Cli(endpoint, state_dir, tmp_path)
    _write(tmp_path / "aws-config", case.config)
    _write(tmp_path / "aws-credentials", case.credentials)
    env = {k: v.replace("{tmp}", str(tmp_path)) for k, v in case.env.items()}
    if any(arg == "--profile" for arg in case.args) or "AWS_PROFILE" in env:
        # The profile's own credentials (or their failure) are what is tested: none from the environment.
        env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", **env}
    done = cli("check", *case.args, **env)
    output = done.stdout + done.stderr
    assert done.returncode == case.code, output
    assert "Traceback" not in output
    for fragment in case.says:
        assert fragment in done.stderr, done.stderr
    if case.code == 2:
        assert done.stderr.startswith("hsm-setup"), done.stderr  # "hsm-setup: ..." or argparse's "hsm-setup check: ..."
    if not case.reaches_aws:
        assert trap.connections == 0


def test_config_files_pointed_at_dev_null_mean_no_profiles(practice, state_dir, tmp_path):
    cli = Cli(practice.endpoint_url, state_dir, tmp_path)
    done = cli("check", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
