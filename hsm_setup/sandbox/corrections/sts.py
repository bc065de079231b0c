"""sts, as AWS answers it for the practice account.

- GetCallerIdentity: moto answers `user/moto` for any key; the practice credentials
  belong to practice-admin (or root), a role session's key to its assumed role, and an
  IAM user's own key to that user.
- AssumeRole: moto ignores SerialNumber and TokenCode. AWS checks the code against the
  caller's MFA device and refuses a role whose trust policy requires MFA without one
  ("Configuring MFA-protected API access",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html).
  Virtual MFA devices are moto's (iam CreateVirtualMFADevice, EnableMFADevice), with
  their seed as the TOTP secret, so a device made through the API works too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .. import backends
from ..catalog import ACCESS_KEY_ID, CALLER_USER_NAME
from ..exchange import Exchange
from ..wire import Reply

SERVICE = "sts"

# The practice IAM user's unique id (AWS user ids start with AIDA).
CALLER_USER_ID = "AIDAPRACTICEADMIN0001"

# AWS's words, as the AWS CLI and SDKs show them (AccessDenied, HTTP 403).
MFA_BOTH_NEEDED = "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code."
MFA_UNKNOWN_DEVICE = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  "
    "Please verify your MFA serial number is valid and associated with this user."
)
MFA_WRONG_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code. "


def caller_arn(account_id: str, caller: str) -> str:
    if caller == "root":
        return f"arn:aws:iam::{account_id}:root"
    return f"arn:aws:iam::{account_id}:user/{CALLER_USER_NAME}"


@dataclass(frozen=True)
class Caller:
    arn: str
    user_id: str
    account: str
    user_name: str | None  # the IAM user, when the caller is one


def caller_of(x: Exchange) -> Caller:
    """Who signed the request: a role session (by its access key), else the practice credentials' owner."""
    role = assumed_role_of(x.call.access_key) if x.call.access_key else None
    if role is not None:
        return Caller(role.arn, role.user_id, role.account_id, None)
    account = x.world.account_id
    # An IAM user's own access key (made with iam CreateAccessKey): that user, as in AWS.
    user = (
        backends.iam().get_user_from_access_key_id(x.call.access_key)
        if x.call.access_key not in ("", ACCESS_KEY_ID)
        else None
    )
    if user is not None:
        return Caller(user.arn, user.id, account, user.name)
    if x.world.caller == "root":
        return Caller(caller_arn(account, "root"), account, account, None)
    return Caller(caller_arn(account, "user"), CALLER_USER_ID, account, CALLER_USER_NAME)


def assumed_role_of(access_key: str) -> Any:
    """The role session an access key belongs to: moto keeps it in the account of the role (a member
    account's role session lives in that member account's backend)."""
    role = backends.sts().get_assumed_role_from_access_key(access_key)
    if role is None and access_key.startswith("ASIA"):
        from moto.iam.models import get_account_id_from
        from moto.sts.models import sts_backends

        account = get_account_id_from(access_key)
        if account != backends.ACCOUNT_ID:
            role = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key)
    return role


def get_caller_identity(x: Exchange) -> Reply:
    caller = caller_of(x)
    return x.result({"UserId": caller.user_id, "Account": caller.account, "Arn": caller.arn})


def assume_role(x: Exchange) -> Reply | None:
    serial = x.call.param("SerialNumber")
    code = x.call.param("TokenCode")
    role_arn = str(x.call.param("RoleArn", ""))
    caller = caller_of(x)
    if (serial is None) != (code is None):
        return x.error("AccessDenied", MFA_BOTH_NEEDED, 403)
    if serial is not None:
        device = backends.iam().virtual_mfa_devices.get(serial)
        owner = getattr(getattr(device, "user", None), "name", None)
        if device is None or owner is None or owner != caller.user_name:
            return x.error("AccessDenied", MFA_UNKNOWN_DEVICE, 403)
        if not code_is_current(device.base32_string_seed, str(code)):
            return x.error("AccessDenied", MFA_WRONG_CODE, 403)
    elif requires_mfa(role_arn) or role_missing_elsewhere(role_arn):
        return x.error(
            "AccessDenied",
            f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            403,
        )
    return None  # moto assumes the role


def role_missing_elsewhere(role_arn: str) -> bool:
    """A role in another account (a member account's OrganizationAccountAccessRole) that does not exist.

    moto assumes any role ARN; AWS refuses one that does not exist with the AccessDenied above
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_roles.html#troubleshoot_roles_cant-assume-role).
    Roles in the practice account itself keep moto's answer, which earlier scenarios rely on.
    """
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or not parts[5].startswith("role/") or parts[4] in ("", backends.ACCOUNT_ID):
        return False
    from moto.iam.models import iam_backends

    name = parts[5].rsplit("/", 1)[-1]
    return not any(role.name == name for role in iam_backends[parts[4]]["global"].roles.values())


def code_is_current(secret: str, code: str) -> bool:
    """A TOTP code of this 30-second step or the one either side (the clock drift AWS tolerates)."""
    import pyotp

    return pyotp.TOTP(secret).verify(code, valid_window=1)


def requires_mfa(role_arn: str) -> bool:
    """The role's trust policy allows AssumeRole only with "Bool": {"aws:MultiFactorAuthPresent": "true"}."""
    try:
        role = backends.iam().get_role_by_arn(role_arn)
    except Exception:  # moto lets a role that does not exist be assumed; nothing to check
        return False
    return trust_requires_mfa(role.assume_role_policy_document)


def trust_requires_mfa(document: Any) -> bool:
    if isinstance(document, str):
        try:
            document = json.loads(unquote(document) if document.startswith("%") else document)
        except ValueError:
            return False
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        for operator, conditions in (statement.get("Condition") or {}).items():
            if operator.lower() != "bool" or not isinstance(conditions, dict):
                continue
            for key, value in conditions.items():
                values = value if isinstance(value, list) else [value]
                if key.lower() == "aws:multifactorauthpresent" and any(str(v).lower() == "true" for v in values):
                    return True
    return False


HANDLERS = {"GetCallerIdentity": get_caller_identity, "AssumeRole": assume_role}
