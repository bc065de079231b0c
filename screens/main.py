"""The program: the core's command line with the two interactive front ends plugged in.

The console script `hsm-setup` starts here rather than in the core, so the core never
imports a front end: it is handed them. The headless commands never import Textual
or questionary; the wizard's imports wait until it is chosen.
"""

from __future__ import annotations

from collections.abc import Sequence

from hsm_setup.cli.front_ends import FrontEnds, WorkshopSettings
from hsm_setup.cli.leaving import leave
from hsm_setup.cli.main import main as core_main


def _wizard(connection, *, scenario, answers):  # type: ignore[no-untyped-def]
    from .app import run_wizard

    return run_wizard(connection, scenario=scenario, answers=answers)


def _plain(connection, *, scenario, answers):  # type: ignore[no-untyped-def]
    from .plain import run_plain

    return run_plain(connection, scenario=scenario, answers=answers)


def _workshop(settings: WorkshopSettings) -> int:
    from .workshop.server import run_workshop

    return run_workshop(settings)


FRONT_ENDS = FrontEnds(wizard=_wizard, plain=_plain, workshop=_workshop)


def main(argv: Sequence[str] | None = None) -> int:
    return core_main(argv, front_ends=FRONT_ENDS)


def run() -> None:
    leave(main())
