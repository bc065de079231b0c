"""Roles that require MFA: the code asked through hsm-setup, AWS's refusals, role chains, and the AWS CLI's cache shared."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest

from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.connection import Connection
from hsm_setup.aws.identity import get_identity
from hsm_setup.aws.signin import caches
from hsm_setup.aws.signin.mfa import MfaCancelled, MfaRequest

from .signin_helpers import aws_cli, cache_files, no_traceback, run_aws_cli, set_up_mfa, write_config, wrong_code


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def mfa(practice, home: Path):
    setup = set_up_mfa(practice)
    write_config(home / "aws-config", setup)
    return setup


@pytest.fixture(autouse=True)
def _botocore_never_prompts(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's own prompt (getpass on the terminal) must never be reached."""

    def refuse(*args: object, **kwargs: object) -> str:
        raise AssertionError("botocore's terminal prompt was used")

    monkeypatch.setattr(getpass, "getpass", refuse)


def _connect(practice, profile: str, ask) -> str:
    aws = AwsSession(Connection(profile=profile, endpoint_url=practice.endpoint_url, ask_mfa=ask))
    return get_identity(aws).arn


def test_the_code_is_asked_through_hsm_setup_naming_the_device_and_the_role(practice, mfa, home: Path) -> None:
    asked: list[MfaRequest] = []

    def ask(request: MfaRequest) -> str:
        asked.append(request)
        return practice.mfa_code(mfa.serial)

    arn = _connect(practice, "admin", ask)
    assert arn.startswith("arn:aws:sts::123456789012:assumed-role/PracticeMfaAdmin/")
    assert asked == [MfaRequest(mfa.serial, mfa.role_arn, "admin", 1, None)]
    # Written where the AWS CLI looks, under botocore's key.
    key = caches.role_cache_key({"role_arn": mfa.role_arn, "mfa_serial": mfa.serial})
    assert [p.name for p in cache_files(home, "cli")] == [f"{key}.json"]


def test_a_wrong_code_is_refused_in_aws_words_and_asked_again(practice, mfa) -> None:
    asked: list[MfaRequest] = []
    codes = iter([wrong_code(practice, mfa.serial), "12ab56", practice.mfa_code(mfa.serial)])

    def ask(request: MfaRequest) -> str:
        asked.append(request)
        return next(codes)

    assert "assumed-role/PracticeMfaAdmin/" in _connect(practice, "admin", ask)
    assert [r.attempt for r in asked] == [1, 2, 3]
    assert asked[1].refused == "MultiFactorAuthentication failed with invalid MFA one time pass code."
    assert asked[2].refused == "An MFA code is the 6 digits the MFA device shows."  # never sent to AWS


def test_cancelling_signs_nothing_in(practice, mfa, home: Path) -> None:
    def ask(request: MfaRequest) -> str:
        raise MfaCancelled(request)

    with pytest.raises(MfaCancelled):
        _connect(practice, "admin", ask)
    assert cache_files(home, "cli") == []


def test_a_role_chain_asks_once_for_the_role_that_needs_mfa(practice, mfa, home: Path) -> None:
    asked: list[MfaRequest] = []

    def ask(request: MfaRequest) -> str:
        asked.append(request)
        return practice.mfa_code(mfa.serial)

    assert "assumed-role/PracticeChainTop/" in _connect(practice, "top", ask)
    assert [(r.serial, r.role_arn) for r in asked] == [(mfa.serial, mfa.role_arn)]
    assert len(cache_files(home, "cli")) == 2  # both role sessions, as the AWS CLI caches them


def test_the_practice_account_checks_mfa_as_aws_does_where_moto_does_not(practice, mfa) -> None:
    """moto 5.2.5 ignores SerialNumber and TokenCode on AssumeRole; AWS (and the practice account) check them."""
    from botocore.exceptions import ClientError

    sts = practice.client("sts")

    def refusal(**kwargs: str) -> str:
        with pytest.raises(ClientError) as caught:
            sts.assume_role(RoleArn=mfa.role_arn, RoleSessionName="practice", **kwargs)
        assert caught.value.response["Error"]["Code"] == "AccessDenied"
        return caught.value.response["Error"]["Message"]

    assert (
        refusal()
        == f"User: arn:aws:iam::123456789012:user/practice-admin is not authorized to perform: sts:AssumeRole on resource: {mfa.role_arn}"
    )
    assert (
        refusal(SerialNumber=mfa.serial)
        == "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code."
    )
    assert refusal(SerialNumber="arn:aws:iam::123456789012:mfa/nobody", TokenCode="123456").startswith(
        "MultiFactorAuthentication failed, unable to validate MFA code."
    )
    wrong = wrong_code(practice, mfa.serial)
    assert refusal(SerialNumber=mfa.serial, TokenCode=wrong).startswith(
        "MultiFactorAuthentication failed with invalid MFA one time pass code."
    )
    assert sts.assume_role(
        RoleArn=mfa.role_arn,
        RoleSessionName="practice",
        SerialNumber=mfa.serial,
        TokenCode=practice.mfa_code(mfa.serial),
    )

    from moto import mock_aws

    with mock_aws():
        import boto3

        plain = boto3.client(
            "sts", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        # Plain moto hands out the role for any code: the difference the practice account corrects.
        assert plain.assume_role(
            RoleArn=mfa.role_arn, RoleSessionName="practice", SerialNumber=mfa.serial, TokenCode=wrong
        )["Credentials"]


# -- the headless commands -----------------------------------------------------------------------
def test_without_a_terminal_or_mfa_code_check_exits_2_naming_the_profile_and_the_flag(cli, mfa, home: Path) -> None:
    done = cli("check", "--profile", "admin", input="", HOME=str(home))
    assert done.returncode == 2, done.stderr
    assert "`admin`" in done.stderr and "--mfa-code" in done.stderr and mfa.serial in done.stderr
    assert no_traceback(done.stderr + done.stdout)
    assert cache_files(home, "cli") == []


def test_a_wrong_mfa_code_exits_2_with_aws_reason(cli, practice, mfa, home: Path) -> None:
    done = cli("check", "--profile", "admin", "--mfa-code", wrong_code(practice, mfa.serial), input="", HOME=str(home))
    assert done.returncode == 2
    assert "MultiFactorAuthentication failed with invalid MFA one time pass code." in done.stderr
    assert "--mfa-code" in done.stderr and no_traceback(done.stderr)
    assert cache_files(home, "cli") == []


def test_a_malformed_mfa_code_is_refused_before_anything_is_sent(cli, mfa, home: Path) -> None:
    done = cli("check", "--profile", "admin", "--mfa-code", "12 34", input="", HOME=str(home))
    assert done.returncode == 2
    assert '--mfa-code: "12 34" is not an MFA code' in done.stderr and no_traceback(done.stderr)


def test_a_second_run_uses_the_cached_role_session_without_asking(cli, practice, mfa, home: Path) -> None:
    first = cli("check", "--profile", "admin", "--mfa-code", practice.mfa_code(mfa.serial), input="", HOME=str(home))
    assert first.returncode in (0, 1), first.stderr
    caller = next(line for line in first.stdout.splitlines() if line.startswith("Caller:"))
    assert "assumed-role/PracticeMfaAdmin/" in caller
    # No code, no terminal: only the cached session can make this work.
    second = cli("check", "--profile", "admin", input="", HOME=str(home))
    assert second.returncode in (0, 1), second.stderr
    assert caller in second.stdout
    assert "MFA" not in second.stderr


def test_the_role_chain_from_the_command_line(cli, practice, mfa, home: Path) -> None:
    done = cli("check", "--profile", "top", "--mfa-code", practice.mfa_code(mfa.serial), input="", HOME=str(home))
    assert done.returncode in (0, 1), done.stderr
    assert "Caller: arn:aws:sts::123456789012:assumed-role/PracticeChainTop/" in done.stdout


@pytest.mark.skipif(aws_cli() is None, reason="the AWS CLI is not installed (pip install awscli)")
def test_the_aws_cli_uses_the_role_session_hsm_setup_signed_in(cli, practice, mfa, home: Path) -> None:
    done = cli("check", "--profile", "admin", "--mfa-code", practice.mfa_code(mfa.serial), input="", HOME=str(home))
    assert done.returncode in (0, 1), done.stderr
    cached = json.loads(cache_files(home, "cli")[0].read_text())
    aws = run_aws_cli(
        "sts", "get-caller-identity", "--profile", "admin", "--output", "json", env=cli.env(HOME=str(home))
    )
    assert aws.returncode == 0, aws.stderr
    # The AWS CLI (standard input closed: it cannot prompt) signed with the session hsm-setup cached.
    assert json.loads(aws.stdout)["Arn"] == cached["AssumedRoleUser"]["Arn"]


def test_on_a_terminal_check_asks_masked_and_again_after_aws_refuses(cli, practice, mfa, home: Path) -> None:
    """No --mfa-code, a real terminal: the code is asked (not echoed), and a refused one is asked again with AWS's reason."""
    import sys
    import time

    from .test_plain_pty import Terminal

    term = Terminal([sys.executable, "-m", "hsm_setup", "check", "--profile", "admin"], cli.env(HOME=str(home)))

    def wait_for(text: str, count: int = 1, limit: float = 60.0) -> None:
        end = time.monotonic() + limit
        while term.text.count(text) < count and term.process.poll() is None and time.monotonic() < end:
            term.read_until_quiet(limit=max(0.1, end - time.monotonic()))
        assert term.text.count(text) >= count, term.text

    try:
        wait_for(f"MFA code for {mfa.serial} (role {mfa.role_arn}): ")
        wrong = wrong_code(practice, mfa.serial)
        term.send(wrong + "\r")
        wait_for("MFA code for", count=2)
        assert "MultiFactorAuthentication failed with invalid MFA one time pass code." in term.text
        right = practice.mfa_code(mfa.serial)
        term.send(right + "\r")
        wait_for("Caller: arn:aws:sts::123456789012:assumed-role/PracticeMfaAdmin/")
    finally:
        code = term.close()
    assert code == 1, term.text
    # Masked: nothing typed appears after either prompt.
    prompts = [line for line in term.text.splitlines() if "MFA code for" in line]
    assert len(prompts) == 2 and all(line.rstrip().endswith(f"(role {mfa.role_arn}):") for line in prompts)
    assert wrong not in term.text
    assert no_traceback(term.text)
