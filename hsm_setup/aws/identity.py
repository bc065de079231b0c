"""Who the credentials belong to."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hsm_setup.aws.clients import AwsSession


class Identity(msgspec.Struct, frozen=True):
    """Who the credentials belong to (sts GetCallerIdentity)."""

    account_id: str
    arn: str
    user_id: str

    @property
    def is_root(self) -> bool:
        return self.arn.endswith(":root")


def get_identity(aws: AwsSession) -> Identity:
    response = aws.client("sts").get_caller_identity()
    return Identity(response["Account"], response["Arn"], response["UserId"])
