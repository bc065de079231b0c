"""The form of an AWS Region's name.

A module of its own, importing nothing else of the answers: the command line checks
--region, AWS_REGION and AWS_DEFAULT_REGION before a front end draws its first frame,
and a mistyped Region must never reach an endpoint that does not exist.
"""

from __future__ import annotations

import re

from hsm_setup.answers.shown import describe

REGION = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")


def region(value: object) -> str | None:
    """None for a Region name (us-east-1, us-gov-west-1, us-isob-east-1), else the reason it is not one."""
    if not isinstance(value, str):
        return f"must be text, got {type(value).__name__}"
    if not REGION.match(value):
        return f"{describe(value)} is not an AWS Region name (e.g. us-east-1, eu-west-2)"
    return None
