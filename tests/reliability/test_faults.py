"""Faults on the wire: throttling bursts, HTTP 500 and 503, connection resets, timeouts,
answers lost after the change happened, and expired credentials mid-run.

apply runs in this process (hsm_setup.cli.main) through the fault proxy; waits are
shortened and the read timeout is one second so a stalled request costs little.
"""

from __future__ import annotations

import time

import pytest

from hsm_setup.cli.main import main

from .conftest import ACCOUNT, EXPECTED_INVENTORY, inventory

pytestmark = pytest.mark.e2e

FAULT_KINDS = ("throttle", "http500", "http503", "reset", "stall", "reset-after")


@pytest.fixture
def run(proxy, monkeypatch, answers_path, capsys):
    """apply (or another command) in-process through the proxy; returns (exit code, stdout, stderr)."""
    from botocore.config import Config

    import hsm_setup.aws.clients as aws_module

    real_sleep = time.sleep
    monkeypatch.setattr(time, "sleep", lambda seconds: real_sleep(min(seconds, 0.005)))
    from hsm_setup.engine.runner import Engine

    real_context = Engine.context

    def context_without_waits(self, *args, **kwargs):
        ctx = real_context(self, *args, **kwargs)
        ctx.sleep = lambda seconds: None  # polling and backoff of the steps themselves
        return ctx

    monkeypatch.setattr(Engine, "context", context_without_waits)
    original = aws_module.AwsSession.__init__

    def short_timeouts(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self._config = self._config.merge(Config(read_timeout=1, connect_timeout=1))

    monkeypatch.setattr(aws_module.AwsSession, "__init__", short_timeouts)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    proxy.stall_seconds = 1.5

    def invoke(*argv: str, config: bool = True) -> tuple[int, str, str]:
        capsys.readouterr()
        args = list(argv) + (["--config", answers_path] if config else [])
        code = main(args)
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def _burst(kind: str, size: int, every: int):
    """`size` faults in a row on every change, and one on every `every`-th read.

    A "reset-after" fault lets the change happen and loses the answer: the retry
    then meets a resource that already exists and must adopt it.
    """
    streak: dict[str, int] = {}

    def rule(request):
        if request.mutating:
            limit = 1 if kind == "reset-after" else size
            if streak.get(request.operation, 0) < limit:
                streak[request.operation] = streak.get(request.operation, 0) + 1
                return kind
            streak[request.operation] = 0
            return None
        if kind == "reset-after":
            return None
        return kind if request.index % every == 0 else None

    return rule


# (kind, faults in a row on each change, one fault every N reads): a stall costs the read timeout (1 s).
BURSTS = {
    "throttle": (3, 5),
    "http500": (2, 5),
    "http503": (2, 5),
    "reset": (2, 5),
    "stall": (1, 25),
    "reset-after": (1, 0),
}


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_transient_faults_are_retried_and_apply_ends_exactly_right(kind, ready_account, proxy, run):
    proxy.rule = _burst(kind, *BURSTS[kind])
    code, out, err = run("apply", "--yes")
    assert code == 0, out + err
    assert "Traceback" not in err
    faults = [fault for _, fault in proxy.faults]
    assert faults.count(kind) >= 5, faults  # the faults really were injected
    assert inventory(ready_account) == EXPECTED_INVENTORY


def test_a_change_that_keeps_failing_stops_clearly_and_the_next_run_resumes(ready_account, proxy, run, state_dir):
    proxy.rule = lambda request: "http503" if request.operation == "CreatePermissionSet" else None
    code, out, err = run("apply", "--yes")
    assert code == 1, out + err
    assert "Traceback" not in out + err
    # The failed action is named with AWS's reason, and the rest of the account went ahead.
    assert "sso:CreatePermissionSet failed: ServiceUnavailable" in out
    found = inventory(ready_account)
    assert (
        found["permission_sets"] == []
        and found["iam_groups"] == ["HsmOperators"]
        and found["service_linked_roles"] == 1
    )
    from hsm_setup.state.account import AccountState

    state = AccountState(ACCOUNT)
    assert state.answers["admin.user_name"] == "hsm.operator"
    failed = [e for e in state.data["journal"] if e["event"] == "failed"]
    assert failed and "CreatePermissionSet" in failed[-1]["detail"]
    assert state.in_flight() == []  # nothing left half-recorded

    proxy.rule = lambda request: None
    code, out, err = run("apply", "--yes", config=False)  # the saved answers carry on
    assert code == 0, out + err
    assert inventory(ready_account) == EXPECTED_INVENTORY


def test_throttling_that_never_ends_says_to_wait_and_keeps_progress(ready_account, proxy, run):
    iam_create_group = lambda request: request.operation == "CreateGroup" and request.protocol == "query"  # noqa: E731
    proxy.rule = lambda request: "throttle" if iam_create_group(request) else None
    code, out, err = run("apply", "--yes")
    assert code == 1
    assert "AWS kept throttling iam:CreateGroup after several retries" in out and "progress is kept" in out
    # Retried (botocore's standard mode, six attempts) before giving up.
    assert len(proxy.faults) >= 6
    assert inventory(ready_account)["iam_groups"] == []
    proxy.rule = lambda request: None
    code, out, err = run("apply", "--yes", config=False)
    assert code == 0, out + err
    assert inventory(ready_account) == EXPECTED_INVENTORY


def test_an_endpoint_that_stops_answering_stops_the_run_with_a_next_move(ready_account, proxy, run):
    proxy.rule = lambda request: (
        "reset"
        if request.mutating_index >= 3 or (request.mutating_index == 0 and len(proxy.mutating_operations()) >= 3)
        else None
    )
    code, out, err = run("apply", "--yes")
    assert code in (1, 2)
    text = out + err
    assert "Traceback" not in text
    assert "Could not reach the AWS endpoint" in text
    assert "Progress is saved" in text or "progress is kept" in text.lower()
    proxy.rule = lambda request: None
    code, out, err = run("apply", "--yes", config=False)
    assert code == 0, out + err
    assert inventory(ready_account) == EXPECTED_INVENTORY


def test_garbage_answers_are_explained_not_a_traceback(ready_account, proxy, run):
    proxy.rule = lambda request: "garbage" if request.operation == "CreateServiceLinkedRole" else None
    code, out, err = run("apply", "--yes")
    assert code == 1
    assert "Traceback" not in out + err
    assert "CreateServiceLinkedRole" in out or "AWS SDK" in out
    proxy.rule = lambda request: None
    code, out, err = run("apply", "--yes", config=False)
    assert code == 0, out + err
    assert inventory(ready_account) == EXPECTED_INVENTORY
