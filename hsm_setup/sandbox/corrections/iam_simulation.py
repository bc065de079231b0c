"""iam SimulatePrincipalPolicy, which moto does not implement, from the same evaluation the
practice account enforces requests with (policy_evaluation), so a pre-flight that passes
here is followed by requests that pass.

AWS: https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
(one result per action and resource; the policies of a user include its groups'; the
source may be a user, a group or a role, never root or a role session).
"""

from __future__ import annotations

import re
from typing import Any

from ..authorization import policy_sources
from ..exchange import Exchange
from ..policy_evaluation import PolicySource, evaluate, parse_document
from ..wire import Reply

SERVICE = "iam"
_ENTITY_ARN = re.compile(r"^arn:[\w-]+:iam::\d{12}:(user|group|role)/(?:.*/)?([\w+=,.@-]+)$")
DEFAULT_MAX_ITEMS = 100


def members(params: dict[str, Any], name: str) -> list[str]:
    """A query-protocol list (`Name.member.1`, `Name.member.2`, ...) in order."""
    found: dict[int, str] = {}
    prefix = f"{name}.member."
    for key, value in params.items():
        rest = key[len(prefix) :] if key.startswith(prefix) else ""
        if rest.isdigit():
            found[int(rest)] = str(value)
    return [found[i] for i in sorted(found)]


def context_entries(params: dict[str, Any]) -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {}
    index = 1
    while f"ContextEntries.member.{index}.ContextKeyName" in params:
        base = f"ContextEntries.member.{index}"
        entries[str(params[f"{base}.ContextKeyName"])] = members(params, f"{base}.ContextKeyValues")
        index += 1
    return entries


def simulate_principal_policy(x: Exchange) -> Reply:
    params = x.call.params
    source = str(params.get("PolicySourceArn", ""))
    actions = members(params, "ActionNames")
    resources = members(params, "ResourceArns")
    matched = _ENTITY_ARN.match(source)
    if not matched:
        return x.error("InvalidInput", f"Invalid ARN: {source} is not the ARN of an IAM user, group or role.")
    if not actions:
        return x.error(
            "ValidationError",
            "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null",
        )
    try:
        sources = policy_sources(source)
    except KeyError:
        kind, name = matched.groups()
        return x.error("NoSuchEntity", f"The {kind} with name {name} cannot be found.", 404)
    sources += [
        PolicySource(f"PolicyInputList.{i}", "none", parse_document(text))
        for i, text in enumerate(members(params, "PolicyInputList"), 1)
    ]
    kind, name = matched.groups()
    variables = {"aws:username": name} if kind == "user" else {}
    context = context_entries(params)
    results = []
    for action in actions:
        for resource in resources or ["*"]:
            evaluation = evaluate(sources, action, resource, context, variables)
            statements = [
                {"SourcePolicyId": policy.policy_id, "SourcePolicyType": policy.policy_type}
                for policy, _ in evaluation.matched
            ]
            result: dict[str, Any] = {
                "EvalActionName": action,
                "EvalResourceName": resource,
                "EvalDecision": evaluation.decision,
                "MatchedStatements": statements,
                "MissingContextValues": evaluation.missing_context,
            }
            if resources:
                result["ResourceSpecificResults"] = [
                    {
                        "EvalResourceName": resource,
                        "EvalResourceDecision": evaluation.decision,
                        "MatchedStatements": statements,
                        "MissingContextValues": evaluation.missing_context,
                    }
                ]
            results.append(result)
    start = int(str(params.get("Marker") or 0)) if str(params.get("Marker") or "0").isdigit() else 0
    size = int(str(params.get("MaxItems") or DEFAULT_MAX_ITEMS))
    page = results[start : start + size]
    data: dict[str, Any] = {"EvaluationResults": page, "IsTruncated": start + size < len(results)}
    if data["IsTruncated"]:
        data["Marker"] = str(start + size)
    return x.result(data)


HANDLERS = {"SimulatePrincipalPolicy": simulate_principal_policy}
