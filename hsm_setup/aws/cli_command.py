"""How an AWS call reads as an AWS CLI command: plans, teardown and hand-offs show changes this way."""

from __future__ import annotations

import shlex

# A flag and its value, or a bare flag ("--set-as-default").
CliArg = tuple[str, object] | str


def cli(service: str, command: str, *args: CliArg) -> str:
    """Render an AWS CLI command, quoting values the way a shell needs.

    cli("iam", "create-group", ("--group-name", "Admins")) ->
        aws iam create-group --group-name Admins
    """
    parts = ["aws", service, command]
    for arg in args:
        if isinstance(arg, tuple):
            flag, value = arg
            parts.append(flag)
            parts.append(shlex.quote(str(value)))
        else:
            parts.append(arg)
    return " ".join(parts)
