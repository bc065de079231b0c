"""How a message shows what it names: a rejected value quoted, invisible characters escaped, at most 60 characters;
a list of things in words ("a, b and c")."""

from __future__ import annotations

from collections.abc import Sequence


def describe(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else '"' + value.encode("unicode_escape").decode("ascii") + '"'
    return text if len(text) <= 60 else text[:57] + '..."'


def in_words(parts: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
