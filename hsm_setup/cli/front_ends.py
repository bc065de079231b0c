"""What the CLI is handed by the program that starts it: the interactive front ends, and the workshop's settings.

Kept apart from main.py (the parser) so the commands can name them without importing the parser back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import msgspec

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hsm_setup.answers.values import Answers
    from hsm_setup.aws.connection import Connection


class FrontEnd(Protocol):
    """Starts an interactive front end; returns the process exit code."""

    def __call__(self, connection: Connection | None, *, scenario: str, answers: Answers | None) -> int: ...


class WorkshopSettings(msgspec.Struct, frozen=True):
    """The room `hsm-setup workshop` serves: its limits and timings, as the facilitator chose them."""

    seats: int = 20
    port: int = 8000
    host: str = "127.0.0.1"
    scenario: str = "fresh"
    ready: int | None = None  # practice accounts started ahead of arrivals; None: one per seat
    idle_minutes: float = 30.0
    stuck_minutes: float = 10.0


class WorkshopFrontEnd(Protocol):
    """Serves the workshop until it is stopped; returns the process exit code."""

    def __call__(self, settings: WorkshopSettings) -> int: ...


class FrontEnds(msgspec.Struct, frozen=True):
    """The interactive front ends the program offers: handed in, never imported by the core."""

    wizard: FrontEnd
    plain: FrontEnd
    workshop: WorkshopFrontEnd | None = None


__all__ = ["FrontEnd", "FrontEnds", "WorkshopFrontEnd", "WorkshopSettings"]
