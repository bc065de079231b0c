"""The practice account behind `--sandbox`: moto's server on 127.0.0.1, corrected
wherever moto differs from AWS in ways the six setup steps can see, seeded with a
scenario, with the console-only actions simulated.

PracticeAccount runs it in the calling process (tests, `sandbox serve`);
process.PracticeAccountProcess runs that in a child process (what `--sandbox` uses).
Importing this package is cheap: PracticeAccount is loaded when first named (PEP 562),
so the CLI, which only starts the child process, never loads the account's modules;
moto is imported when an account starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .catalog import ACCOUNT_ID, SCENARIOS, SIMULATIONS, SandboxError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .account import PracticeAccount


def __getattr__(name: str) -> object:
    if name == "PracticeAccount":
        from .account import PracticeAccount

        return PracticeAccount
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ACCOUNT_ID", "SCENARIOS", "SIMULATIONS", "PracticeAccount", "SandboxError"]
