"""Signing in from an interactive front end: when to offer it, what to say, and running it.

The wizard and the plain prompts both call these, so they ask the same things at the
same moments and in the same words:

- A role that requires MFA: `with_mfa_asker(connection, ask)` gives the connection the
  front end's way of asking (after a code given with --mfa-code, if there is one).
  Session.connect signs in on its own thread first, so the asker is called there.
- IAM Identity Center: `sso_sign_in_before(connection)` (from the files alone, before
  connecting: the profile has no usable token) and `sso_sign_in_after(connection,
  failure)` (connecting, or a check, failed because the sign-in expired) say when to
  offer it; `SsoSignIn` runs it: `start` (blocks) gives the page and the code to show,
  `wait` (blocks) returns once the person approved, `cancel` stops it from any thread,
  and on the practice account `simulate_approval` stands in for the person's browser.
  Once signed in, the front end connects again with the same connection.

The headless commands offer none of this: without a token they exit 2 naming
`aws sso login` (hsm_setup.errors.explain).

AWS pages: "Configure the AWS CLI to use IAM Identity Center"
(https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sso.html) and "Using an
IAM role in the AWS CLI" (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-role.html).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import msgspec

from hsm_setup.aws.connection import Connection
from hsm_setup.aws.signin.mfa import MfaAsker, fixed_code
from hsm_setup.aws.signin.profiles import Needs, describe
from hsm_setup.aws.signin.sso_device import (
    DeviceSignIn,
    SignedIn,
    SsoTarget,
    approve_on_practice_page,
    is_practice_page,
    sso_target_of,
    try_open_browser,
)
from hsm_setup.errors import HsmSetupError, explain

OpenBrowser = Callable[[str], bool]


# -- MFA ---------------------------------------------------------------------------------------
def with_mfa_asker(connection: Connection, ask: MfaAsker) -> Connection:
    """The connection, asking for MFA codes with `ask`; a code given with --mfa-code is tried first."""
    if connection.mfa_code:
        ask = fixed_code(connection.mfa_code, then=ask)
    return replace(connection, ask_mfa=ask)


# -- IAM Identity Center: when to offer a sign-in ------------------------------------------------
class SsoSignInOffer(msgspec.Struct, frozen=True):
    """Signing in would let this connection work: what to ask the person."""

    connection: Connection
    target: SsoTarget
    reason: str  # why a sign-in is needed now, in one or two sentences

    title = "Sign in to IAM Identity Center"

    @property
    def profile_name(self) -> str:
        return self.connection.profile or "default"

    @property
    def question(self) -> str:
        return (
            f"{self.reason} hsm-setup can sign in here: it shows a page and a code to approve in a browser "
            "(on this machine or any other), then keeps the sign-in where `aws sso login` keeps it, "
            "so the AWS CLI uses it too."
        )

    @property
    def alternative(self) -> str:
        return f"Or run `aws sso login --profile {self.profile_name}` in another terminal, then connect again."


def _sso_profile(connection: Connection) -> str | None:
    """The profile whose IAM Identity Center sign-in this connection would use, if any."""
    if connection.sandbox or connection.access_key_id:
        return None
    if connection.profile:
        return connection.profile
    # No profile: botocore takes keys from the environment before the default profile.
    return None if os.environ.get("AWS_ACCESS_KEY_ID") else "default"


def _config() -> dict[str, Any] | None:
    import botocore.exceptions
    import botocore.session

    try:
        return botocore.session.Session().full_config
    except botocore.exceptions.BotoCoreError:
        return None  # connecting says what is wrong with the files


def sso_sign_in_before(connection: Connection) -> SsoSignInOffer | None:
    """Before connecting (no network): the offer when the profile has no usable IAM Identity Center token."""
    name = _sso_profile(connection)
    config = _config() if name is not None else None
    if name is None or config is None or name not in config.get("profiles", {}):
        return None
    info = describe(name, config)
    if info.problem or info.needs is not Needs.SSO_SIGN_IN:
        return None
    try:
        target = sso_target_of(connection.profile, config)
    except HsmSetupError:
        return None
    label = f"The profile `{name}`"
    return SsoSignInOffer(
        connection, target, f"{label} signs in through IAM Identity Center ({target.start_url}). {info.status}"
    )


def sso_sign_in_after(connection: Connection, failure: BaseException | str) -> SsoSignInOffer | None:
    """After connecting or a check failed: the offer when the failure is an expired (or missing)
    IAM Identity Center sign-in of the connection's profile. `failure`: the exception, or a
    result's problem kind."""
    name = _sso_profile(connection)
    if name is None:
        return None
    if isinstance(failure, BaseException):
        if type(failure).__name__ == "RefreshWithMFAUnsupportedError":
            return None  # the role's MFA session ended: a new code helps, a new sign-in does not
        kind = explain(failure, connection.profile).kind
    else:
        kind = failure
    if kind != "expired":
        return None
    config = _config()
    if config is None:
        return None
    try:
        target = sso_target_of(connection.profile, config)
    except HsmSetupError:
        return None
    return SsoSignInOffer(
        connection,
        target,
        f"The profile `{name}` signs in through IAM Identity Center ({target.start_url}), "
        "and its sign-in has expired or was never made.",
    )


# -- IAM Identity Center: running the sign-in -------------------------------------------------------
class SignInPage(msgspec.Struct, frozen=True):
    """What the person needs to approve the sign-in, and the words every front end shows for it."""

    verification_url: str  # the page, with the code filled in
    user_code: str
    expires_at: dt.datetime
    browser_opened: bool
    practice: bool  # the practice account's own page: its approval can be simulated

    def seconds_left(self, now: dt.datetime | None = None) -> float:
        return max(0.0, (self.expires_at - (now or dt.datetime.now(dt.UTC))).total_seconds())

    @property
    def lines(self) -> tuple[str, ...]:
        opened = (
            "The page is open in your browser."
            if self.browser_opened
            else "No browser could be opened here: open the page on any device."
        )
        return (
            f"Open this page and approve the sign-in: {self.verification_url}",
            f"Code: {self.user_code} (the page shows the same code; approve only if it does)",
            opened,
        )


def time_left(seconds: float) -> str:
    """A countdown as people read one: `9:58 left`."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d} left"


def signed_in_text(signed_in: SignedIn) -> str:
    until = signed_in.expires_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"Signed in to IAM Identity Center until {until} (kept where `aws sso login` keeps it)."


class SsoSignIn:
    """One sign-in, as a front end runs it. `start`, `wait` and `simulate_approval` block; `cancel` does not."""

    def __init__(
        self,
        offer: SsoSignInOffer,
        *,
        device: DeviceSignIn | None = None,
        open_browser: OpenBrowser | None = None,
    ) -> None:
        """`open_browser(url)` opens the page, True when it could (default: try_open_browser)."""
        self.offer = offer
        self.device = device or DeviceSignIn(offer.target, endpoint_url=offer.connection.endpoint_url)
        self._open_browser = open_browser or try_open_browser
        self.page: SignInPage | None = None

    def start(self) -> SignInPage:
        """Ask IAM Identity Center for a code (two calls), open the browser where there is one."""
        authorization = self.device.start()
        practice = is_practice_page(authorization.verification_uri)
        self.page = SignInPage(
            verification_url=authorization.verification_url,
            user_code=authorization.user_code,
            expires_at=authorization.expires_at,
            browser_opened=self._open_browser(authorization.verification_url),
            practice=practice,
        )
        return self.page

    def wait(self, on_pending: Callable[[float], None] | None = None) -> SignedIn:
        """Until approved (the token is then kept as `aws sso login` keeps it); SignInCancelled,
        SignInExpired or SignInDenied otherwise."""
        return self.device.wait(on_pending=on_pending)

    def cancel(self) -> None:
        self.device.cancel()

    def simulate_approval(self) -> str:
        """The practice account only: approve on its page as the person would in a browser."""
        authorization = self.device.authorization
        if authorization is None:
            raise HsmSetupError("The sign-in has not started yet.", "Start it first.")
        return approve_on_practice_page(authorization)


__all__ = [
    "SignInPage",
    "SsoSignIn",
    "SsoSignInOffer",
    "signed_in_text",
    "sso_sign_in_after",
    "sso_sign_in_before",
    "time_left",
    "with_mfa_asker",
]
