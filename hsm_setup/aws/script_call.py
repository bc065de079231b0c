"""A planned AWS call described as data, so a plan can be written as a shell script that runs as it stands.

The text plan shows a change as one AWS CLI command (`Change.call.text()`, the same string `cli()` makes).
`hsm-setup plan --format sh` needs more than that command to be runnable twice with the same outcome:
- how to tell that the change is already made (`done_when`), so a second run skips it;
- which values AWS assigns that later commands use (`learns`: a permission set's ARN, a group's id),
  captured into a shell variable with `--query ... --output text`;
- what to wait for when the call is asynchronous (`waits`: an account assignment, a provisioning);
- a policy document the command reads from a file (`Document`), which the script writes itself.
"""

from __future__ import annotations

import shlex

import msgspec

from hsm_setup.aws.cli_command import command_line


class Document(msgspec.Struct, frozen=True):
    """A JSON document an AWS CLI command reads with `file://name`; the script writes it to a temporary file."""

    name: str
    text: str


class Read(msgspec.Struct, frozen=True):
    """A read-only AWS CLI call whose `--query` prints a value, or nothing/None when there is none."""

    call: Call
    query: str


class Helper(msgspec.Struct, frozen=True):
    """A read the script's prelude defines as a shell function (a lookup the AWS CLI cannot do in one call)."""

    name: str
    args: tuple[Value, ...]


Lookup = Read | Helper


class Learned(msgspec.Struct, frozen=True):
    """A value AWS assigns when an earlier command runs, kept in the shell variable `variable`.

    `shown` is how the text plan shows it (a placeholder); `lookup` finds it once it exists, which is also
    how the script tells the resource is already there.
    """

    variable: str
    shown: str
    lookup: Lookup

    @property
    def placeholder(self) -> str:
        return f"<{self.shown}>"


class Prefixed(msgspec.Struct, frozen=True):
    """A learned value written after a fixed prefix, as in `--member-id UserId=<user id>`."""

    prefix: str
    learned: Learned


Value = str | int | Learned | Prefixed | Document
CallArg = tuple[str, Value] | str


class Call(msgspec.Struct, frozen=True):
    """One AWS CLI command: `aws <service> <command> <args>`."""

    service: str
    command: str
    args: tuple[CallArg, ...] = ()

    def text(self) -> str:
        """The command as a plan shows it: values not known yet as <placeholders>, documents as file://name."""
        return command_line(self.service, self.command, self.args, lambda value: shlex.quote(_shown(value)))


def _shown(value: Value) -> str:
    if isinstance(value, Learned):
        return value.placeholder
    if isinstance(value, Prefixed):
        return value.prefix + value.learned.placeholder
    if isinstance(value, Document):
        return f"file://{value.name}"
    return str(value)


class Wait(msgspec.Struct, frozen=True):
    """An asynchronous call: `query` prints its request id and the prelude's `helper` waits on it."""

    query: str
    helper: str
    args: tuple[Value, ...] = ()


class Change(msgspec.Struct, frozen=True):
    """One changing AWS call of a plan, with what makes it safe to run again.

    - `done_when`: a lookup that prints something once the change is made (the script then skips it);
      with `learns`, its lookup plays that part and `capture` is the `--query` that prints the new value;
    - `marks`: a flag set when the change runs, and `only_if_marked`: run only when an earlier change
      of this run set that flag (provisioning a permission set again after changing its policy).
    """

    call: Call
    done_when: Lookup | None = None
    learns: Learned | None = None
    capture: str = ""
    waits: Wait | None = None
    marks: str = ""
    only_if_marked: str = ""

    def text(self) -> str:
        return self.call.text()
