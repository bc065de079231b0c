"""sts: who the practice credentials belong to (moto answers `user/moto` in the sts namespace)."""

from __future__ import annotations

from ..catalog import CALLER_USER_NAME
from ..exchange import Exchange
from ..wire import Reply

SERVICE = "sts"

# The practice IAM user's unique id (AWS user ids start with AIDA).
CALLER_USER_ID = "AIDAPRACTICEADMIN0001"


def caller_arn(account_id: str, caller: str) -> str:
    if caller == "root":
        return f"arn:aws:iam::{account_id}:root"
    return f"arn:aws:iam::{account_id}:user/{CALLER_USER_NAME}"


def get_caller_identity(x: Exchange) -> Reply:
    account = x.world.account_id
    user_id = account if x.world.caller == "root" else CALLER_USER_ID
    return x.result({"UserId": user_id, "Account": account, "Arn": caller_arn(account, x.world.caller)})


HANDLERS = {"GetCallerIdentity": get_caller_identity}
