"""Before apply changes anything: may the caller do what the plan needs?

IAM answers with iam:SimulatePrincipalPolicy on the caller's own user (a role session: its
role), for the IAM actions of every planned API action and of the checks apply runs again,
on the resources they act on (steps.grants filled with the account's names and the
Identity Center instance the check found), including what AWS does with the caller's
rights (Identity Center's reserved role in the management account). The result lists every
missing action at once, per step, with the policy statements that would grant them.

A grant's resource templates are alternatives (each a resource type the action may take;
one allowed suffices), so a policy scoped more narrowly than hsm-setup's own is not refused
here for a resource type the call does not use; every ARN a template expands to (each
chosen IAM user) is needed. Root needs no simulation; a caller that may not simulate (or
whose identity cannot be simulated) gets a notice and apply goes ahead as before.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import msgspec

from hsm_setup.answers.fields import IDENTITY_CENTER_MODE
from hsm_setup.errors import ACCESS_DENIED_CODES, error_code, explain
from hsm_setup.model import StepFacts, StepResult
from hsm_setup.steps.actions import Action
from hsm_setup.steps.grants import Condition, Grant, Need, Scope, fill
from hsm_setup.steps.identity_center import IdentityCenterFacts
from hsm_setup.steps.permissions import statements, step_grants

if TYPE_CHECKING:  # pragma: no cover - typing only
    from mypy_boto3_iam.client import IAMClient

    from hsm_setup.answers.values import Answers
    from hsm_setup.aws.identity import Identity
    from hsm_setup.engine.runner import Engine

ALLOWED = "allowed"
MISSING = "missing"
ROOT = "root"
UNAVAILABLE = "unavailable"
NOTHING = "nothing"
# Side by side: each simulation is one request.
WORKERS = 6
PAGE_SIZE = 1000
CHECK_LABEL = "check (runs again after apply)"


class Ask(msgspec.Struct, frozen=True):
    """One thing the plan needs: an IAM action on one of several alternative resource lists."""

    step_id: str
    label: str  # the plan action's summary, or CHECK_LABEL
    grant: Grant
    alternatives: tuple[tuple[str, ...], ...]
    context: tuple[tuple[str, tuple[str, ...]], ...]
    need: Need  # the grant filled in: the policy lines that would grant it


class Missing(msgspec.Struct, frozen=True):
    step_id: str
    label: str
    action: str
    resources: tuple[str, ...]
    decision: str  # implicitDeny or explicitDeny
    need: Need


class Preflight(msgspec.Struct):
    """What IAM said about the plan. `outcome`: allowed, missing, root, unavailable or nothing (no change planned)."""

    outcome: str
    principal: str = ""
    missing: list[Missing] = msgspec.field(default_factory=list)
    notice: str = ""
    asked: int = 0

    @property
    def blocks_apply(self) -> bool:
        return self.outcome == MISSING

    def for_step(self, step_id: str) -> list[Missing]:
        """What a step's actions (and its check) lack: for a front end's step view."""
        return [m for m in self.missing if m.step_id == step_id]

    def missing_actions(self) -> list[str]:
        return sorted({m.action for m in self.missing})

    def policy_statements(self) -> list[dict[str, Any]]:
        """Statements that would grant everything missing (the same shape `hsm-setup permissions` prints)."""
        return statements(dict.fromkeys(m.need for m in self.missing))

    def lines(self) -> list[str]:
        """The result in words, for a terminal."""
        if self.outcome == ALLOWED:
            return [f"Pre-flight: IAM allows {self.principal} every action this plan needs ({self.asked} checked)."]
        if self.outcome in (ROOT, UNAVAILABLE, NOTHING):
            return [self.notice] if self.notice else []
        lines = [
            f"Pre-flight: {self.principal} may not do everything this plan needs, so nothing was changed. Missing:",
        ]
        seen: set[tuple[str, str, tuple[str, ...]]] = set()
        for m in self.missing:
            key = (m.step_id, m.action, m.resources)
            if key in seen:
                continue
            seen.add(key)
            on = ", ".join(m.resources)
            lines.append(f"  - {m.action} on {on} ({m.step_id}: {m.label}; IAM: {m.decision})")
        lines.append(
            "These policy statements would grant them (`hsm-setup permissions --json` prints the whole policy):"
        )
        lines.append(json.dumps(self.policy_statements(), indent=2))
        return lines


# -- what the plan needs ----------------------------------------------------------------------
def _identity_center_facts(results: dict[str, StepResult[StepFacts]]) -> IdentityCenterFacts | None:
    found = results.get("identity-center")
    return found.facts_as(IdentityCenterFacts) if found is not None else None


def scope_for(identity: Identity, results: dict[str, StepResult], answers: Answers) -> Scope:
    """The account's own names: its partition and id, and the Identity Center instance the check found."""
    facts = _identity_center_facts(results)
    instance = facts.instance if facts is not None else None
    instance_arn = instance.arn if instance is not None else ""
    known = {
        "instance_id": instance_arn.rsplit("/", 1)[-1] if instance_arn else "",
        "identity_store_id": instance.identity_store_id if instance is not None else "",
    }
    return Scope(
        partition=identity.arn.split(":")[1] or "aws",
        accounts=(identity.account_id,),
        answers=answers.to_flat(),
        facts={k: v for k, v in known.items() if v},
    )


def asks_for_plan(
    engine: Engine,
    results: dict[str, StepResult],
    planned: dict[str, list[Action]],
    identity: Identity,
) -> list[Ask]:
    """Everything apply will ask AWS for: each planned API action's grants, and every step's check."""
    answers = engine.answers
    mode = str(answers["admin.mode"] or IDENTITY_CENTER_MODE)
    scope = scope_for(identity, results, answers)
    # Identity Center provisions with the caller's rights only in the organization's management account.
    facts = _identity_center_facts(results)
    management = facts is not None and facts.org_role == "management"
    asks: list[Ask] = []
    for step in engine.steps:
        for grant in step_grants(step, apply=False, mode=mode):
            asks.extend(_ask(step.id, CHECK_LABEL, grant, scope))
        apply_grants = [g for g in step.apply_permissions if g.applies_to(mode)]
        for action in planned.get(step.id, []):
            if action.is_manual:
                continue
            calls = set(action.permissions)
            for grant in apply_grants:
                if grant.on_behalf:
                    if not calls & set(grant.via) or (grant.management_account_only and not management):
                        continue
                elif grant.action not in calls:
                    continue
                asks.extend(_ask(step.id, action.summary, grant, scope))
    return asks


def _ask(step_id: str, label: str, grant: Grant, scope: Scope) -> list[Ask]:
    alternatives = tuple(tuple(fill(template, scope)) for template in grant.resources)
    alternatives = tuple(a for a in alternatives if a)
    if not alternatives:  # an empty list answer: nothing to act on
        return []
    conditions = tuple(
        Condition(c.operator, c.key, tuple(v for template in c.values for v in fill(template, scope)))
        for c in grant.conditions
    )
    need = Need(
        grant.action, tuple(dict.fromkeys(r for a in alternatives for r in a)), conditions, grant.sid, grant.why
    )
    return [Ask(step_id, label, grant, alternatives, need.context(), need)]


# -- asking IAM --------------------------------------------------------------------------------
def preflight(engine: Engine, results: dict[str, StepResult], planned: dict[str, list[Action]]) -> Preflight:
    """Ask IAM about the whole plan at once. Never raises for AWS's answers: they become the outcome."""
    if not any(not a.is_manual for actions in planned.values() for a in actions):
        return Preflight(NOTHING)
    identity = engine.identity()
    if identity.is_root:
        return Preflight(
            ROOT,
            identity.arn,
            notice="Pre-flight: these are the root user's credentials, which IAM policies do not limit.",
        )
    iam = engine.aws.client("iam")
    source = _simulation_source(iam, identity)
    if source is None:
        return Preflight(
            UNAVAILABLE,
            identity.arn,
            notice=f"Pre-flight skipped: IAM cannot simulate the policies of {identity.arn}; apply goes ahead and stops at the first action AWS refuses.",
        )
    asks = asks_for_plan(engine, results, planned, identity)
    try:
        decisions = _simulate(iam, source, asks)
    except Exception as exc:
        if error_code(exc) in ACCESS_DENIED_CODES:
            why = f"{identity.arn} may not call iam:SimulatePrincipalPolicy"
        else:
            why = explain(exc, engine.aws.profile).cause
        return Preflight(
            UNAVAILABLE,
            identity.arn,
            notice=f"Pre-flight skipped ({why}); apply goes ahead and stops at the first action AWS refuses.",
        )
    missing: list[Missing] = []
    for ask in asks:
        verdicts = [
            [decisions.get((ask.grant.action, r, ask.context), "implicitDeny") for r in alternative]
            for alternative in ask.alternatives
        ]
        if any(all(v == "allowed" for v in alternative) for alternative in verdicts):
            continue
        refused = [
            (r, v)
            for alternative, vs in zip(ask.alternatives, verdicts, strict=True)
            for r, v in zip(alternative, vs, strict=True)
            if v != "allowed"
        ]
        decision = "explicitDeny" if any(v == "explicitDeny" for _, v in refused) else "implicitDeny"
        missing.append(Missing(ask.step_id, ask.label, ask.grant.action, ask.need.resources, decision, ask.need))
    return Preflight(MISSING if missing else ALLOWED, source, missing, asked=len(asks))


def _simulation_source(iam: IAMClient, identity: Identity) -> str | None:
    """The IAM user or role whose policies apply to the caller; None for callers IAM cannot simulate."""
    partition, account = identity.arn.split(":")[1], identity.account_id
    kind, _, rest = identity.arn.split(":", 5)[-1].partition("/")
    if ":iam::" in identity.arn and kind == "user":
        return identity.arn
    if ":sts::" in identity.arn and kind == "assumed-role":
        role_name = rest.split("/", 1)[0]
        try:
            # The role's ARN carries its path (aws-reserved/sso.amazonaws.com/ for Identity Center users).
            return str(iam.get_role(RoleName=role_name)["Role"]["Arn"])
        except Exception:
            return f"arn:{partition}:iam::{account}:role/{role_name}"
    return None


# An Ask's context: (condition key, values) pairs, as sent to iam SimulatePrincipalPolicy.
_Context = tuple[tuple[str, tuple[str, ...]], ...]


def _simulate(iam: IAMClient, source: str, asks: list[Ask]) -> dict[tuple[str, str, _Context], str]:
    """(action, resource, context) -> IAM's decision, asking once per set of resources and context."""
    batches: dict[tuple[tuple[str, ...], _Context], set[str]] = {}
    for ask in asks:
        resources = tuple(dict.fromkeys(r for alternative in ask.alternatives for r in alternative))
        batches.setdefault((resources, ask.context), set()).add(ask.grant.action)

    def run(batch: tuple[tuple[str, ...], _Context]) -> list[tuple[tuple[str, str, _Context], str]]:
        resources, context = batch
        params: dict[str, Any] = {
            "PolicySourceArn": source,
            "ActionNames": sorted(batches[batch]),
            "MaxItems": PAGE_SIZE,
        }
        if resources != ("*",):
            params["ResourceArns"] = list(resources)
        if context:
            params["ContextEntries"] = [
                {
                    "ContextKeyName": key,
                    "ContextKeyValues": list(values),
                    "ContextKeyType": "stringList" if len(values) > 1 else "string",
                }
                for key, values in context
            ]
        found: list[tuple[tuple[str, str, _Context], str]] = []
        while True:
            page = iam.simulate_principal_policy(**params)
            for result in page.get("EvaluationResults", []):
                found.append(
                    (
                        (str(result.get("EvalActionName")), str(result.get("EvalResourceName") or "*"), context),
                        str(result.get("EvalDecision")),
                    )
                )
            if not page.get("IsTruncated") or not page.get("Marker"):
                return found
            params["Marker"] = page["Marker"]

    decisions: dict[tuple[str, str, _Context], str] = {}
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="hsm-preflight") as pool:
        for found in pool.map(run, list(batches)):
            decisions.update(found)
    return decisions
