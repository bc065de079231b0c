"""IAM's evaluation of identity-based policies, for the practice account's enforcement and
its iam SimulatePrincipalPolicy: one evaluation, so the pre-flight and the requests agree.

It follows "Policy evaluation logic" for a principal in its own account
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
an explicit Deny wins, else an Allow that matches the action, the resource and every
condition, else an implicit deny. moto's own evaluation compares every resource with `*`
(so any statement scoped to a resource never allows anything) and knows few condition
operators; this one matches resources and the conditions hsm-setup's policy uses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

ALLOWED = "allowed"
EXPLICIT_DENY = "explicitDeny"
IMPLICIT_DENY = "implicitDeny"
_VARIABLE = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class PolicySource:
    """One policy that applies to a principal: where it comes from, and its document."""

    policy_id: str  # the inline policy's name or the managed policy's ARN
    policy_type: (
        str  # user | group | role | aws-managed | user-managed | none (SimulatePrincipalPolicy's SourcePolicyType)
    )
    document: Mapping[str, Any]


@dataclass
class Evaluation:
    decision: str
    matched: list[tuple[PolicySource, str]] = field(default_factory=list)  # (policy, Sid)
    missing_context: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED


def parse_document(text: Any) -> dict[str, Any]:
    """A policy document as IAM keeps it: JSON, sometimes URL-encoded."""
    if isinstance(text, Mapping):
        return dict(text)
    raw = str(text)
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = json.loads(unquote(raw))
    return parsed if isinstance(parsed, dict) else {}


def evaluate(
    sources: Iterable[PolicySource],
    action: str,
    resource: str,
    context: Mapping[str, list[str]] | None = None,
    variables: Mapping[str, str] | None = None,
) -> Evaluation:
    """Whether the policies allow `action` on `resource` with this request context."""
    context = {k.lower(): v for k, v in (context or {}).items()}
    variables = {k.lower(): v for k, v in (variables or {}).items()}
    allows: list[tuple[PolicySource, str]] = []
    denies: list[tuple[PolicySource, str]] = []
    missing: set[str] = set()
    for source in sources:
        for statement in _statements(source.document):
            if not _applies(statement, action, resource, variables):
                continue
            ok, absent = _conditions_hold(statement.get("Condition") or {}, context)
            missing.update(absent)
            if not ok:
                continue
            target = denies if str(statement.get("Effect")) == "Deny" else allows
            target.append((source, str(statement.get("Sid") or "")))
    if denies:
        return Evaluation(EXPLICIT_DENY, denies, sorted(missing))
    if allows:
        return Evaluation(ALLOWED, allows, [])
    return Evaluation(IMPLICIT_DENY, [], sorted(missing))


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else [s for s in statements if isinstance(s, Mapping)]


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _applies(statement: Mapping[str, Any], action: str, resource: str, variables: Mapping[str, str]) -> bool:
    if "NotAction" in statement:
        if any(_matches(p, action, ignore_case=True) for p in _listed(statement["NotAction"])):
            return False
    elif not any(_matches(p, action, ignore_case=True) for p in _listed(statement.get("Action"))):
        return False
    if "NotResource" in statement:
        patterns = [_substitute(p, variables) for p in _listed(statement["NotResource"])]
        return not any(p is not None and _matches(p, resource) for p in patterns)
    patterns = [_substitute(p, variables) for p in _listed(statement.get("Resource"))]
    return any(p is not None and _matches(p, resource) for p in patterns)


def _substitute(pattern: str, variables: Mapping[str, str]) -> str | None:
    """Policy variables (${aws:username}) filled in; None when one has no value (the element matches nothing)."""
    unknown = False

    def value(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1)
        if name in ("*", "?", "$"):
            return name
        found = variables.get(name.lower())
        if found is None:
            unknown = True
            return ""
        return found

    filled = _VARIABLE.sub(value, pattern)
    return None if unknown else filled


@lru_cache(maxsize=4096)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.compile("^" + "".join(parts) + "$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return bool(_compiled(pattern, ignore_case).match(value))


# -- conditions ------------------------------------------------------------------------------
def _conditions_hold(block: Mapping[str, Any], context: Mapping[str, list[str]]) -> tuple[bool, list[str]]:
    """(every condition holds, the context keys a condition needed and the request did not carry)."""
    missing: list[str] = []
    for operator, tests in block.items():
        if not isinstance(tests, Mapping):
            return False, missing
        for key, expected in tests.items():
            held, absent = _condition(str(operator), str(key), _listed(expected), context.get(str(key).lower()))
            if absent:
                missing.append(str(key))
            if not held:
                return False, missing
    return True, missing


def _condition(operator: str, key: str, expected: list[str], actual: list[str] | None) -> tuple[bool, bool]:
    """(the condition holds, the key was missing)."""
    if_exists = operator.endswith("IfExists")
    base = operator[: -len("IfExists")] if if_exists else operator
    qualifier, _, base = base.rpartition(":")
    if base == "Null":
        return (expected[0].lower() == "true") != (actual is not None), False
    positive = _NEGATED.get(base)
    if actual is None:
        # A missing key: positive operators fail, negated ones hold ("...IfExists" always holds).
        holds = if_exists or positive is not None
        return holds, not holds
    compare = _COMPARE.get(positive or base)
    if compare is None:
        return False, False  # an operator this evaluation does not know never grants anything
    if positive is not None:
        return not any(compare(e, a) for e in expected for a in actual), False
    if qualifier == "ForAllValues":
        return all(any(compare(e, a) for e in expected) for a in actual), False
    return any(compare(e, a) for e in expected for a in actual), False


def _like(pattern: str, value: str) -> bool:
    return _matches(pattern, value)


_COMPARE = {
    "StringEquals": lambda e, a: e == a,
    "StringEqualsIgnoreCase": lambda e, a: e.lower() == a.lower(),
    "StringLike": _like,
    "ArnEquals": _like,
    "ArnLike": _like,
    "Bool": lambda e, a: e.lower() == a.lower(),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}
