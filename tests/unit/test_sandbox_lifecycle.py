"""Starting, stopping and serving practice accounts; moto used in-process stays plain moto."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from hsm_setup.sandbox import PracticeAccount, SandboxError

from .sandbox_helpers import REPO, WAIT_SECONDS, iam_at


def test_accounts_started_one_after_another_start_clean() -> None:
    with PracticeAccount("fresh") as first:
        first.client("iam").create_group(GroupName="CloudHSMAdmins")
        first.simulate("root-mfa")
    with PracticeAccount("fresh") as second:
        assert second.client("iam").list_groups()["Groups"] == []
        assert second.client("iam").get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 0


def test_a_second_account_at_the_same_time_is_refused() -> None:
    with PracticeAccount("fresh"), pytest.raises(SandboxError, match="already running"):
        PracticeAccount("fresh").start()


def test_a_stopped_account_no_longer_answers() -> None:
    with PracticeAccount("fresh") as account:
        endpoint = account.endpoint_url
        iam_at(endpoint).get_account_summary()
    assert not account.running
    with pytest.raises(EndpointConnectionError):
        iam_at(endpoint).get_account_summary()


def test_a_port_in_use_is_an_os_error() -> None:
    with PracticeAccount("fresh") as account:
        taken = account.port
        account.stop()
        import socket

        with socket.socket() as holder:
            holder.bind(("127.0.0.1", taken))
            holder.listen()
            with pytest.raises(OSError):
                PracticeAccount("fresh", port=taken).start()
    # The refused account did not stay registered: another can start.
    with PracticeAccount("fresh"):
        pass


def test_moto_in_process_stays_plain_moto_after_a_practice_account(mocked_aws: None) -> None:
    with PracticeAccount("fresh"):
        pass
    # moto's own behaviour (an invented instance) proves nothing was patched globally.
    sso = boto3.client("sso-admin", region_name="us-east-1")
    assert len(sso.list_instances()["Instances"]) == 1
    role = boto3.client("iam").create_service_linked_role(AWSServiceName="cloudhsm.amazonaws.com")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForcloudhsm"


# -- hsm-setup sandbox serve ---------------------------------------------------------------------
def _read_until(process: subprocess.Popen, marker: str) -> str:
    """stdout up to the line holding `marker`, waiting at most WAIT_SECONDS (or until the process ends)."""
    lines: list[str] = []
    seen = threading.Event()

    def pump() -> None:
        for line in process.stdout:
            lines.append(line)
            if marker in line:
                seen.set()
                return
        seen.set()  # the process ended first

    threading.Thread(target=pump, daemon=True).start()
    seen.wait(WAIT_SECONDS)
    return "".join(lines)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_serve_prints_the_endpoint_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-c", "from hsm_setup.sandbox.serve import serve; serve(port=0, scenario='partial')"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        banner = _read_until(process, "Ctrl-C")
        assert "listening on http://127.0.0.1:" in banner, banner
        endpoint = banner.split("listening on ", 1)[1].split()[0]
        assert f"export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing" in banner
        assert "aws iam get-account-summary" in banner
        # It serves the scenario asked for: partial has root MFA on.
        assert iam_at(endpoint).get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 1
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=WAIT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "Traceback" not in err
    assert "stopped" in out
    with pytest.raises((EndpointConnectionError, ClientError)):
        iam_at(endpoint).get_account_summary()
