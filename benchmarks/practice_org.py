"""The practice account at scale: the `org` scenario's start time and peak memory, printed against the targets.

    python benchmarks/practice_org.py [--accounts 2000] [--scenario org|delegated]

Targets (issue 16): 2,000 member accounts start in under 30 s and the practice account stays under 1 GiB.
The figures are the child process's own: from spawn to its first answer, and its peak RSS after it has
listed every account once (ListAccounts in pages of 20, as a client would).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

START_TARGET_SECONDS = 30.0
MEMORY_TARGET_MIB = 1024.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--scenario", default="org", choices=("org", "delegated"))
    args = parser.parse_args(argv)

    import boto3

    from hsm_setup.sandbox.catalog import ACCESS_KEY_ID, SECRET_ACCESS_KEY
    from hsm_setup.sandbox.process import PracticeAccountProcess

    started = time.perf_counter()
    account = PracticeAccountProcess(args.scenario, accounts=args.accounts).start()
    start_seconds = time.perf_counter() - started
    try:
        organizations = boto3.client(
            "organizations",
            region_name="us-east-1",
            endpoint_url=account.endpoint_url,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )
        listed = sum(len(page["Accounts"]) for page in organizations.get_paginator("list_accounts").paginate())
        peak = account.peak_rss_mib()
    finally:
        account.stop()
    ok_start = start_seconds < START_TARGET_SECONDS
    ok_memory = peak < MEMORY_TARGET_MIB
    print(f"practice account, {args.scenario} scenario, {args.accounts} member accounts ({listed} listed)")
    print(
        f"  start       {start_seconds:7.1f} s    target < {START_TARGET_SECONDS:.0f} s    {'ok' if ok_start else 'MISSED'}"
    )
    print(f"  peak RSS    {peak:7.1f} MiB  target < {MEMORY_TARGET_MIB:.0f} MiB {'ok' if ok_memory else 'MISSED'}")
    return 0 if ok_start and ok_memory else 1


if __name__ == "__main__":
    raise SystemExit(main())
