"""Setting the practice account up for signing in: MFA devices and roles, as an administrator would.

Made through moto's IAM backend, so they are what `aws iam list-mfa-devices` and
`aws iam get-role` show; the device's seed is its TOTP secret (corrections/sts.py checks
codes against it).
"""

from __future__ import annotations

import json
import time

from . import backends
from .catalog import SandboxError
from .world import World


def add_mfa_device(world: World, user_name: str, device_name: str) -> str:
    with world.lock:
        iam = backends.iam()
        try:
            user = iam.get_user(user_name)
        except Exception:
            raise SandboxError(f"The practice account has no IAM user {user_name}.", "Create the user first.") from None
        serial = f"arn:aws:iam::{world.account_id}:mfa/{device_name}"
        if serial in iam.virtual_mfa_devices:
            device = iam.virtual_mfa_devices[serial]
            if device.user is not None and device.user.name != user.name:
                raise SandboxError(f"The MFA device {serial} belongs to {device.user.name}.", "Name another device.")
        else:
            iam.create_virtual_mfa_device(device_name, "/")
        if serial not in user.mfa_devices:
            iam.enable_mfa_device(user_name, serial, "000000", "000000")
        return serial


def mfa_code(world: World, serial: str, steps_from_now: int = 0) -> str:
    import pyotp

    with world.lock:
        device = backends.iam().virtual_mfa_devices.get(serial)
        if device is None:
            raise SandboxError(f"The practice account has no MFA device {serial}.", "Add one with add_mfa_device().")
        totp = pyotp.TOTP(device.base32_string_seed)
        return totp.at(time.time() + steps_from_now * totp.interval)


def add_role(world: World, name: str, require_mfa: bool) -> str:
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{world.account_id}:root"},
        "Action": "sts:AssumeRole",
    }
    if require_mfa:
        statement["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    trust = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    allow_all = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    )
    with world.lock:
        iam = backends.iam()
        try:
            role = iam.get_role(name)
        except Exception:
            role = iam.create_role(
                role_name=name,
                assume_role_policy_document=trust,
                path="/",
                permissions_boundary=None,
                description="Practice role for signing in",
                tags=[],
                max_session_duration="3600",
                linked_service=None,
            )
            iam.update_assume_role_policy(name, trust)
        iam.put_role_policy(name, "practice-administrator", allow_all)
        return str(role.arn)
