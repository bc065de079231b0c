"""Saved state: private files, atomic writes, a lock that a crash releases."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap

import pytest

from hsm_setup.errors import AccountBusyError
from hsm_setup.state.account import AccountState


def test_state_file_and_folder_are_private(state_dir):
    state = AccountState("111122223333")
    state.save_answers({"admin.user_name": "ops.admin"})
    assert stat.S_IMODE(os.stat(state.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(state.folder).st_mode) == 0o700
    assert AccountState("111122223333").answers == {"admin.user_name": "ops.admin"}


def test_no_temporary_files_are_left_behind(state_dir):
    state = AccountState("111122223333")
    for n in range(5):
        state.remember(thing=f"arn:{n}")
    assert sorted(p.name for p in state.folder.iterdir()) == ["state.json"]


def test_a_damaged_state_file_is_set_aside_not_trusted(state_dir):
    state = AccountState("111122223333")
    state.remember(group="CloudHSMAdmins")
    state.path.write_text("{not json", encoding="utf-8")
    fresh = AccountState("111122223333")
    assert fresh.resource("group") is None
    assert (state.folder / "state.damaged").exists()


HOLD_THE_LOCK = textwrap.dedent(
    """
    import sys
    from hsm_setup.state.account import AccountState
    with AccountState("111122223333").locked():
        print("locked", flush=True)
        sys.stdin.readline()
    """
)


def test_second_run_is_told_the_account_is_busy(state_dir):
    # Another process holds the account (within one run the lock is re-entrant: see below).
    first = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert first.stdout is not None and first.stdout.readline().strip() == "locked"
        with pytest.raises(AccountBusyError) as caught, AccountState("111122223333").locked():
            pass
        assert "busy" in caught.value.cause and f"pid {first.pid}" in caught.value.cause
    finally:
        first.communicate("\n", timeout=60)
    with AccountState("111122223333").locked():  # released when the holder finished
        pass


def test_within_one_run_the_lock_is_re_entrant(state_dir):
    # The plain prompts hold the account for the whole run and apply inside it.
    state = AccountState("111122223333")
    with state.locked(), AccountState("111122223333").locked():
        pass


def test_a_crashed_holder_releases_the_lock(state_dir):
    # A child takes the lock and is killed: the OS drops the flock with the process.
    code = textwrap.dedent(
        """
        import os, signal
        from hsm_setup.state.account import AccountState
        with AccountState("111122223333").locked():
            print("locked", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=os.environ.copy(), check=False, capture_output=True, text=True
    )
    assert done.stdout.strip() == "locked", done.stderr  # the child did hold the lock when it died
    with AccountState("111122223333").locked():
        pass


def test_journal_shows_what_was_in_flight(state_dir):
    state = AccountState("111122223333")
    state.journal("cloudhsm-group:create-group", "start")
    state.journal("cloudhsm-group:create-group", "done")
    state.journal("admin-user:create-user", "start")
    assert AccountState("111122223333").in_flight() == ["admin-user:create-user"]
