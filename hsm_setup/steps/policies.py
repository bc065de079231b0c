"""The expected policy documents, and comparing a live document with one.

Documents are compared parsed, not as text: AWS reorders keys, changes
whitespace and URL-encodes documents, none of which changes what they allow.
Actions are compared by what they allow, as IAM evaluates them: case-insensitively,
with `*` and `?` wildcards, so `cloudhsm:*` covers `cloudhsm:DescribeClusters`
(and not the other way round).
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import unquote

from hsm_setup.assets import read_text
from hsm_setup.json_types import JsonObject

# The guide's three example customer managed policies ("Identity and access management for
# AWS CloudHSM"), chosen with the answers key cloudhsm.policy.
# https://docs.aws.amazon.com/cloudhsm/latest/userguide/identity-access-management.html
POLICY_FILES: dict[str, str] = {
    "admin": "cloudhsm-admin.json",
    "power-user": "cloudhsm-power-user.json",
    "read-only": "cloudhsm-read-only.json",
}
POLICY_CHOICES = tuple(POLICY_FILES)
DEFAULT_POLICY = "admin"
CLOUDHSM_ADMIN = POLICY_FILES[DEFAULT_POLICY]
ADMINISTRATOR_ACCESS_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
# What the AWS managed policy AWSCloudHSMReadOnlyAccess allows: Get* as well as List* and Describe*.
# https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCloudHSMReadOnlyAccess.html
AWS_CLOUDHSM_READ_ONLY_ACTIONS = ("cloudhsm:Get*", "cloudhsm:List*", "cloudhsm:Describe*")


def _file_for(name: str) -> str:
    """A choice (admin, power-user, read-only) or a file name in assets/policies."""
    if name in POLICY_FILES:
        return POLICY_FILES[name]
    if name in POLICY_FILES.values():
        return name
    raise ValueError(f"{name!r} is not one of the guide's example policies: {', '.join(POLICY_CHOICES)}")


def expected(name: str = DEFAULT_POLICY) -> JsonObject:
    """One of the guide's example policies, by choice (admin, power-user, read-only) or file name."""
    document: JsonObject = json.loads(read_text("policies", _file_for(name)))
    return document


def expected_text(name: str = DEFAULT_POLICY) -> str:
    """The document as sent to AWS: compact, stable key order."""
    return json.dumps(expected(name), separators=(",", ":"), sort_keys=True)


def parse(document: object) -> JsonObject | None:
    """A live document as a dict; IAM returns it URL-encoded, sso-admin as JSON text."""
    if isinstance(document, dict):
        return document
    if not isinstance(document, str) or not document.strip():
        return None
    for text in (document, unquote(document)):
        try:
            parsed = json.loads(text)
        except ValueError:
            continue
        return parsed if isinstance(parsed, dict) else None
    return None


# -- actions and wildcards ------------------------------------------------------------------
@lru_cache(maxsize=1024)
def _pattern(action: str) -> re.Pattern[str]:
    """A policy action as a regular expression over other actions or action patterns.

    `*` matches any run of characters; `?` matches one character, but never a `*` of the
    other side, since that `*` stands for any number of characters (Get? does not cover Get*).
    """
    parts = []
    for ch in action.lower():
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(r"[^*]")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.DOTALL)


def covers(patterns: Iterable[str], action: str) -> bool:
    """True when one of `patterns` allows everything `action` (itself possibly a pattern) names."""
    target = action.lower()
    return any(_pattern(p).fullmatch(target) for p in patterns)


def allows(patterns: Iterable[str], action: str) -> bool:
    """True when `patterns` allow the concrete action `action` (e.g. cloudhsm:DescribeClusters)."""
    return covers(patterns, action)


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _actions(statement: JsonObject, key: str) -> list[str]:
    return sorted({str(a).lower() for a in _as_list(statement.get(key))})


def _context(statement: JsonObject) -> str:
    """Everything in a statement except its actions and Sid: what the actions are allowed on, and when."""
    rest: dict[str, object] = {k: v for k, v in statement.items() if k not in ("Sid", "Action", "NotAction")}
    for key in ("Resource", "NotResource"):
        if key in rest:
            rest[key] = sorted({str(r) for r in _as_list(rest[key])})
    rest["kind"] = "NotAction" if "NotAction" in statement else "Action"
    return json.dumps(rest, sort_keys=True)


def _grouped(document: JsonObject) -> dict[str, list[str]]:
    """Action patterns per statement context (effect, resources, conditions); statements that share one merge."""
    groups: dict[str, set[str]] = {}
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict):
            continue
        key = "NotAction" if "NotAction" in statement else "Action"
        groups.setdefault(_context(statement), set()).update(_actions(statement, key))
    return {context: sorted(actions) for context, actions in groups.items()}


def _uncovered(actions: Iterable[str], by: Iterable[str]) -> list[str]:
    wider = list(by)
    return sorted(a for a in actions if not covers(wider, a))


def _same_allowance(have: list[str], want: list[str]) -> bool:
    return not _uncovered(have, want) and not _uncovered(want, have)


def equivalent(live: JsonObject, wanted: JsonObject) -> bool:
    """True when both documents allow (and deny) the same actions on the same resources under the same conditions."""
    have, want = _grouped(live), _grouped(wanted)
    if live.get("Version") != wanted.get("Version") or set(have) != set(want):
        return False
    return all(_same_allowance(have[context], want[context]) for context in want)


def _allowed_actions(document: JsonObject) -> list[str]:
    actions: set[str] = set()
    for statement in _as_list(document.get("Statement")):
        if isinstance(statement, dict) and statement.get("Effect") == "Allow":
            actions.update(_actions(statement, "Action"))
    return sorted(actions)


def differences(live: object, wanted: JsonObject) -> list[str]:
    """What differs between a live document and the expected one; empty when they allow the same."""
    parsed = parse(live)
    if parsed is None:
        return ["the live document is empty or is not JSON"]
    if equivalent(parsed, wanted):
        return []
    problems: list[str] = []
    if parsed.get("Version") != wanted.get("Version"):
        problems.append(f"Version is {parsed.get('Version')!r}, expected {wanted.get('Version')!r}")
    have_actions, want_actions = _allowed_actions(parsed), _allowed_actions(wanted)
    extra = _uncovered(have_actions, want_actions)
    missing = _uncovered(want_actions, have_actions)
    if extra:
        problems.append("allows more than CloudHSM needs: " + ", ".join(extra))
    if missing:
        problems.append("lacks: " + ", ".join(missing))
    if not problems:
        problems.append("its statements differ (conditions, resources or effects)")
    return problems


def document_diff(live: object, wanted: JsonObject) -> tuple[str, ...]:
    """A unified diff from the live document to the wanted one, both laid out the same way, for a plan to show."""
    parsed = parse(live) if live else None
    before = json.dumps(parsed, indent=2, sort_keys=True).splitlines() if parsed is not None else []
    after = json.dumps(wanted, indent=2, sort_keys=True).splitlines()
    return tuple(difflib.unified_diff(before, after, "now", "after apply", lineterm="", n=1))
