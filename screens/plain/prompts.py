"""The questionary calls of the plain front end, in one place.

Every field comes from the core (hsm_setup.fields / hsm_setup.credentials) and is
rendered here with its own validator, so a value the Textual wizard refuses is
refused here with the same message. `unsafe_ask` lets Ctrl-C arrive as
KeyboardInterrupt, which the flow turns into a clean stop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import questionary

from hsm_setup.answers.fields import Field
from hsm_setup.organizations.choices import AccountPicker

# The type of the values a choice returns.
T = TypeVar("T")


def _validator(field: Field, mode: str | None = None):
    def validate(raw: str) -> bool | str:
        return field.error(field.parse(raw), mode=mode) or True

    return validate


def ask_field(field: Field, current: object, mode: str | None = None) -> Any:
    """Ask one field, showing its current value as the default; returns the parsed, valid value.

    `mode` is the chosen admin.mode: a field whose rule depends on it (admin.user_name) is checked by that mode's rule.
    """
    message = f"{field.label}:"
    instruction = f"({field.help})" if field.help else None
    if field.kind == "secret":
        raw = questionary.password(message, validate=_validator(field, mode), instruction=instruction).unsafe_ask()
    elif field.kind == "choice" and field.choices:
        options = [questionary.Choice(title=field.described(choice), value=choice) for choice in field.choices]
        shown = field.format(current)
        raw = questionary.select(
            message, choices=options, default=next((o for o in options if o.value == shown), None)
        ).unsafe_ask()
    else:
        raw = questionary.text(
            message, default=field.format(current), validate=_validator(field, mode), instruction=instruction
        ).unsafe_ask()
    return field.parse(raw or "")


def ask_accounts(field: Field, current: Sequence[str], picker: AccountPicker) -> list[str]:
    """Target accounts from the organization: a checkbox list, typed to search, with what a choice covers."""
    this = picker.caller.account_id
    chosen = {this if item == "this" else item for item in current}
    options = [
        questionary.Choice(
            choice.label + (" (this account)" if choice.value == this else ""),
            value=choice.value,
            checked=choice.value in chosen,
            disabled=choice.disabled,
        )
        for choice in picker.choices
    ]

    def validate(selected: list[str]) -> bool | str:
        if not selected:
            return "Choose at least one account, OU or the root."
        summary = picker.summary(selected)
        return True if " chosen" in summary else summary

    selected = questionary.checkbox(
        f"{field.label} (type to search; space to choose; Enter when done):",
        choices=options,
        validate=validate,
        use_search_filter=True,
        use_jk_keys=False,
        instruction=None,
    ).unsafe_ask()
    values = ["this" if value == this else value for value in selected]
    print(f"  {picker.summary(selected)}.")
    return values


def choose(message: str, choices: Sequence[tuple[str, T] | tuple[str, T, str | None]], default: T | None = None) -> T:
    """One choice among (title, value) pairs; returns the value.

    A third item, when not None, greys the choice out with that reason (questionary
    shows it beside the title and skips it).
    """
    options = []
    for title, value, *reason in choices:
        options.append(questionary.Choice(title, value=value, disabled=reason[0] if reason else None))
    chosen_default = next((o for o in options if o.value == default and not o.disabled), None)
    return questionary.select(message, choices=options, default=chosen_default).unsafe_ask()


def secret(message: str, check: Callable[[str], str | None], instruction: str | None = None) -> str:
    """A masked answer (an MFA code); `check` says why a typed value cannot be right, or None."""
    raw = questionary.password(message, validate=lambda text: check(text) or True, instruction=instruction).unsafe_ask()
    return str(raw or "")


def confirm(message: str, default: bool = False) -> bool:
    return bool(questionary.confirm(message, default=default).unsafe_ask())
