"""AWS config files for signing in to the practice account, and what the person's MFA device shows."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ACCOUNT = "123456789012"
START_URL = "https://practice-portal.awsapps.com/start"


@dataclass(frozen=True)
class MfaSetup:
    serial: str
    role_arn: str  # requires MFA in its trust policy
    top_role_arn: str  # assumed from the MFA role (a role chain)


def set_up_mfa(practice) -> MfaSetup:
    """practice-admin gets a virtual MFA device; a role requires it; a second role is assumed from the first."""
    serial = practice.add_mfa_device()
    role = practice.add_role("PracticeMfaAdmin", require_mfa=True)
    top = practice.add_role("PracticeChainTop")
    return MfaSetup(serial, role, top)


def write_config(path: Path, mfa: MfaSetup | None = None) -> Path:
    text = f"""
[profile base]
aws_access_key_id = testing
aws_secret_access_key = testing
region = us-east-1

[sso-session practice]
sso_start_url = {START_URL}
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile sso-admin]
sso_session = practice
sso_account_id = {ACCOUNT}
sso_role_name = AdministratorAccess
region = us-east-1
"""
    if mfa is not None:
        text += f"""
[profile admin]
role_arn = {mfa.role_arn}
source_profile = base
mfa_serial = {mfa.serial}
region = us-east-1

[profile top]
role_arn = {mfa.top_role_arn}
source_profile = admin
region = us-east-1
"""
    path.write_text(text, encoding="utf-8")
    return path


def wrong_code(practice, serial: str) -> str:
    """Six digits the device does not show in the window AWS accepts (this step and the one either side)."""
    accepted = {practice.mfa_code(serial, step) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)


def aws_cli() -> str | None:
    return shutil.which("aws")


def run_aws_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The AWS CLI as a person runs it; standard input closed, so any prompt would fail rather than wait."""
    cli = aws_cli()
    assert cli is not None
    clean = {k: v for k, v in env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "PYTHONPATH")}
    return subprocess.run(
        [cli, *args], capture_output=True, text=True, env=clean, stdin=subprocess.DEVNULL, timeout=120
    )


def cache_files(home: Path, kind: str) -> list[Path]:
    folder = home / ".aws" / kind / "cache"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def no_traceback(text: str) -> bool:
    return "Traceback" not in text and "EOFError" not in text and "Unexpected error" not in text
