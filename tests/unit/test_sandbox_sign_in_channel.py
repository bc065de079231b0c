"""The practice account's control channel for signing in works the same in its own process as in this one."""

from __future__ import annotations

import pytest

from hsm_setup.sandbox import SandboxError
from hsm_setup.sandbox.process import PracticeAccountProcess


def test_mfa_devices_roles_and_sign_in_approvals_over_the_pipe() -> None:
    with PracticeAccountProcess("fresh") as practice:
        serial = practice.add_mfa_device()
        assert serial == "arn:aws:iam::123456789012:mfa/practice-admin"
        code = practice.mfa_code(serial)
        assert len(code) == 6 and code.isdigit()
        assert practice.add_role("PracticeMfaAdmin", True) == "arn:aws:iam::123456789012:role/PracticeMfaAdmin"
        with pytest.raises(SandboxError) as caught:
            practice.approve_sign_in()
        assert caught.value.cause == "No sign-in request is waiting to be approved."
        with pytest.raises(SandboxError):
            practice.simulate("sso-sign-in")
        assert "sign-in" in practice.describe_simulation("sso-sign-in")
        practice.reset()
        with pytest.raises(SandboxError):  # reset forgets the device
            practice.mfa_code(serial)
