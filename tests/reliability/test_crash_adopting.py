"""Crash anywhere in an adopting apply: killed right after each change reached AWS, run again, torn down.

The made-by-hand practice account holds what a team made by hand with the default
names; apply adopts and changes it. Killed after each of its changes (the change
happened, the program never learned it), then run again to the end, then torn down:
the account must be exactly as it was before the first apply, except the
service-linked role, which teardown keeps unless asked (and lists).
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ADMIN_TOML
from tests.e2e.plan_audit import snapshot
from tests.reliability.test_crash import _full_apply_changes, _kill_after

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.long]


def test_adopting_apply_killed_after_each_change_then_resumed_then_torn_down_gives_the_account_back(
    practice, proxy, program, tmp_path
) -> None:
    # Identity Center mode: in IAM mode apply without a terminal stops at the console password it cannot show.
    answers = tmp_path / "answers.toml"
    answers.write_text(ADMIN_TOML, encoding="utf-8")
    practice.reset("made-by-hand")
    before = snapshot(practice)
    operations = _full_apply_changes(program, proxy, str(answers))
    assert len(operations) >= 5, operations

    for k in range(1, len(operations) + 1):
        practice.reset("made-by-hand")
        program.state_dir = tmp_path / f"state-{k}"
        killed_at = _kill_after(program, proxy, k, str(answers))
        again = program("apply", "--yes")
        assert again.returncode == 0, f"after a kill at change #{k} ({killed_at}):\n{again.stdout}\n{again.stderr}"
        down = program("teardown", "--yes", "--include-service-linked-role")
        assert down.returncode == 0, f"after a kill at change #{k} ({killed_at}):\n{down.stdout}\n{down.stderr}"
        assert snapshot(practice) == before, f"after a kill at change #{k} ({killed_at}), apply again, teardown"
