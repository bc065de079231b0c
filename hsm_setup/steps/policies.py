"""The expected policy documents, and comparing a live document with one.

Documents are compared parsed, not as text: AWS reorders keys, changes
whitespace and URL-encodes documents, none of which changes what they allow.
Action lists are compared as sets, case-insensitively, as IAM evaluates them.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from hsm_setup.assets import read_text

CLOUDHSM_ADMIN = "cloudhsm-admin.json"
ADMINISTRATOR_ACCESS_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def expected(name: str = CLOUDHSM_ADMIN) -> dict[str, Any]:
    return json.loads(read_text("policies", name))


def expected_text(name: str = CLOUDHSM_ADMIN) -> str:
    """The document as sent to AWS: compact, stable key order."""
    return json.dumps(expected(name), separators=(",", ":"), sort_keys=True)


def parse(document: Any) -> dict[str, Any] | None:
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


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _normal_statement(statement: dict[str, Any]) -> dict[str, Any]:
    normal: dict[str, Any] = {}
    for key, value in statement.items():
        if key == "Sid":
            continue  # a statement id does not change what a policy allows
        if key in ("Action", "NotAction"):
            normal[key] = sorted({str(a).lower() for a in _as_list(value)})
        elif key in ("Resource", "NotResource"):
            normal[key] = sorted({str(r) for r in _as_list(value)})
        else:
            normal[key] = value
    return normal


def normalize(document: dict[str, Any]) -> dict[str, Any]:
    statements = [_normal_statement(s) for s in _as_list(document.get("Statement")) if isinstance(s, dict)]
    statements.sort(key=lambda s: json.dumps(s, sort_keys=True))
    return {"Version": document.get("Version"), "Statement": statements}


def differences(live: Any, wanted: dict[str, Any]) -> list[str]:
    """What differs between a live document and the expected one; empty when they are equivalent."""
    parsed = parse(live)
    if parsed is None:
        return ["the live document is empty or is not JSON"]
    have, want = normalize(parsed), normalize(wanted)
    if have == want:
        return []
    problems: list[str] = []
    if have["Version"] != want["Version"]:
        problems.append(f'Version is {have["Version"]!r}, expected {want["Version"]!r}')
    have_actions = _allowed_actions(have)
    want_actions = _allowed_actions(want)
    extra = sorted(have_actions - want_actions)
    missing = sorted(want_actions - have_actions)
    if extra:
        problems.append("allows more than CloudHSM needs: " + ", ".join(extra))
    if missing:
        problems.append("lacks: " + ", ".join(missing))
    if not problems:
        problems.append("its statements differ (conditions, resources or effects)")
    return problems


def _allowed_actions(document: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for statement in document["Statement"]:
        if statement.get("Effect") == "Allow":
            actions.update(statement.get("Action", []))
    return actions
