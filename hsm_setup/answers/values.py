"""Answers: what the person chose, loaded from an answers file (TOML) or a front end,
validated in full before anything talks to AWS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from hsm_setup.answers.fields import ADMIN_MODES, BY_KEY, FIELDS


class AnswersError(Exception):
    """One or more answers are invalid; `problems` has one line per problem, each naming its key."""

    def __init__(self, problems: list[str], source: str = "") -> None:
        self.problems = problems
        self.source = source
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Answers:
    values: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        if key in self.values:
            return self.values[key]
        return BY_KEY[key].default

    def __iter__(self) -> Iterator[str]:
        return iter(BY_KEY)

    def with_values(self, **changes: Any) -> "Answers":
        """A copy with some keys changed; keys use __ for dots (admin__user_name)."""
        merged = dict(self.values)
        merged.update({k.replace("__", "."): val for k, val in changes.items()})
        return Answers(merged)

    def replace(self, updates: Mapping[str, Any]) -> "Answers":
        merged = dict(self.values)
        merged.update(updates)
        return Answers(merged)

    def problems(self) -> list[str]:
        """One line per invalid answer. Fields the chosen admin.mode does not use are not held against it,
        and admin.user_name follows that mode's rules (an Identity Center or an IAM user name)."""
        mode = self["admin.mode"]
        rules_mode = mode if mode in ADMIN_MODES else None
        return [msg for f in FIELDS if f.applies_to(rules_mode) and (msg := f.error(self[f.key], mode=rules_mode))]

    def validated(self) -> "Answers":
        problems = self.problems()
        if problems:
            raise AnswersError(problems)
        return self

    def to_flat(self) -> dict[str, Any]:
        return {key: self[key] for key in BY_KEY}

    def to_nested(self) -> dict[str, Any]:
        """The answers-file layout: top-level keys, then [admin] and [cloudhsm] tables."""
        nested: dict[str, Any] = {}
        for key in BY_KEY:
            parts = key.split(".")
            target = nested
            for part in parts[:-1]:
                target = target.setdefault(part, {})
            target[parts[-1]] = self[key]
        return nested


def defaults() -> Answers:
    return Answers({})


def from_nested(data: Mapping[str, Any]) -> Answers:
    """Answers from the answers-file layout; every problem is reported, not just the first."""
    problems: list[str] = []
    flat: dict[str, Any] = {}
    sections = {f.section for f in FIELDS if f.section}
    for name, value in data.items():
        if name in sections:
            if not isinstance(value, Mapping):
                problems.append(f"{name}: must be a table ([{name}]), got {type(value).__name__}")
                continue
            for sub, sub_value in value.items():
                key = f"{name}.{sub}"
                if key not in BY_KEY:
                    known = ", ".join(f.name for f in FIELDS if f.section == name)
                    problems.append(f"{key}: unknown key; [{name}] takes {known}")
                else:
                    flat[key] = sub_value
        elif name in BY_KEY:
            flat[name] = value
        else:
            known = ", ".join(sorted({f.section or f.key for f in FIELDS}))
            problems.append(f"{name}: unknown key; the answers file takes {known}")
    answers = Answers(flat)
    problems.extend(answers.problems())
    if problems:
        raise AnswersError(problems)
    return answers


def load_file(path: str | Path) -> Answers:
    """Read and validate an answers file. Raises AnswersError with one line per problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise AnswersError([f"--config: {path} does not exist"], str(path)) from None
    except OSError as exc:
        raise AnswersError([f"--config: cannot read {path}: {exc.strerror}"], str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise AnswersError([f"--config: {path} is not UTF-8 text"], str(path)) from None
    import tomllib  # only an answers file needs the TOML parser (~15 ms to import)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AnswersError([f"--config: {path} is not valid TOML: {exc}"], str(path)) from None
    try:
        return from_nested(data)
    except AnswersError as exc:
        exc.source = str(path)
        raise


def to_toml(answers: Answers) -> str:
    """Write answers in the answers-file layout (strings and lists of strings only)."""

    def fmt(value: Any) -> str:
        if isinstance(value, list):
            return "[" + ", ".join(fmt(item) for item in value) + "]"
        # A JSON string is a valid TOML basic string, escapes included.
        return json.dumps(str(value), ensure_ascii=False)

    lines: list[str] = []
    nested = answers.to_nested()
    for key, value in nested.items():
        if not isinstance(value, dict):
            lines.append(f"{key} = {fmt(value)}")
    for key, value in nested.items():
        if isinstance(value, dict):
            lines.append("")
            lines.append(f"[{key}]")
            lines.extend(f"{sub} = {fmt(sub_value)}" for sub, sub_value in value.items())
    return "\n".join(lines) + "\n"
