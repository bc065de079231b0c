"""How an AWS call reads as an AWS CLI command: plans, teardown and hand-offs show changes this way."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable
from typing import TypeVar

# A flag and its value, or a bare flag ("--set-as-default").
CliArg = tuple[str, object] | str
V = TypeVar("V")


def cli(service: str, command: str, *args: CliArg) -> str:
    """Render an AWS CLI command, quoting values the way a shell needs.

    cli("iam", "create-group", ("--group-name", "Admins")) ->
        aws iam create-group --group-name Admins
    """
    return command_line(service, command, args, lambda value: shlex.quote(str(value)))


def command_line(service: str, command: str, args: Iterable[tuple[str, V] | str], show: Callable[[V], str]) -> str:
    """`aws <service> <command>` and its flags, each value as `show` gives it (quoted for a shell):
    plans show values not known yet as placeholders, the plan script as shell variables."""
    parts = ["aws", service, command]
    for arg in args:
        if isinstance(arg, tuple):
            flag, value = arg
            parts += [flag, show(value)]
        else:
            parts.append(arg)
    return " ".join(parts)
