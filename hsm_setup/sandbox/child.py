"""The practice account's own process (see process.py): `python -m hsm_setup.sandbox.child SCENARIO`.

It starts a PracticeAccount, writes one JSON line with its endpoint to stdout, then
answers one JSON request per line on stdin until stdin closes, which is also how it
learns that its parent has gone (however it ended), and stops.

    request:  {"op": "simulate", "args": ["root-mfa", "us-east-1"]}
    answer:   {"ok": true, "value": "..."}  or  {"ok": false, "kind": "sandbox", "cause": "...", "next_move": "..."}
"""

from __future__ import annotations

import json
import os
import resource
import sys
from typing import Any, TextIO

from .catalog import SandboxError

# What the parent may ask for: the PracticeAccount methods the front ends and tests use.
OPERATIONS = (
    "simulate",
    "reset",
    "deny",
    "allow",
    "expire_credentials",
    "clear_faults",
    "limit_rate",
    # IAM enforced on every request, and what reached the account
    "enforce_iam",
    "received_calls",
    # signing in: MFA devices and roles, IAM Identity Center sign-in requests
    "add_mfa_device",
    "mfa_code",
    "add_role",
    "approve_sign_in",
    "deny_sign_in",
    "slow_down_sign_in",
)


def answer(account: Any, request: dict[str, Any]) -> dict[str, Any]:
    op = request.get("op")
    args = request.get("args") or []
    if op == "peak_rss_mib":
        return {"ok": True, "value": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if op not in OPERATIONS or not isinstance(args, list):
        return {"ok": False, "kind": "value", "cause": f"unknown request {op!r}"}
    try:
        return {"ok": True, "value": getattr(account, op)(*args)}
    except SandboxError as exc:
        return {"ok": False, "kind": "sandbox", "cause": exc.cause, "next_move": exc.next_move}
    except (ValueError, TypeError) as exc:
        return {"ok": False, "kind": "value", "cause": str(exc)}


def serve_pipe(account: Any, requests: TextIO, answers: TextIO) -> None:
    for line in requests:
        try:
            request = json.loads(line)
        except ValueError:
            request = {}
        answers.write(json.dumps(answer(account, request if isinstance(request, dict) else {})) + "\n")
        answers.flush()


def main(argv: list[str]) -> int:
    # The protocol owns the real stdout; anything else printed (a library's warning) goes to stderr.
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    from .account import PracticeAccount

    scenario = argv[0] if argv else "fresh"
    try:
        account = PracticeAccount(scenario, accounts=int(argv[1]) if len(argv) > 1 else 12).start()
    except SandboxError as exc:
        protocol.write(
            json.dumps({"ok": False, "kind": "sandbox", "cause": exc.cause, "next_move": exc.next_move}) + "\n"
        )
        return 1
    except Exception as exc:
        import traceback

        traceback.print_exc()
        protocol.write(json.dumps({"ok": False, "kind": "start", "cause": f"{type(exc).__name__}: {exc}"}) + "\n")
        return 1
    try:
        protocol.write(json.dumps({"ok": True, "endpoint_url": account.endpoint_url}) + "\n")
        protocol.flush()
        serve_pipe(account, sys.stdin, protocol)
    finally:
        account.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
