"""The practice account behind `--sandbox`: moto's server on 127.0.0.1, corrected
wherever moto differs from AWS in ways the six setup steps can see, seeded with a
scenario, with the console-only actions simulated.

PracticeAccount runs it in the calling process (tests, `sandbox serve`);
process.PracticeAccountProcess runs that in a child process (what `--sandbox` uses).
Importing this package is cheap: moto is imported when an account starts.
"""

from __future__ import annotations

from .account import PracticeAccount
from .catalog import ACCOUNT_ID, SCENARIOS, SIMULATIONS, SandboxError
from .serve import serve

__all__ = ["ACCOUNT_ID", "SCENARIOS", "SIMULATIONS", "PracticeAccount", "SandboxError", "serve"]
