"""The practice account in a child process (what --sandbox starts): it serves, takes
console simulations and faults over its pipe, reports errors the way the in-process
account does, and never outlives the tool that started it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from hsm_setup.sandbox import SandboxError
from hsm_setup.sandbox.process import PracticeAccountProcess

from .sandbox_helpers import REPO, WAIT_SECONDS, iam_at


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0): it has exited and only waits to be reaped.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def test_it_serves_simulates_and_takes_faults_over_its_pipe() -> None:
    with PracticeAccountProcess("fresh") as account:
        iam = iam_at(account.connection_overrides()["endpoint_url"])
        assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 0
        said = account.simulate("root-mfa", "us-east-1")
        assert "MFA" in said
        assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 1

        account.deny("iam:CreateGroup")
        with pytest.raises(ClientError) as denied:
            iam.create_group(GroupName="CloudHSMAdmins")
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
        account.clear_faults()
        iam.create_group(GroupName="CloudHSMAdmins")

        account.reset("fresh")
        assert iam.list_groups()["Groups"] == []
        assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 0
        assert account.peak_rss_mib() > 10

        # IAM enforcement and the record of what reached the account travel over the pipe too.
        iam.create_user(UserName="nobody")
        key = iam.create_access_key(UserName="nobody")["AccessKey"]
        account.enforce_iam()
        nobody = boto3.client(
            "iam",
            region_name="us-east-1",
            endpoint_url=account.endpoint_url,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        with pytest.raises(ClientError) as refused:
            nobody.list_groups()
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
        assert account.received_calls()[-1] == ("iam", "ListGroups")
        account.enforce_iam(False)
        assert nobody.list_groups()["Groups"] == []


def test_its_errors_read_like_the_in_process_accounts() -> None:
    with PracticeAccountProcess("fresh") as account:
        with pytest.raises(ValueError, match="not known"):
            account.simulate("no-such-console-action")
        with pytest.raises(ValueError, match="not an IAM action"):
            account.deny("not an action")
        # A bad request leaves it serving.
        assert "MFA" in account.simulate("root-mfa")


def test_a_stopped_account_no_longer_answers_and_its_process_is_gone() -> None:
    account = PracticeAccountProcess("complete").start()
    endpoint = account.endpoint_url
    pid = account._process.pid  # type: ignore[union-attr]
    assert iam_at(endpoint).get_group(GroupName="CloudHSMAdmins")
    account.stop()
    assert _gone(pid)
    assert not account.running
    with pytest.raises(EndpointConnectionError):
        iam_at(endpoint).get_account_summary()
    with pytest.raises(SandboxError, match="not running"):
        account.simulate("root-mfa")
    account.stop()  # twice is fine


def test_it_ends_when_the_tool_that_started_it_is_killed() -> None:
    # The tool is a separate process killed with SIGKILL: nothing of it runs to clean up.
    program = (
        "import sys, time\n"
        "from hsm_setup.sandbox.process import PracticeAccountProcess\n"
        "account = PracticeAccountProcess('fresh').start()\n"
        "print(account._process.pid, account.endpoint_url, flush=True)\n"
        "time.sleep(600)\n"
    )
    tool = subprocess.Popen([sys.executable, "-c", program], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        pid_text, endpoint = tool.stdout.readline().split()  # type: ignore[union-attr]
        child = int(pid_text)
        iam_at(endpoint).get_account_summary()
    finally:
        tool.kill()
        tool.wait()
    deadline = time.monotonic() + WAIT_SECONDS
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(child), "the practice account outlived the tool that started it"


def test_ctrl_c_at_the_terminal_does_not_reach_it() -> None:
    with PracticeAccountProcess("fresh") as account:
        child = account._process.pid  # type: ignore[union-attr]
        # It runs in its own session: a terminal's SIGINT goes to the tool's process group only.
        assert os.getsid(child) == child != os.getsid(0)
        assert os.getpgid(child) != os.getpgid(0)
        assert "MFA" in account.simulate("root-mfa")


def test_a_child_that_cannot_start_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    # An interpreter that fails at once stands in for a broken install.
    monkeypatch.setattr(sys, "executable", str(REPO / "no-such-python"))
    with pytest.raises(SandboxError) as missing:
        PracticeAccountProcess("fresh").start()
    assert "no-such-python" in missing.value.cause and "Reinstall" in missing.value.next_move
    monkeypatch.undo()
    account = PracticeAccountProcess("fresh")
    monkeypatch.setattr(
        subprocess, "Popen", _popen_running(["-c", "import sys; print('Traceback: moto is missing', file=sys.stderr)"])
    )
    with pytest.raises(SandboxError) as failed:
        account.start()
    assert "stopped unexpectedly" in failed.value.cause
    assert "moto is missing" in failed.value.cause
    assert "sandbox serve" in failed.value.next_move
    assert not account.running


def _popen_running(arguments: list[str]):
    real = subprocess.Popen

    def popen(command, **kwargs):  # type: ignore[no-untyped-def]
        return real([sys.executable, *arguments], **kwargs)

    return popen


def test_a_scenario_it_does_not_know_is_refused_before_anything_starts() -> None:
    with pytest.raises(ValueError, match="scenario"):
        PracticeAccountProcess("half-done")
