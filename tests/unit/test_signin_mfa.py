"""Asking for an MFA code headless: --mfa-code, a masked prompt on a terminal, and a clear stop without one."""

from __future__ import annotations

import io

import pytest

from hsm_setup.aws.signin.mfa import (
    MfaCancelled,
    MfaCodeNeeded,
    MfaCodeRefused,
    MfaRequest,
    fixed_code,
    terminal_asker,
)

REQUEST = MfaRequest("arn:aws:iam::123456789012:mfa/me", "arn:aws:iam::123456789012:role/Admin", "admin")
REFUSED = MfaRequest(
    REQUEST.serial,
    REQUEST.role_arn,
    "admin",
    2,
    "MultiFactorAuthentication failed with invalid MFA one time pass code.",
)


def test_without_a_terminal_the_asker_names_the_profile_the_device_and_the_flag() -> None:
    ask = terminal_asker(is_terminal=lambda: False, read=lambda prompt: pytest.fail("read without a terminal"))
    with pytest.raises(MfaCodeNeeded) as caught:
        ask(REQUEST)
    text = f"{caught.value.cause} {caught.value.next_move}"
    assert "`admin`" in text and REQUEST.serial in text and REQUEST.role_arn in text and "--mfa-code" in text


def test_on_a_terminal_the_prompt_names_the_device_and_role_and_shows_aws_reason_after_a_refusal() -> None:
    prompts: list[str] = []
    out = io.StringIO()
    ask = terminal_asker(is_terminal=lambda: True, read=lambda prompt: prompts.append(prompt) or " 123456 ", out=out)
    assert ask(REFUSED) == "123456"
    assert REQUEST.serial in prompts[0] and REQUEST.role_arn in prompts[0]
    assert "invalid MFA one time pass code" in out.getvalue()


@pytest.mark.parametrize("typed", ["", EOFError()])
def test_an_empty_answer_or_end_of_input_cancels(typed: object) -> None:
    def read(prompt: str) -> str:
        if isinstance(typed, BaseException):
            raise typed
        return str(typed)

    with pytest.raises(MfaCancelled):
        terminal_asker(is_terminal=lambda: True, read=read)(REQUEST)


def test_a_code_given_up_front_is_used_once_then_aws_reason_stops_the_run() -> None:
    ask = fixed_code("123456")
    assert ask(REQUEST) == "123456"
    with pytest.raises(MfaCodeRefused) as caught:
        ask(REFUSED)
    assert "invalid MFA one time pass code" in caught.value.cause and "--mfa-code" in caught.value.next_move


def test_a_refused_code_given_up_front_is_asked_again_where_a_terminal_can() -> None:
    ask = fixed_code("123456", then=lambda request: "654321")
    assert ask(REQUEST) == "123456"
    assert ask(REFUSED) == "654321"


def test_a_role_session_that_needs_a_new_code_to_renew_is_explained() -> None:
    from botocore.exceptions import RefreshWithMFAUnsupportedError

    from hsm_setup.errors import explain

    problem = explain(RefreshWithMFAUnsupportedError(), "admin")
    assert "`admin`" in problem.cause and "new MFA code" in problem.cause and problem.kind == "expired"
