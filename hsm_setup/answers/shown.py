"""How a rejected value is shown in a message: quoted, invisible characters escaped, at most 60 characters."""

from __future__ import annotations


def describe(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else '"' + value.encode("unicode_escape").decode("ascii") + '"'
    return text if len(text) <= 60 else text[:57] + '..."'
