"""The IAM actions the person running hsm-setup needs, per step, read from the steps themselves.

Each step declares `check_permissions` (read only) and `apply_permissions`; a test
records every call each step makes and fails when one is not declared here, so
this table is the truth a security team can write a policy from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hsm_setup.steps import STEPS

# Every run starts with sts:GetCallerIdentity, which needs no permission; it is listed for completeness.
ALWAYS = ("sts:GetCallerIdentity",)


@dataclass(frozen=True)
class StepPermissions:
    step_id: str
    title: str
    check: tuple[str, ...]
    apply: tuple[str, ...]


def table() -> list[StepPermissions]:
    return [StepPermissions(s.id, s.title, tuple(sorted(set(s.check_permissions))), tuple(sorted(set(s.apply_permissions)))) for s in STEPS]


def all_actions(*, apply: bool = True) -> list[str]:
    """Every action check needs (and apply, unless apply=False), sorted and without repeats."""
    actions: set[str] = set(ALWAYS)
    for row in table():
        actions.update(row.check)
        if apply:
            actions.update(row.apply)
    return sorted(actions)


def policy_document(*, apply: bool = True) -> dict[str, Any]:
    """An identity-based policy granting what check (and apply) call; Resource "*" since names are chosen at run time."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "HsmSetupApply" if apply else "HsmSetupCheck",
                "Effect": "Allow",
                "Action": all_actions(apply=apply),
                "Resource": "*",
            }
        ],
    }


def markdown() -> str:
    lines = ["| step | check (read only) | apply (adds) |", "|---|---|---|"]
    for row in table():
        extra = [a for a in row.apply if a not in row.check]
        lines.append(f"| `{row.step_id}` | {', '.join(f'`{a}`' for a in row.check) or '-'} | {', '.join(f'`{a}`' for a in extra) or '-'} |")
    return "\n".join(lines)


def to_json() -> str:
    return json.dumps(
        [{"step": r.step_id, "title": r.title, "check": list(r.check), "apply": list(r.apply)} for r in table()], indent=2
    )
