"""`hsm-setup --plain`: the six steps as plain prompts, for screen readers, simple terminals and remote sessions.

questionary is imported only here (never by the core); nothing below this package
knows which front end is running.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hsm_setup.aws.connection import Connection

EXIT_USAGE, EXIT_INTERRUPTED = 2, 130


def run_plain(connection: Connection | None, *, scenario: str = "fresh", answers: object = None) -> int:
    """Run the plain prompts. `connection` is None when no --profile/--sandbox/--endpoint-url was given: ask."""
    if not sys.stdin.isatty():
        print("hsm-setup --plain asks questions, and standard input is not a terminal.", file=sys.stderr)
        print(
            "  To set up without prompts, write an answers file and run `hsm-setup apply --config FILE` "
            "(add --yes to apply without confirmation).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from .flow import PlainFlow

    flow = PlainFlow(connection, scenario=scenario, answers=answers)
    try:
        return flow.run()
    except KeyboardInterrupt:
        flow.report_stop()
        return EXIT_INTERRUPTED


__all__ = ["run_plain"]
