"""Plain-text and JSON renderings of results and plans, for the headless commands."""

from __future__ import annotations

import json
from collections.abc import Iterable

from hsm_setup.aws.identity import Identity
from hsm_setup.json_types import JsonObject
from hsm_setup.model import Status, StepResult
from hsm_setup.steps.actions import Action, ActionOutcome
from hsm_setup.steps.registry import STEPS

MARKS = {
    Status.DONE: "[done]",
    Status.INCOMPLETE: "[to do]",
    Status.BLOCKED: "[blocked]",
    Status.ERROR: "[error]",
    Status.SKIPPED: "[skipped]",
}
TITLES = {s.id: s.title for s in STEPS}


def results_json(identity: Identity, region: str, results: dict[str, StepResult], *, sandbox: bool = False) -> str:
    payload: JsonObject = {
        "account_id": identity.account_id,
        "region": region,
        "caller_arn": identity.arn,
        "sandbox": sandbox,
        "steps": [step_json(r) for r in results.values()],
    }
    return json.dumps(payload, indent=2)


def step_json(result: StepResult) -> JsonObject:
    data: JsonObject = {
        "id": result.step_id,
        "title": TITLES.get(result.step_id, result.step_id),
        "status": result.status.value,
        "findings": [f.to_json() for f in result.findings],
    }
    if result.error:
        data["error"] = result.error
    if result.blocked_by:
        data["blocked_by"] = list(result.blocked_by)
    if result.missing_answers:
        # The answers keys the step could not be checked without (the administrator, on a real account).
        data["missing_answers"] = list(result.missing_answers)
    if result.accounts:
        # A per-account step: each target account's status; the step is done when every one is.
        data["accounts"] = dict(result.accounts)
    return data


def header(identity: Identity, region: str, *, sandbox: bool) -> str:
    where = "the practice account (a simulation on this machine)" if sandbox else f"account {identity.account_id}"
    lines = [f"Checking {where}, Identity Center Region {region}", f"Caller: {identity.arn}"]
    if identity.is_root:
        lines.append(
            "Warning: these are the root user's credentials. Use them only to set up an administrator, then stop."
        )
    return "\n".join(lines)


def results_text(results: dict[str, StepResult]) -> str:
    lines: list[str] = []
    for index, result in enumerate(results.values(), start=1):
        lines.append(
            f"{index}. {MARKS[result.status]:<10} {TITLES.get(result.step_id, result.step_id)} ({result.step_id})"
        )
        for finding in result.findings:
            mark = "ok " if finding.ok else ("!  " if finding.level == "warning" else "-  ")
            lines.append(f"     {mark}{finding.message}")
            if finding.evidence:
                lines.append(f"          evidence: {finding.evidence}")
    done = sum(1 for r in results.values() if r.done)
    lines.append("")
    lines.append(f"{done} of {len(results)} steps done.")
    return "\n".join(lines)


def plan_text(plan: dict[str, list[Action]], results: dict[str, StepResult]) -> str:
    lines: list[str] = []
    for step_id, actions in plan.items():
        result = results[step_id]
        title = f"{TITLES.get(step_id, step_id)} ({step_id})"
        if result.done:
            continue
        if result.status is Status.BLOCKED:
            lines.append(f"# {title}: waits for {', '.join(result.blocked_by)}")
            continue
        if result.status is Status.ERROR:
            lines.append(f"# {title}: cannot plan: {result.error}")
            continue
        lines.append(f"# {title}")
        lines.extend(action_lines(actions))
    if not lines:
        return "Nothing to do: every step is done."
    return "\n".join(lines)


def action_lines(actions: Iterable[Action]) -> list[str]:
    lines: list[str] = []
    for action in actions:
        if action.is_manual:
            lines.append(f"# MANUAL: {action.summary}")
            if action.console_url:
                lines.append(f"#   console: {action.console_url}")
            lines.extend(f"#   {n}. {text}" for n, text in enumerate(action.instructions, start=1))
        else:
            lines.append(f"# {action.summary}")
            if action.changes_existing:
                lines.append(f"#   CHANGES WHAT ALREADY EXISTED: {action.changes_existing}")
                lines.extend(f"#     {line}" for line in action.diff)
            lines.append(action.cli or "")
    return lines


def outcome_line(outcome: ActionOutcome) -> str:
    if outcome.ok:
        return f"  done: {outcome.action.summary}"
    return f"  FAILED: {outcome.action.summary}: {outcome.message}"


def count_actions(plan: dict[str, list[Action]]) -> tuple[int, int]:
    api = sum(1 for actions in plan.values() for a in actions if not a.is_manual)
    manual = sum(1 for actions in plan.values() for a in actions if a.is_manual)
    return api, manual
