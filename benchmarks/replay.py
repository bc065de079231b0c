"""The reads of one check, replayed one after another: as a plain boto3 script, and as
AWS CLI commands. Both are the baselines `hsm-setup check` is compared with.

The calls (service, operation, Region, parameters) come from the delaying proxy's
log of a real check, so the baselines make exactly the requests the check made.

    python benchmarks/replay.py calls.json    # (internal) the plain boto3 script
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

INSTALL_TIMEOUT = 300
CLI_CALL_TIMEOUT = 60


def params_of(service: str, operation: str, body: bytes, content_type: str) -> dict[str, Any]:
    """The API parameters a recorded request carried (JSON or query protocol)."""
    if not body:
        return {}
    if "json" in content_type:
        return json.loads(body)
    import botocore.session

    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8")).items() if k not in ("Action", "Version")}
    shape = botocore.session.get_session().get_service_model(service).operation_model(operation).input_shape
    typed: dict[str, Any] = {}
    for key, value in form.items():
        kind = shape.members[key].type_name if shape and key in shape.members else "string"
        typed[key] = int(value) if kind in ("integer", "long") else (value == "true") if kind == "boolean" else value
    return typed


def plain_boto3(calls_file: str) -> None:
    """The baseline: one Session, the same reads, one after another."""
    import boto3
    from botocore.exceptions import ClientError

    calls = json.loads(Path(calls_file).read_text())
    session = boto3.session.Session()
    clients: dict[tuple[str, str], Any] = {}
    for call in calls:
        key = (call["service"], call["region"])
        if key not in clients:
            clients[key] = session.client(call["service"], region_name=call["region"])
        method = getattr(clients[key], _snake(call["operation"]))
        # A look-up that finds nothing is an answer too.
        with contextlib.suppress(ClientError):
            method(**call["params"])


def _snake(operation: str) -> str:
    from botocore import xform_name

    return xform_name(operation)


# -- the AWS CLI --------------------------------------------------------------------------
def find_aws_cli() -> tuple[list[str] | None, str]:
    """An `aws` command to time, or None and why not. Installs awscli into a temporary venv if needed."""
    found = shutil.which("aws")
    if found:
        try:
            subprocess.run([found, "--version"], capture_output=True, timeout=CLI_CALL_TIMEOUT, check=True)
            return [found], "on PATH"
        except Exception:
            pass
    venv = Path(tempfile.gettempdir()) / "hsm-setup-bench-awscli"
    aws = venv / "bin" / "aws"
    if not aws.exists():
        try:
            subprocess.run(
                [sys.executable, "-m", "venv", str(venv)], capture_output=True, timeout=INSTALL_TIMEOUT, check=True
            )
            subprocess.run(
                [str(venv / "bin" / "pip"), "install", "-q", "awscli"],
                capture_output=True,
                timeout=INSTALL_TIMEOUT,
                check=True,
            )
        except Exception as exc:
            return None, f"awscli could not be installed ({type(exc).__name__})"
    return [str(aws)], "installed in a temporary venv"


def aws_cli_commands(aws: list[str], calls: list[dict[str, Any]], endpoint: str) -> list[list[str]]:
    commands = []
    for call in calls:
        command = [
            *aws,
            call["service"],
            _snake(call["operation"]).replace("_", "-"),
            "--region",
            call["region"],
            "--endpoint-url",
            endpoint,
            "--output",
            "json",
        ]
        if call["params"]:
            command += ["--cli-input-json", json.dumps(call["params"])]
        commands.append(command)
    return commands


def time_aws_cli(aws: list[str], calls: list[dict[str, Any]], endpoint: str, env: dict[str, str]) -> tuple[float, int]:
    """Seconds to run every read as its own AWS CLI command, one after another; and how many failed to run."""
    started = time.perf_counter()
    broken = 0
    for command in aws_cli_commands(aws, calls, endpoint):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=CLI_CALL_TIMEOUT)
        # 254/255 is the CLI's "the service said no" (a look-up that finds nothing): still a round trip.
        if done.returncode not in (0, 254, 255):
            broken += 1
    return time.perf_counter() - started, broken


if __name__ == "__main__":
    os.environ.setdefault("AWS_REGION", "us-east-1")
    plain_boto3(sys.argv[1])
