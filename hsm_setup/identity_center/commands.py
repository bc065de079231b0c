"""How plans show Identity Center calls as AWS CLI commands."""

from __future__ import annotations

import json

from hsm_setup.aws.cli_command import CliArg, cli
from hsm_setup.identity_center.instance import IdentityCenter


def sso_cli(ic: IdentityCenter | None, region: str, command: str, *args: CliArg) -> str:
    base: list[CliArg] = [("--region", region)]
    if ic is not None:
        base.append(("--instance-arn", ic.instance_arn))
    return cli("sso-admin", command, *base, *args)


def store_cli(ic: IdentityCenter, command: str, *args: CliArg) -> str:
    return cli("identitystore", command, ("--region", ic.region), ("--identity-store-id", ic.identity_store_id), *args)


def as_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def placeholder(what: str) -> str:
    """A value the plan cannot know yet (an id AWS assigns when an earlier action runs)."""
    return f"<{what}>"
