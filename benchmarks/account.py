"""Serve a practice account of a chosen size, for the benchmarks.

    python benchmarks/account.py --scenario complete --users 2000 --permission-sets 300

The account is seeded from a scenario, then topped up with identity-store users and
permission sets written straight into moto's backends in this process (thousands
of API calls would take minutes). It prints one line, `READY <endpoint> <seconds>`,
and serves until its standard input closes or it gets SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def top_up(account, users: int, permission_sets: int) -> tuple[int, int]:
    """Add users and permission sets until the account holds this many; returns the totals."""
    from hsm_setup.answers.values import defaults
    from hsm_setup.sandbox import backends

    region = defaults()["region"]
    with account.world.lock:
        records = account.world.instances_in(region)
        if not records:
            raise SystemExit(f"no Identity Center instance in {region}: use the partial or complete scenario")
        record = records[0]
        store = backends.identity_store(region)
        data = store.identity_stores[record.identity_store_id]
        for n in range(len(data.users), users):
            name = f"bench.user{n:05d}"
            store.create_user(
                record.identity_store_id,
                name,
                {"GivenName": "Bench", "FamilyName": f"User{n}"},
                f"Bench User{n}",
                None,
                None,
                [{"Value": f"{name}@example.com", "Type": "work", "Primary": True}],
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            )
        sso = backends.sso_admin(region)
        existing = [ps for ps in sso.permission_sets if ps.instance_arn == record.arn]
        for n in range(len(existing), permission_sets):
            sso.create_permission_set(f"Bench{n:04d}", "benchmark filler", record.arn, "PT1H", None, [])
        total_users = len(data.users)
        total_sets = len([ps for ps in sso.permission_sets if ps.instance_arn == record.arn])
    return total_users, total_sets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="complete", choices=("fresh", "partial", "complete"))
    parser.add_argument("--users", type=int, default=0)
    parser.add_argument("--permission-sets", type=int, default=0)
    args = parser.parse_args()

    from hsm_setup.sandbox import PracticeAccount

    started = time.monotonic()
    account = PracticeAccount(args.scenario).start()
    users = sets = 0
    if args.users or args.permission_sets:
        users, sets = top_up(account, args.users, args.permission_sets)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"READY {account.endpoint_url} {time.monotonic() - started:.2f} {users} {sets}", flush=True)
    # Standard input closing means the benchmark that started this process is gone.
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait(timeout=1800)
    account.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
