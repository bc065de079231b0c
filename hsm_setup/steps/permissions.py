"""The IAM permissions the person running hsm-setup needs, read from the steps' declarations.

Each step declares `check_permissions` (read only) and `apply_permissions` as Grants (an
action with the resources it acts on: steps.grants); a test records every call each step
makes and fails when one is not declared. From them come the identity-based policy that
`hsm-setup permissions` prints, the table in the README, and what the pre-flight asks IAM.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import msgspec

from hsm_setup.answers.fields import IAM_MODE, IDENTITY_CENTER_MODE
from hsm_setup.answers.values import Answers
from hsm_setup.steps.base import Step
from hsm_setup.steps.grants import ANY, Condition, Grant, Need, Scope, iam_arn, iam_user, no_resource, resolve
from hsm_setup.steps.registry import STEPS

# Every run starts with sts:GetCallerIdentity, which needs no permission; listed for completeness.
ALWAYS: tuple[Grant, ...] = no_resource("sts:GetCallerIdentity")
PREFLIGHT_SID = "PreflightSimulation"
SIMULATE_URL = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html"
# Before apply changes anything it asks IAM whether the caller may do what the plan needs: on
# the caller's own user (the policy variable names it) or, for a role session, the role.
PREFLIGHT: tuple[Grant, ...] = (
    Grant(
        "iam:SimulatePrincipalPolicy",
        (iam_user("${aws:username}"), iam_arn("role/*")),
        sid=PREFLIGHT_SID,
        why=f"Apply's pre-flight asks IAM whether you may do what the plan needs before it changes anything ({SIMULATE_URL}).",
    ),
)
POLICY_VERSION = "2012-10-17"


class StepPermissions(msgspec.Struct, frozen=True):
    step_id: str
    title: str
    check: tuple[str, ...]
    apply: tuple[str, ...]


def _mode(answers: Answers | None) -> str | None:
    return None if answers is None else str(answers["admin.mode"] or IDENTITY_CENTER_MODE)


def scope_for(answers: Answers | None) -> Scope:
    """Offline: the answers' names, everything the account would tell as `*`."""
    return Scope(answers=answers.to_flat() if answers is not None else {})


def step_grants(step: Step, *, apply: bool, mode: str | None) -> list[Grant]:
    """A step's grants for check (and apply) in an admin mode (None: every mode)."""
    grants = list(step.check_permissions) + (list(step.apply_permissions) if apply else [])
    return [g for g in grants if g.applies_to(mode)]


def table(mode: str | None = None) -> list[StepPermissions]:
    """Per step: the actions its check and its apply call (on-behalf actions listed separately)."""
    rows = []
    for step in STEPS:
        check = sorted({g.action for g in step.check_permissions if g.applies_to(mode)})
        apply = sorted({g.action for g in step.apply_permissions if g.applies_to(mode) and not g.on_behalf})
        rows.append(StepPermissions(step.id, step.title, tuple(check), tuple(apply)))
    return rows


def on_behalf_grants(mode: str | None = None) -> list[Grant]:
    seen: dict[tuple[str, str], Grant] = {}
    for step in STEPS:
        for grant in step.apply_permissions:
            if grant.on_behalf and grant.applies_to(mode):
                seen.setdefault((grant.sid, grant.action), grant)
    return list(seen.values())


def needs(answers: Answers | None = None, *, apply: bool = True, scope: Scope | None = None) -> list[Need]:
    """Every grant filled in for the answers (None: every mode, nothing known)."""
    scope = scope or scope_for(answers)
    mode = _mode(answers)
    grants: list[Grant] = list(ALWAYS)
    for step in STEPS:
        grants.extend(step_grants(step, apply=apply, mode=mode))
    if apply:
        grants.extend(PREFLIGHT)
    resolved = (resolve(g, scope) for g in grants)
    return [n for n in resolved if n is not None]


def all_actions(answers: Answers | None = None, *, apply: bool = True) -> list[str]:
    """Every action the policy grants, sorted and without repeats."""
    return sorted({n.action for n in needs(answers, apply=apply)})


# -- the policy document --------------------------------------------------------------------
def statements(filled: Iterable[Need]) -> list[dict[str, Any]]:
    """Policy statements granting `filled`: one per set of resources and conditions, with a Sid each."""
    groups: dict[tuple[str, tuple[str, ...], tuple[Condition, ...]], set[str]] = {}
    for need in filled:
        groups.setdefault((need.sid, need.resources, need.conditions), set()).add(need.action)

    def order(key: tuple[str, tuple[str, ...], tuple[Condition, ...]]) -> tuple[int, str]:
        sid, resources, _ = key
        # Actions without resources first, then what hsm-setup calls, then what AWS does with your rights.
        return (0 if resources == (ANY,) else 2 if sid else 1, sid or resources[0])

    result: list[dict[str, Any]] = []
    used: set[str] = set()
    for key in sorted(groups, key=order):
        sid, resources, conditions = key
        actions = sorted(groups[key])
        statement: dict[str, Any] = {
            "Sid": _unique(sid or _sid(resources, conditions, actions), used),
            "Effect": "Allow",
            "Action": actions,
            "Resource": resources[0] if len(resources) == 1 else list(resources),
        }
        if conditions:
            block: dict[str, dict[str, Any]] = {}
            for c in conditions:
                block.setdefault(c.operator, {})[c.key] = c.values[0] if len(c.values) == 1 else list(c.values)
            statement["Condition"] = block
        result.append(statement)
    return result


def policy_document(
    answers: Answers | None = None, *, apply: bool = True, scope: Scope | None = None
) -> dict[str, Any]:
    """The identity-based policy for check (apply=False) or check and apply, for these answers.

    Without answers it covers every admin mode. Ready for `aws iam create-policy --policy-document`.
    """
    return {"Version": POLICY_VERSION, "Statement": statements(needs(answers, apply=apply, scope=scope))}


def _sid(resources: tuple[str, ...], conditions: tuple[Condition, ...], actions: list[str]) -> str:
    if resources == (ANY,):
        return "ActionsWithoutResourceTypes"
    first = resources[0]
    if ":sso:" in first:
        base = "IdentityCenter"
    elif ":identitystore:" in first:
        base = "IdentityStore"
    else:
        kind, _, name = first.split(":", 5)[-1].partition("/")
        label = {"user": "IamUser", "group": "IamGroup", "policy": "IamPolicy", "role": "IamRole"}.get(kind, "Iam")
        if len(resources) > 1 and kind == "user":
            base = "IamUsers"
        else:
            base = label + re.sub(r"[^0-9A-Za-z]", "", name.rsplit("/", 1)[-1])
    if conditions and len(actions) == 1:
        base += actions[0].split(":", 1)[1]
    return base


def _unique(sid: str, used: set[str]) -> str:
    candidate, number = sid, 2
    while candidate in used:
        candidate, number = f"{sid}{number}", number + 1
    used.add(candidate)
    return candidate


def to_json(answers: Answers | None = None, *, apply: bool = True) -> str:
    return json.dumps(policy_document(answers, apply=apply), indent=2) + "\n"


# -- the per-step table ----------------------------------------------------------------------
def text(answers: Answers, *, apply: bool = True) -> str:
    """The per-step table for these answers: each action with what it acts on."""
    mode = _mode(answers) or IDENTITY_CENTER_MODE
    scope = scope_for(answers)
    what = "check and apply" if apply else "check (read only)"
    lines = [
        f"IAM permissions for {what}, admin mode {mode} (`hsm-setup permissions --json` prints them as a policy).",
        "",
    ]
    for step in STEPS:
        rows: list[tuple[str, Need]] = []
        for phase, grants in (("check", step.check_permissions), ("apply", step.apply_permissions if apply else ())):
            for grant in grants:
                if grant.applies_to(mode) and not grant.on_behalf:
                    need = resolve(grant, scope)
                    if need is not None:
                        rows.append((phase, need))
        lines.append(f"{step.id} ({step.title})")
        if not rows:
            lines.append("  - (nothing in this mode)")
        for phase, need in rows:
            lines.append(f"  {phase:<5}  {need.action:<45} {_on(need)}")
        lines.append("")
    if apply:
        behalf = [resolve(g, scope) for g in on_behalf_grants(mode)]
        if behalf:
            lines.append("What AWS does with your rights while apply runs (each has a statement of its own):")
            for sid in dict.fromkeys(n.sid for n in behalf if n):
                group = [n for n in behalf if n and n.sid == sid]
                lines.append(f"  {sid}: {', '.join(n.action for n in group)} on {_on(group[0])}")
                lines.append(f"    {group[0].why}")
            lines.append("")
        preflight = resolve(PREFLIGHT[0], scope)
        if preflight:
            lines.append(f"Apply's pre-flight: {preflight.action} on {_on(preflight)}")
    return "\n".join(lines).rstrip() + "\n"


def _on(need: Need) -> str:
    shown = ", ".join(need.resources)
    for c in need.conditions:
        shown += f" when {c.key} is {' or '.join(c.values)}"
    return shown


# -- the README's section ---------------------------------------------------------------------
README_HEADING = "## Permissions the person running hsm-setup needs"


def markdown() -> str:
    """The README's permissions section (below its heading), from the same declarations as the command."""
    ic = {r.step_id: r for r in table(IDENTITY_CENTER_MODE)}
    iam = {r.step_id: r for r in table(IAM_MODE)}
    lines = [
        "`hsm-setup permissions` prints the identity-based policy for the answers given (`--config FILE`; the",
        "default answers otherwise), ready for `aws iam create-policy --policy-document`: `--json`",
        "prints the policy, without it a table of each action and what it acts on; `--read-only` leaves out",
        "apply. It needs no AWS account and no credentials. Resources are scoped the way the AWS Service",
        "Authorization Reference allows (the IAM group, user and policy names from the answers, the CloudHSM",
        "service-linked role, Identity Center's reserved roles and SAML providers); `*` only where an action",
        "takes no resource. Identity Center's instance is not known before it is enabled, so the `sso` and",
        "`identitystore` statements name their resource types rather than one instance.",
        "",
        "Each step declares the actions its check (read only) and its apply need; a test records every API",
        "call each step makes (botocore event hooks) and fails on one that is not declared, and another runs",
        "check and apply in the practice account, with IAM enforced, as a user holding exactly the printed",
        "policy, and with each action of it taken away in turn. `sts:GetCallerIdentity` needs no permission.",
        "The apply column lists what apply adds.",
        'Actions marked (IAM) are used only with `[admin] mode = "iam"`; the others marked (IC) only with',
        "IAM Identity Center.",
        "",
        "| step | check (read only) | apply (adds) |",
        "|---|---|---|",
    ]
    for step in STEPS:
        check = _marked(ic[step.id].check, iam[step.id].check)
        added_ic = [a for a in ic[step.id].apply if a not in ic[step.id].check]
        added_iam = [a for a in iam[step.id].apply if a not in iam[step.id].check]
        apply = _marked(tuple(added_ic), tuple(added_iam))
        lines.append(f"| `{step.id}` | {check or '-'} | {apply or '-'} |")
    lines += [
        "",
        "What AWS does with your rights while apply runs: these statements carry a `Sid` of their own.",
        "",
    ]
    for sid in dict.fromkeys(g.sid for g in on_behalf_grants()):
        group = [g for g in on_behalf_grants() if g.sid == sid]
        actions = ", ".join(f"`{g.action}`" for g in group)
        lines.append(f"- `{sid}` ({actions}): {group[0].why}")
    lines.append(f"- `{PREFLIGHT_SID}` (`iam:SimulatePrincipalPolicy`): {PREFLIGHT[0].why}")
    lines += [
        "",
        "**Pre-flight.** Before `apply` changes anything it asks IAM (`iam:SimulatePrincipalPolicy` on your own",
        "user, or on the role of a role session such as an Identity Center sign-in) whether you may do every",
        "action the plan and the checks need, on the resources they act on. What is missing is listed all at",
        "once, per step, with the policy statements that would grant it, and nothing is changed (`apply` exits",
        "2). Credentials that may not simulate get a one-line notice and apply goes ahead as before; the root",
        "user is not simulated (IAM policies do not limit it). The wizard asks the same question for the step",
        "you are about to apply and shows the answer at the top of the confirmation: when something is missing",
        "it lists it with the granting statements and offers no Apply; plain mode prints it before asking and",
        "leaves the step unchanged.",
    ]
    return "\n".join(lines)


def _marked(ic: tuple[str, ...], iam: tuple[str, ...]) -> str:
    names = sorted(set(ic) | set(iam))
    shown = []
    for name in names:
        mark = "" if name in ic and name in iam else " (IC)" if name in ic else " (IAM)"
        shown.append(f"`{name}`{mark}")
    return ", ".join(shown)


def readme_section(readme: str) -> str:
    """The text of the README's permissions section, between its heading and the next one."""
    start = readme.index(README_HEADING) + len(README_HEADING)
    end = readme.find("\n## ", start)
    return readme[start : end if end >= 0 else len(readme)].strip()
