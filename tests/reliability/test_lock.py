"""Two runs on one account: the second is told the account is busy and changes nothing;
a run killed while holding the lock does not leave the account locked."""

from __future__ import annotations

import os
import signal

import pytest

from .conftest import EXPECTED_INVENTORY, inventory

pytestmark = pytest.mark.e2e


def test_a_second_apply_is_refused_while_one_runs_and_the_lock_dies_with_its_holder(
    ready_account, proxy, program, answers_path
):
    proxy.rule = lambda request: "hold" if request.mutating_index == 1 else None
    first = program.popen("apply", "--yes", "--config", answers_path)
    try:
        assert proxy.held.wait(timeout=60), "the first apply never started changing the account"
        changes_before = len(proxy.mutating_operations())

        second = program("apply", "--yes", "--config", answers_path)
        assert second.returncode == 2, second.stdout + second.stderr
        assert "Account 123456789012 is busy" in second.stderr
        assert f"pid {first.pid}" in second.stderr  # who holds it
        assert "Traceback" not in second.stderr
        assert len(proxy.mutating_operations()) == changes_before  # the second run changed nothing

        os.kill(first.pid, signal.SIGKILL)  # crash while holding the lock
        first.wait(timeout=30)
    finally:
        proxy.rule = lambda request: None
        proxy.release.set()
        if first.poll() is None:
            first.kill()
        first.communicate()

    third = program("apply", "--yes")
    assert third.returncode == 0, third.stdout + third.stderr
    assert inventory(ready_account) == EXPECTED_INVENTORY


def test_the_lock_file_is_private(ready_account, program, answers_path):
    done = program("apply", "--yes", "--config", answers_path)
    assert done.returncode == 0, done.stderr
    folder = program.state_dir / "123456789012"
    assert oct(os.stat(folder).st_mode & 0o777) == "0o700"
    for path in folder.iterdir():
        assert oct(os.stat(path).st_mode & 0o777) == "0o600", path
