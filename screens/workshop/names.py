"""What the seat's first screen and the board agree on: the steps' ids and what an attendee's name may be.

Kept free of everything heavy: the seat's first frame imports it.
"""

from __future__ import annotations

import unicodedata

# The steps in the wizard's order (hsm_setup.steps.STEPS; named here so neither the board nor a
# seat's first frame imports the steps, which bring botocore; a test keeps the two lists equal).
STEP_IDS = ("root-user", "identity-center", "admin-user", "permission-sets", "cloudhsm-group", "service-linked-role")
NAME_LIMIT = 40


def tidy_name(name: str) -> str:
    """The name as typed, with runs of spaces made one and none at either end."""
    return " ".join(name.split())


def name_problem(name: str) -> str | None:
    """Why an attendee's name cannot go on the board, or None when it can."""
    name = tidy_name(name)
    if len(name) > NAME_LIMIT:
        return f"name: at most {NAME_LIMIT} characters ({len(name)} typed)"
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        return "name: letters, digits, spaces and punctuation only (no control characters)"
    return None
