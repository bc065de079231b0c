"""Crash anywhere: apply killed right after each of its changes reached AWS, then run again.

The proxy lets the k-th mutating request reach the practice account, holds the
answer, and the test kills the apply process with SIGKILL before the answer
arrives: the change happened, the program never learned it. A second apply
without the answers file must finish with exactly the expected resources and
the answers the first run was given.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ADMIN_TOML

from .conftest import EXPECTED_INVENTORY, inventory, make_ready
from .kill import run_killed_after_change

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _full_apply_changes(program, proxy, answers_path) -> list[str]:
    """The mutating calls of one uninterrupted apply, in order (K of them)."""
    done = program("apply", "--yes", "--config", answers_path)
    assert done.returncode == 0, done.stdout + done.stderr
    return proxy.mutating_operations()


def _kill_after(program, proxy, k: int, answers_path: str) -> str:
    """Run apply, SIGKILL it once its k-th change reached the endpoint; the operation killed at."""
    run = run_killed_after_change(program, proxy, k, "apply", "--yes", "--config", answers_path)
    if run.killed_after is None:
        pytest.fail(f"apply ended before its change #{k}: exit {run.returncode}\n{run.stdout}\n{run.stderr}")
    return run.killed_after.operation


# About 25 runs of the program (each change: a killed run, then one more): the suite's 300 s guard
# against a hang is for one program run, and a busy 2-core machine can take most of it.
@pytest.mark.long
@pytest.mark.timeout(900)
def test_apply_killed_after_each_change_then_run_again_ends_exactly_right(
    ready_account, proxy, program, answers_path, tmp_path
):
    practice = ready_account
    operations = _full_apply_changes(program, proxy, answers_path)
    assert inventory(practice) == EXPECTED_INVENTORY
    k_total = len(operations)
    assert k_total >= 12, operations  # every kind of change is in this flow

    survived: list[str] = []
    for k in range(1, k_total + 1):
        make_ready(practice)
        program.state_dir = tmp_path / f"state-{k}"
        killed_at = _kill_after(program, proxy, k, answers_path)
        assert killed_at == operations[k - 1]
        # The killed run left its trace: the action in flight is in the journal.
        journal = program.saved_state()["journal"]
        assert journal and journal[-1]["event"] == "start", journal[-3:]

        again = program("apply", "--yes")  # no --config: the saved answers must carry on
        assert again.returncode == 0, f"after a kill at change #{k} ({killed_at}):\n{again.stdout}\n{again.stderr}"
        assert "Traceback" not in again.stderr
        assert inventory(practice) == EXPECTED_INVENTORY, f"after a kill at change #{k} ({killed_at})"
        saved = program.saved_state()["answers"]
        assert saved["admin.user_name"] == "hsm.operator" and saved["cloudhsm.iam_group"] == "HsmOperators"
        survived.append(killed_at)
    assert len(survived) == k_total
    print(f"crash points survived: {len(survived)} of {k_total}: {', '.join(survived)}")


def test_a_fresh_account_killed_after_creating_the_organization_adopts_it(practice, proxy, program, tmp_path):
    """The fresh flow's own changes (the organization, the new policy) survive a kill too."""
    # The administrator named, as a person would (over HTTP the practice server counts as a real account).
    admin = tmp_path / "admin.toml"
    admin.write_text(ADMIN_TOML, encoding="utf-8")
    done = program("apply", "--yes", "--config", str(admin))
    assert done.returncode == 1, done.stdout + done.stderr  # the console steps remain
    fresh_changes = proxy.mutating_operations()
    once = {
        "organizations": practice.client("organizations").describe_organization()["Organization"]["FeatureSet"],
        "policies": sorted(p["PolicyName"] for p in practice.client("iam").list_policies(Scope="Local")["Policies"]),
    }
    for operation in ("CreateOrganization", "CreatePolicy"):
        k = fresh_changes.index(operation) + 1
        practice.reset("fresh")
        program.state_dir = program.tmp_path / f"state-{operation}"
        killed = run_killed_after_change(program, proxy, k, "apply", "--yes", "--config", str(admin))
        assert killed.killed_after is not None, "apply never reached the change"
        again = program("apply", "--yes")  # no --config: the answers the killed run saved carry on
        assert again.returncode == 1, again.stdout + again.stderr
        assert "Traceback" not in again.stderr and "failed" not in again.stdout.lower(), again.stdout
        iam = practice.client("iam")
        assert {
            "organizations": practice.client("organizations").describe_organization()["Organization"]["FeatureSet"],
            "policies": sorted(p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]),
        } == once
        versions = iam.list_policy_versions(PolicyArn="arn:aws:iam::123456789012:policy/CloudHSMAdminPolicy")[
            "Versions"
        ]
        assert len(versions) == 1


def test_kill_timing_is_real(ready_account, proxy, program, answers_path):
    """The harness itself: a held change did happen although the program never heard back."""
    _kill_after(program, proxy, 1, answers_path)
    assert proxy.held_request.operation == "CreateUser"
    assert inventory(ready_account)["users"] == ["hsm.operator"]
    state = program.saved_state()
    assert state["answers"]["admin.user_name"] == "hsm.operator"
