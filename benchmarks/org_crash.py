"""A 500-account apply killed after every 100th change, run again until one finishes: exact (issue 16).

    python benchmarks/org_crash.py [--accounts 500] [--every 100]

The practice account's `org` scenario with --accounts member accounts; the administrators' access goes to
the organization's root, CloudHSM's to this account and two OUs (tests/reliability/org_crash.py, shared with
the suite's smaller test_crash_organization.py). Each apply is killed with SIGKILL right after its --every-th
change reached the practice account; the next starts from the saved answers. Printed: each run's time and
the change it was killed after, the chain's total, the exactness checks (every expected assignment exactly
once, created exactly once; every member account's IAM exactly as expected, and teardown's notes naming it; the
saved state done) and the changes a further apply makes (target 0).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.reliability import org_crash
from tests.reliability.conftest import Program
from tests.reliability.fault_proxy import FaultProxy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--every", type=int, default=100)
    args = parser.parse_args(argv)

    from hsm_setup.sandbox import PracticeAccount

    started = time.perf_counter()
    practice = PracticeAccount("org", accounts=args.accounts).start()
    work = Path(tempfile.mkdtemp(prefix="hsm-org-crash-"))
    proxy = FaultProxy(practice.endpoint_url)
    try:
        org_crash.prepare(practice)
        print(f"practice account with {args.accounts} member accounts: {time.perf_counter() - started:.1f} s")
        return measure(practice, proxy, Program(proxy.url, work), work, args.every)
    finally:
        proxy.close()
        practice.stop()
        shutil.rmtree(work, ignore_errors=True)


def measure(practice, proxy: FaultProxy, program: Program, work: Path, every: int) -> int:
    want = org_crash.expected(practice)
    creations = org_crash.CreationCount()
    proxy.observe = creations
    print(
        f"targets: administrators {len(want.admin_accounts)} accounts (the root), CloudHSM "
        f"{len(want.cloudhsm_accounts)} (this account and the OUs {', '.join(org_crash.CLOUDHSM_OUS)})"
    )
    chain = org_crash.crash_chain(program, proxy, org_crash.write_answers(practice, work), every, max_runs=200)
    for number, run in enumerate(chain.runs, start=1):
        how = (
            f"killed after change #{every} ({run.killed_after.operation})"
            if run.killed_after
            else f"ended by itself, exit {run.returncode}"
        )
        print(f"  run {number:3d}: {run.seconds:6.1f} s, {how}")
    last = chain.runs[-1]
    print(f"chain: {len(chain.runs)} runs ({len(chain.runs) - 1} killed) in {chain.seconds:.1f} s")
    got = org_crash.found(practice, program, creations)
    proxy.observe = None
    proxy.reset_counts()
    again = program("apply", "--yes")
    changes = proxy.mutating_operations()
    problems = org_crash.problems(want, got)
    if last.returncode:
        problems.insert(
            0, f"the last apply ended with exit {last.returncode}:\n{last.stdout[-2000:]}{last.stderr[-2000:]}"
        )
    if again.returncode:
        problems.append(f"a further apply ended with exit {again.returncode}")
    print(
        f"assignments: {sum(sum(c.values()) for c in got.assignments.values())} "
        f"(expected {len(want.admin_accounts) + len(want.cloudhsm_accounts)}); successful creations "
        f"{sum(got.creations.values())}, most for one target {max(got.creations.values(), default=0)} (target 1)"
    )
    print(
        f"member accounts checked: {len(got.member_iam)}, {len(got.member_notes)} with teardown notes; "
        f"steps: {sorted(set(got.steps.values()))}"
    )
    print(f"a further apply: {len(changes)} changes (target 0){': ' + ', '.join(changes) if changes else ''}")
    print("exact" if not problems else "NOT EXACT:\n  " + "\n  ".join(problems))
    return 1 if problems or changes else 0


if __name__ == "__main__":
    raise SystemExit(main())
