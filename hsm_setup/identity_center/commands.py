"""How plans show Identity Center calls as AWS CLI commands."""

from __future__ import annotations

import json
import re

from hsm_setup.aws.cli_command import CliArg, cli
from hsm_setup.aws.script_call import Call, Helper, Learned, Read
from hsm_setup.aws.script_call import CallArg as ScriptArg
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


# -- the same calls described as data, for `plan --format sh` (hsm_setup.aws.script_call) ---------------
def sso_call(ic: IdentityCenter, command: str, *args: ScriptArg) -> Call:
    return Call("sso-admin", command, (("--region", ic.region), ("--instance-arn", ic.instance_arn), *args))


def store_call(ic: IdentityCenter, command: str, *args: ScriptArg) -> Call:
    return Call(
        "identitystore", command, (("--region", ic.region), ("--identity-store-id", ic.identity_store_id), *args)
    )


def _unique(path: str, value: str) -> str:
    return as_json({"UniqueAttribute": {"AttributePath": path, "AttributeValue": value}})


def shell_name(text: str) -> str:
    """`text` as the tail of a shell variable's name."""
    return re.sub(r"[^A-Za-z0-9]", "_", text).upper()


def user_id(ic: IdentityCenter, user_name: str) -> Learned:
    """The id of the Identity Center user `user_name` (identitystore GetUserId)."""
    lookup = Read(store_call(ic, "get-user-id", ("--alternate-identifier", _unique("userName", user_name))), "UserId")
    return Learned(f"USER_ID_{shell_name(user_name)}", f"user id of {user_name}", lookup)


def group_id(ic: IdentityCenter, group_name: str) -> Learned:
    """The id of the Identity Center group `group_name` (identitystore GetGroupId)."""
    lookup = Read(
        store_call(ic, "get-group-id", ("--alternate-identifier", _unique("displayName", group_name))), "GroupId"
    )
    return Learned(f"GROUP_ID_{shell_name(group_name)}", f"group id of {group_name}", lookup)


def permission_set_arn(ic: IdentityCenter, name: str) -> Learned:
    """The ARN of the permission set `name`: sso-admin has no lookup by name, the script's prelude lists them."""
    lookup = Helper("permission_set_arn", (ic.region, ic.instance_arn, name))
    return Learned(f"PERMISSION_SET_{shell_name(name)}", f"ARN of permission set {name}", lookup)


def known(value: str | None, learned: Learned) -> str | Learned:
    """The value when the plan knows it already, else what the script learns when it runs."""
    return value if value else learned
