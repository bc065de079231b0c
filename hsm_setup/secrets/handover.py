"""Showing a new console password once to the person at the terminal.

A password goes only to a terminal: to standard output when it is one, else to
standard error when that is one. When neither is (CI, output piped into a log),
it is not shown at all, because whatever reads that output may keep it; the step
then stays incomplete and the next apply at a terminal sets a new password and
shows it.
"""

from __future__ import annotations

import sys
from typing import TextIO

from hsm_setup.model import SecretIssued

RULE = "-" * 72


def password_block(secret: SecretIssued) -> list[str]:
    """The lines that show a password, with what to do with it."""
    return [
        RULE,
        f"Console password for IAM user {secret.user_name} (account {secret.account_id}).",
        "It is shown this once and is not saved in any file; copy it now and hand it to the user securely:",
        "",
        f"    {secret.secret}",
        "",
        *secret.notes,
        RULE,
    ]


def terminal_of(out: TextIO, err: TextIO) -> TextIO | None:
    """The stream that is a terminal (standard output first), or None."""
    for stream in (out, err):
        try:
            if stream.isatty():
                return stream
        except (AttributeError, ValueError):
            continue
    return None


def show_on_terminal(secret: SecretIssued, out: TextIO | None = None, err: TextIO | None = None) -> bool:
    """Print the password on the terminal and mark it shown; True when shown."""
    out, err = out or sys.stdout, err or sys.stderr
    terminal = terminal_of(out, err)
    if terminal is None:
        print(not_shown_message(secret), file=err, flush=True)
        return False
    terminal.write("\n".join(password_block(secret)) + "\n")
    terminal.flush()
    secret.mark_shown()
    return True


def not_shown_message(secret: SecretIssued) -> str:
    return (
        f"hsm-setup: the console password of IAM user {secret.user_name} was set but not shown: neither standard output "
        "nor standard error is a terminal, and hsm-setup never writes a password where a log could keep it.\n"
        "  Run `hsm-setup apply` (or `hsm-setup --plain`) in a terminal: it sets a new password and shows it once."
    )
