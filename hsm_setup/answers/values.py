"""Answers: what the person chose, loaded from an answers file (TOML) or a front end,
validated in full before anything talks to AWS.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec

from hsm_setup.answers.fields import ADMIN_MODES, BY_KEY, FIELDS, INVENTED_EMAIL


class AnswersError(Exception):
    """One or more answers are invalid; `problems` has one line per problem, each naming its key."""

    def __init__(self, problems: list[str], source: str = "") -> None:
        self.problems = problems
        self.source = source
        super().__init__("\n".join(problems))


class Answers(msgspec.Struct, frozen=True):
    """What the person chose; a key not given takes its field's default.

    `practice` says the answers are for the practice account: only there do the answers
    that stand for a person (the administrator's names and e-mail) have a default. On a
    real account they are `missing()` until given, and nothing is made up.
    """

    values: Mapping[str, Any] = msgspec.field(default_factory=dict)
    practice: bool = False

    def __getitem__(self, key: str) -> Any:
        value = self.values.get(key)
        if value is not None and not self._invented(key):
            return value
        return self.default(key)

    def default(self, key: str) -> Any:
        """What `key` is when not given: the practice account's stand-in, a copy of another answer, or the field's default."""
        spec = BY_KEY[key]
        if self.practice and spec.practice_default is not None:
            return copy.copy(spec.practice_default)
        if spec.default_from is not None:
            source = self[spec.default_from]
            return None if source is None else [source]
        return copy.copy(spec.default)

    def _invented(self, key: str) -> bool:
        """A value only the practice account may hold, found in answers for a real account.

        Earlier versions saved the practice account's made-up administrator as if chosen;
        its e-mail (an example.com address, which can never receive mail) gives it away.
        """
        if self.practice or self.values.get("admin.email") != INVENTED_EMAIL:
            return False
        stand_in = BY_KEY[key].practice_default
        return stand_in is not None and self.values.get(key) == stand_in

    def given(self, key: str) -> bool:
        return self.values.get(key) is not None and not self._invented(key)

    def __iter__(self) -> Iterator[str]:
        return iter(BY_KEY)

    def for_account(self, *, practice: bool) -> Answers:
        """These answers for the practice account (practice=True) or a real one."""
        return self if practice == self.practice else Answers(self.values, practice=practice)

    def with_values(self, **changes: Any) -> Answers:
        """A copy with some keys changed; keys use __ for dots (admin__user_name)."""
        return self.replace({k.replace("__", "."): val for k, val in changes.items()})

    def replace(self, updates: Mapping[str, Any]) -> Answers:
        """A copy with `updates` given.

        An answer that follows another one (cloudhsm.members follows admin.user_name) and comes
        back as it was shown keeps following: a form sends every input it shows, and the
        person did not choose that value; they left it alone.
        """
        merged = dict(self.values)
        merged.update({key: value for key, value in updates.items() if not (self._derived(key) and value == self[key])})
        return Answers(merged, practice=self.practice)

    def _mode(self) -> str | None:
        mode = self["admin.mode"]
        return mode if mode in ADMIN_MODES else None

    def problems(self) -> list[str]:
        """One line per invalid answer. Fields the chosen admin.mode does not use are not held against it,
        and admin.user_name follows that mode's rules (an Identity Center or an IAM user name).
        An answer not given is not a problem here: see missing()."""
        mode = self._mode()
        return [
            msg
            for f in FIELDS
            if f.applies_to(mode)
            and not self._derived(f.key)
            and (value := self[f.key]) is not None
            and (msg := f.error(value, mode=mode))
        ]

    def _derived(self, key: str) -> bool:
        """True when `key` takes its value from another answer (it is judged, and saved, through that one)."""
        return BY_KEY[key].default_from is not None and not self.given(key)

    def missing(self, step_id: str | None = None) -> list[str]:
        """The keys plan and apply need that nobody gave: the administrator's identity, on a real account.

        Keys the chosen admin.mode does not use are not missing (IAM mode needs no e-mail). With
        `step_id`, the keys that step's answers need, including those its defaults follow
        (permission-sets' members follow admin.user_name).
        """
        mode = self._mode()
        keys: list[str] = []
        for f in FIELDS:
            if not f.applies_to(mode) or (step_id is not None and f.step != step_id) or self[f.key] is not None:
                continue
            if f.required:
                keys.append(f.key)
            elif f.default_from is not None and BY_KEY[f.default_from].required:
                keys.append(f.default_from)
        return list(dict.fromkeys(keys))

    def missing_messages(self, step_id: str | None = None) -> list[str]:
        """One line per missing key (of one step, with `step_id`), naming it and how to give it."""
        lines = []
        for key in self.missing(step_id):
            spec = BY_KEY[key]
            if self.values.get(key) is not None:  # given, but the practice account's stand-in
                lines.append(
                    f"{key}: {self.values[key]!r} is the practice account's made-up value; on a real account "
                    f"give the administrator's own {spec.label.lower()}"
                )
            else:
                lines.append(spec.missing_message())
        return lines

    def validated(self) -> Answers:
        problems = self.problems()
        if problems:
            raise AnswersError(problems)
        return self

    def to_flat(self) -> dict[str, Any]:
        """Every answer that has a value (given or default), to save or write.

        Left out: answers not given that have no default (nothing is made up), and answers that
        follow another one (cloudhsm.members follows admin.user_name until someone sets it).
        """
        flat = {key: self[key] for key in BY_KEY if not self._derived(key)}
        return {key: value for key, value in flat.items() if value is not None}

    def to_nested(self) -> dict[str, Any]:
        """The answers-file layout: top-level keys, then [admin], [cloudhsm] and [identity_center] tables."""
        nested: dict[str, Any] = {}
        for key, value in self.to_flat().items():
            parts = key.split(".")
            target = nested
            for part in parts[:-1]:
                target = target.setdefault(part, {})
            target[parts[-1]] = value
        return nested


def defaults(*, practice: bool = False) -> Answers:
    """No answer given: every key at its default (the practice account's stand-ins with practice=True)."""
    return Answers({}, practice=practice)


def _take(flat: dict[str, Any], problems: list[str], key: str, value: Any) -> None:
    """One value from the answers-file layout: a null written there is a wrong type, not a key left out."""
    if value is None:
        problems.append(f"{key}: {BY_KEY[key].validate(value)}")
    else:
        flat[key] = value


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
                    _take(flat, problems, key, sub_value)
        elif name in BY_KEY:
            _take(flat, problems, name, value)
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
