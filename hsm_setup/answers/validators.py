"""Validators for every answer. botocore checks only minimum lengths, so the rules
AWS enforces server-side (patterns, maximum lengths, reserved names) live here and
run before any call to AWS.

Each validator takes the raw value and returns None when it is acceptable, or the
reason it is not, phrased to follow the field's key:
    admin.user_name: "Administrator" is reserved in IAM Identity Center
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Callable

Validator = Callable[[Any], "str | None"]

IAM_NAME = re.compile(r"^[\w+=,.@-]+$", re.ASCII)
IDENTITY_CENTER_RESERVED = {"administrator", "awsadministrators"}
# ISO-8601 durations Identity Center accepts for a permission set: PT1H..PT12H.
DURATION = re.compile(r"^PT(?:(\d{1,2})H)?(?:(\d{1,3})M)?$")
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
REGION = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")


def _text(value: Any) -> str | None:
    """The string to validate, or None when the value is not a string at all."""
    return value if isinstance(value, str) else None


def _describe(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else '"' + value.encode("unicode_escape").decode("ascii") + '"'
    return text if len(text) <= 60 else text[:57] + '..."'


def _control_chars(value: str) -> bool:
    # Zl and Zp are line and paragraph separators: a name must stay on one line.
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") for ch in value)


def iam_name(kind: str, max_len: int) -> Validator:
    """An IAM-style name: 1..max_len characters of letters, digits and +=,.@_-."""

    def check(value: Any) -> str | None:
        text = _text(value)
        if text is None:
            return f"must be text, got {type(value).__name__}"
        if not text:
            return f"is empty; a {kind} name needs 1 to {max_len} characters"
        if len(text) > max_len:
            return f"is {len(text)} characters; a {kind} name allows at most {max_len}"
        if not IAM_NAME.match(text):
            return f"{_describe(text)} has characters a {kind} name cannot hold; allowed: letters, digits and + = , . @ _ -"
        return None

    return check


def identity_center_user_name(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return f"must be text, got {type(value).__name__}"
    if not text.strip():
        return "is empty; an Identity Center user name needs 1 to 128 characters"
    if len(text) > 128:
        return f"is {len(text)} characters; an Identity Center user name allows at most 128"
    if _control_chars(text) or any(ch.isspace() for ch in text):
        return f"{_describe(text)} contains spaces or control characters, which a user name cannot hold"
    # Identity Center compares user names case-insensitively, so "administrator" is reserved too.
    if text.lower() in IDENTITY_CENTER_RESERVED:
        return f'"{text}" is reserved in IAM Identity Center; choose another name'
    if not IAM_NAME.match(text):
        return f"{_describe(text)} has characters a user name cannot hold; allowed: letters, digits and + = , . @ _ -"
    return None


def person_name(label: str, max_len: int = 64) -> Validator:
    def check(value: Any) -> str | None:
        text = _text(value)
        if text is None:
            return f"must be text, got {type(value).__name__}"
        if not text.strip():
            return f"is empty; Identity Center requires a {label}"
        if len(text) > max_len:
            return f"is {len(text)} characters; a {label} allows at most {max_len}"
        if _control_chars(text):
            return f"{_describe(text)} contains control characters"
        return None

    return check


def email(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return f"must be text, got {type(value).__name__}"
    if not text:
        return "is empty; give the address the administrator reads"
    if len(text) > 254:
        return f"is {len(text)} characters; an e-mail address allows at most 254"
    if not text.isascii() or not EMAIL.match(text):
        return f"{_describe(text)} is not an e-mail address (name@example.com)"
    return None


def permission_set_name(value: Any) -> str | None:
    return iam_name("permission set", 32)(value)


def session_duration(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return f"must be text, got {type(value).__name__}"
    match = DURATION.match(text)
    if not text or not match or not (match.group(1) or match.group(2)):
        return f"{_describe(text)} is not an ISO-8601 duration; use PT1H to PT12H (e.g. PT4H, PT90M)"
    minutes = int(match.group(1) or 0) * 60 + int(match.group(2) or 0)
    if not 60 <= minutes <= 720:
        return f"{_describe(text)} is outside PT1H to PT12H"
    return None


def region(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return f"must be text, got {type(value).__name__}"
    if not REGION.match(text):
        return f"{_describe(text)} is not an AWS Region name (e.g. us-east-1, eu-west-2)"
    return None


def name_list(item: Validator, what: str, max_items: int = 100) -> Validator:
    def check(value: Any) -> str | None:
        if not isinstance(value, list):
            return f"must be a list of {what}, got {type(value).__name__}"
        if len(value) > max_items:
            return f"lists {len(value)} {what}; at most {max_items}"
        seen: set[str] = set()
        for index, entry in enumerate(value):
            problem = item(entry)
            if problem:
                return f"entry {index + 1} {problem}"
            if entry in seen:
                return f"entry {index + 1} repeats {_describe(entry)}"
            seen.add(entry)
        return None

    return check


def choice(*allowed: str) -> Validator:
    def check(value: Any) -> str | None:
        if value not in allowed:
            return f"{_describe(value)} is not one of: {', '.join(allowed)}"
        return None

    return check
