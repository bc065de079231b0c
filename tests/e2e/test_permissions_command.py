"""`hsm-setup permissions`: the policy for the answers given, offline, ready for `aws iam create-policy`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent
WAIT_SECONDS = 120


def _statements_for(document: dict, action: str) -> list[dict]:
    return [s for s in document["Statement"] if action in s["Action"]]


def test_it_prints_the_policy_without_reaching_aws(cli, trap, answers_file):
    config = answers_file(
        'region = "us-east-1"\n[admin]\nmode = "iam"\nuser_name = "hsm.boss"\niam_group = "Bosses"\n'
        '[cloudhsm]\niam_group = "HsmOps"\npolicy_name = "HsmOpsPolicy"\niam_members = ["ann", "bob"]\n'
    )
    # Pointed at an endpoint that records connections, and without credentials: nothing is asked of AWS.
    done = cli(
        "permissions",
        "--json",
        "--config",
        config,
        AWS_ENDPOINT_URL=trap.url,
        AWS_ACCESS_KEY_ID="",
        AWS_SECRET_ACCESS_KEY="",
    )
    assert done.returncode == 0, done.stderr
    assert trap.connections == 0
    policy = json.loads(done.stdout)
    assert policy["Version"] == "2012-10-17"
    resources = {
        r for s in policy["Statement"] for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    }
    # The names come from the answers; Identity Center's actions are not there in IAM mode.
    assert "arn:aws:iam::*:group/HsmOps" in resources and "arn:aws:iam::*:group/Bosses" in resources
    assert {"arn:aws:iam::*:user/ann", "arn:aws:iam::*:user/bob", "arn:aws:iam::*:user/hsm.boss"} <= resources
    assert "arn:aws:iam::*:policy/HsmOpsPolicy" in resources
    assert not any(a.startswith(("sso:", "identitystore:")) for s in policy["Statement"] for a in s["Action"])
    # `*` only for actions that take no resource.
    (unscoped,) = [s for s in policy["Statement"] if s["Resource"] == "*"]
    assert "iam:GetAccountSummary" in unscoped["Action"] and not any(
        a.startswith("iam:Create") for a in unscoped["Action"]
    )
    (attach,) = [
        s for s in _statements_for(policy, "iam:AttachGroupPolicy") if s["Resource"] == "arn:aws:iam::*:group/Bosses"
    ]
    assert attach["Condition"] == {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}}


def test_the_default_policy_says_what_aws_does_with_your_rights(cli):
    done = cli("permissions", "--json")
    assert done.returncode == 0, done.stderr
    policy = json.loads(done.stdout)
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert len(by_sid) == len(policy["Statement"])  # every Sid unique, as IAM requires
    reserved = by_sid["IdentityCenterReservedRolesInManagementAccount"]
    assert reserved["Resource"] == "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*"
    assert {"iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"} <= set(reserved["Action"])
    assert (
        by_sid["IdentityCenterSamlProviderInManagementAccount"]["Resource"] == "arn:aws:iam::*:saml-provider/AWSSSO_*"
    )
    cloudhsm_role = [
        s for s in _statements_for(policy, "iam:CreateServiceLinkedRole") if "cloudhsm" in str(s["Resource"])
    ]
    assert (
        cloudhsm_role[0]["Resource"]
        == "arn:aws:iam::*:role/aws-service-role/cloudhsm.amazonaws.com/AWSServiceRoleForCloudHSM"
    )
    assert cloudhsm_role[0]["Condition"] == {"StringEquals": {"iam:AWSServiceName": "cloudhsm.amazonaws.com"}}
    assert "iam:SimulatePrincipalPolicy" in by_sid["PreflightSimulation"]["Action"]
    read_only = json.loads(cli("permissions", "--json", "--read-only").stdout)
    granted = {a for s in read_only["Statement"] for a in s["Action"]}
    assert "iam:GetGroup" in granted
    assert not granted & {"iam:CreateGroup", "iam:SimulatePrincipalPolicy", "iam:CreateRole", "sso:CreatePermissionSet"}


def test_the_table_lists_each_step_with_what_its_actions_act_on(cli):
    done = cli("permissions")
    assert done.returncode == 0, done.stderr
    assert "cloudhsm-group (CloudHSM administrator group (IAM))" in done.stdout
    assert "iam:CreateGroup" in done.stdout and "arn:aws:iam::*:group/CloudHSMAdmins" in done.stdout
    assert "IdentityCenterReservedRolesInManagementAccount" in done.stdout


def test_a_bad_answers_file_exits_2_with_one_line_naming_the_key(cli, answers_file):
    done = cli("permissions", "--json", "--config", answers_file('region = "nowhere"\n'))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines()[0].startswith("hsm-setup: region: ")
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(not (BIN / "aws").exists(), reason="the AWS CLI (awscli, in the test extras) is not installed")
def test_the_policy_goes_straight_into_aws_iam_create_policy(tmp_path):
    """hsm-setup permissions --json | aws iam create-policy ... against `hsm-setup sandbox serve`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    serve = subprocess.Popen(
        [str(BIN / "hsm-setup"), "sandbox", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        banner = _read_until(serve, "Ctrl-C")
        assert "listening on http://127.0.0.1:" in banner, banner
        endpoint = banner.split("listening on ", 1)[1].split()[0]
        env.update(
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_CONFIG_FILE=str(tmp_path / "config"),
            AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
            PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        )
        pipeline = "hsm-setup permissions --json | aws iam create-policy --policy-name x --policy-document file:///dev/stdin --output json"
        created = subprocess.run(
            ["bash", "-o", "pipefail", "-c", pipeline], capture_output=True, text=True, env=env, timeout=WAIT_SECONDS
        )
        assert created.returncode == 0, created.stderr
        arn = json.loads(created.stdout)["Policy"]["Arn"]
        assert arn == "arn:aws:iam::123456789012:policy/x"
        stored = subprocess.run(
            ["aws", "iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1", "--output", "json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=WAIT_SECONDS,
        )
        assert stored.returncode == 0, stored.stderr
        printed = subprocess.run(
            [str(BIN / "hsm-setup"), "permissions", "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=WAIT_SECONDS,
        )
        document = json.loads(stored.stdout)["PolicyVersion"]["Document"]
        assert (json.loads(document) if isinstance(document, str) else document) == json.loads(printed.stdout)
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.communicate(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.communicate()


def _read_until(process: subprocess.Popen, marker: str) -> str:
    lines: list[str] = []
    seen = threading.Event()

    def pump() -> None:
        for line in process.stdout:
            lines.append(line)
            if marker in line:
                break
        seen.set()

    threading.Thread(target=pump, daemon=True).start()
    seen.wait(WAIT_SECONDS)
    return "".join(lines)
