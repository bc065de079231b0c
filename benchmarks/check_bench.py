"""`hsm-setup check` behind a delaying proxy: wall time, API calls, round trips on the
critical path and peak memory, on a small and a large account; and, side by side in
the same run, the same reads as a plain boto3 script and as AWS CLI commands.

The measured check is the second and later runs with saved state (the realistic one:
a person checks again); the first run, which saves the state, is reported apart.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import ADMIN_ANSWERS, HSM_SETUP, PYTHON, ROOT, Run, ServedAccount, child_env, median, run_measured
from proxy import DelayProxy, Request, critical_path
from replay import find_aws_cli, params_of, time_aws_cli

# botocore's name for a service whose signing name differs.
SERVICE_NAMES = {"sso": "sso-admin"}


@dataclass
class CheckFigures:
    users: int
    permission_sets: int
    first_run: float
    seconds: float
    calls: int
    round_trips: int
    max_rss_mib: float
    exit_code: int
    requests: list[Request] = field(default_factory=list)
    runs: list[float] = field(default_factory=list)


def measure_check(proxy: DelayProxy, account: ServedAccount, runs: int) -> CheckFigures:
    state_dir = tempfile.mkdtemp(prefix="hsm-bench-state-")
    env = child_env(proxy.url, state_dir)
    answers = Path(state_dir) / "answers.toml"
    answers.write_text(ADMIN_ANSWERS, encoding="utf-8")
    check = [*HSM_SETUP, "check", "--config", str(answers)]
    proxy.reset()
    first: Run = run_measured(check, env)
    proxy.taken()
    times, peaks, calls, trips = [], [], [], []
    requests: list[Request] = []
    last = first
    for _ in range(runs):
        last = run_measured(check, env)
        requests = proxy.taken()
        times.append(last.seconds)
        peaks.append(last.max_rss_mib)
        calls.append(len(requests))
        trips.append(critical_path(requests))
    if last.returncode not in (0, 1):
        raise RuntimeError(f"hsm-setup check failed ({last.returncode}): {last.stderr[-500:]}")
    return CheckFigures(
        account.users,
        account.permission_sets,
        first.seconds,
        median(times),
        int(median(calls)),
        int(median(trips)),
        max(peaks),
        last.returncode,
        requests,
        times,
    )


def recorded_calls(requests: list[Request]) -> list[dict[str, Any]]:
    calls = []
    for request in requests:
        service = SERVICE_NAMES.get(request.service, request.service)
        calls.append(
            {
                "service": service,
                "operation": request.operation,
                "region": request.region,
                "params": params_of(service, request.operation, request.body, request.content_type),
            }
        )
    return calls


def measure_baselines(proxy: DelayProxy, requests: list[Request], runs: int, with_cli: bool = True) -> dict[str, Any]:
    calls = recorded_calls(requests)
    calls_file = Path(tempfile.mkdtemp(prefix="hsm-bench-calls-")) / "calls.json"
    calls_file.write_text(json.dumps(calls))
    env = child_env(proxy.url, None)
    plain = [run_measured([PYTHON, str(ROOT / "benchmarks" / "replay.py"), str(calls_file)], env) for _ in range(runs)]
    broken = [r for r in plain if r.returncode != 0]
    if broken:
        raise RuntimeError(f"the plain boto3 script failed: {broken[0].stderr[-500:]}")
    figures: dict[str, Any] = {"plain_boto3": median([r.seconds for r in plain]), "calls": len(calls)}
    if with_cli:
        aws, how = find_aws_cli()
        if aws is None:
            figures["aws_cli"], figures["aws_cli_note"] = None, how
        else:
            seconds, failed = time_aws_cli(aws, calls, proxy.url, env)
            figures["aws_cli"], figures["aws_cli_note"] = (
                seconds,
                how + (f"; {failed} commands did not run" if failed else ""),
            )
    return figures
