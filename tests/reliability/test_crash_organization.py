"""Crash anywhere in an apply across an organization: killed after every n-th change, run again until one
finishes, then exact (issue 16).

The issue's figure is a 500-account apply killed after every 100th change: about twenty runs, seven minutes
on two busy cores, kept as benchmarks/org_crash.py with the same code (org_crash.py). Here the same
chain at a scale the suite can afford: 24 member accounts, killed after every 16th change, which lands kills
in the assignments' fan-out and in the member accounts' IAM (policy, group, service-linked role) as the
500-account chain does.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hsm_setup.sandbox import PracticeAccount

from . import org_crash

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ACCOUNTS = 24
EVERY = 16


@pytest.fixture(scope="module")
def _server() -> Iterator[PracticeAccount]:
    """The organization, started once for the module (the proxy and program fixtures stand in front of it)."""
    with PracticeAccount("org", accounts=ACCOUNTS) as practice:
        yield practice


# About six runs of the program against the organization: the suite's 300 s guard is for one run.
@pytest.mark.long
@pytest.mark.timeout(900)
def test_an_organization_apply_killed_after_every_nth_change_ends_exactly_right(_server, proxy, program, tmp_path):
    practice = _server
    org_crash.prepare(practice)
    want = org_crash.expected(practice)
    creations = org_crash.CreationCount()
    proxy.observe = creations

    chain = org_crash.crash_chain(program, proxy, org_crash.write_answers(practice, tmp_path), EVERY, max_runs=30)

    last = chain.runs[-1]
    assert last.returncode == 0, last.stdout[-3000:] + last.stderr[-3000:]
    killed = [run.killed_after.operation for run in chain.runs if run.killed_after is not None]
    # Kills landed where the organization's work is: its assignments and its member accounts' IAM.
    assert "CreateAccountAssignment" in killed, killed
    assert {"CreatePolicy", "CreateGroup", "AttachGroupPolicy", "CreateServiceLinkedRole"} & set(killed), killed
    # Every killed run left the action it was in as started and not ended: the next run resumed it.
    assert len(chain.in_flight) == len(killed)

    assert org_crash.problems(want, org_crash.found(practice, program, creations)) == []

    proxy.observe = None
    proxy.reset_counts()
    again = program("apply", "--yes")
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert proxy.mutating_operations() == []
