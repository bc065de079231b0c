"""What the core needs of a practice account, without importing it.

The practice account (hsm_setup.sandbox) is built on the core, so the core only
names the shape it uses; the program's entry points hand a starter in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class PracticeAccount(Protocol):
    """A running practice account: where to reach it, its console stand-ins, its scenarios."""

    def connection_overrides(self) -> dict[str, Any]: ...

    def simulate(self, name: str, region: str | None = None) -> str: ...

    def describe_simulation(self, name: str) -> str: ...

    def reset(self, scenario: str | None = None) -> None: ...

    def stop(self) -> None: ...


# Starts a practice account on a scenario ("fresh", "partial", ...) and returns it running.
StartPractice = Callable[[str], PracticeAccount]
