"""Signing in to IAM Identity Center without the AWS CLI: the OAuth device authorization flow.

sso-oidc RegisterClient (a registration `aws sso login` would reuse is reused), then
StartDeviceAuthorization gives a verification URL and a user code for the person to
approve in a browser; CreateToken with grant type
urn:ietf:params:oauth:grant-type:device_code is polled every `interval` seconds
(AuthorizationPendingException meanwhile; SlowDownException adds 5 seconds) until it
returns a token or the request expires. The token is written where `aws sso login`
writes it, in its format, so the AWS CLI and hsm-setup both use it; then connecting with
the profile works as after `aws sso login`.

AWS pages: "Configure the AWS CLI to use IAM Identity Center"
(https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sso.html) and the SSO
OIDC API reference (https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_CreateToken.html).

A front end:
    sign_in = DeviceSignIn(sso_target(profile), endpoint_url=...)
    authorization = sign_in.start()          # blocks: two calls
    show authorization.verification_url and .user_code; try_open_browser(...)
    signed_in = sign_in.wait(on_pending=show_seconds_left)   # blocks; sign_in.cancel() from any thread
    then connect with the profile again.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import msgspec

from hsm_setup.aws.signin import caches
from hsm_setup.errors import CredentialsError, HsmSetupError

if TYPE_CHECKING:
    from mypy_boto3_sso_oidc.client import SSOOIDCClient
    from mypy_boto3_sso_oidc.type_defs import CreateTokenResponseTypeDef

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# RFC 8628 section 3.5: 5 seconds by default, and 5 more after each slow_down.
DEFAULT_INTERVAL = 5.0
SLOW_DOWN_SECONDS = 5.0
# `aws sso login` registers again once a registration has less than this left.
REGISTRATION_WINDOW = dt.timedelta(minutes=15)

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SsoTarget(msgspec.Struct, frozen=True):
    """Where a profile signs in: the access portal's start URL, its Region, the sso-session."""

    profile: str | None
    start_url: str
    region: str
    session_name: str | None  # None: a legacy profile (sso_start_url in the profile)
    scopes: tuple[str, ...] | None = None  # sso_registration_scopes of the sso-session


class DeviceAuthorization(msgspec.Struct, frozen=True):
    """What the person needs to approve the sign-in."""

    verification_url: str  # opens the page with the code filled in (verificationUriComplete)
    verification_uri: str  # the page without the code: the person types `user_code` there
    user_code: str
    expires_at: dt.datetime
    interval: float

    def seconds_left(self, now: dt.datetime | None = None) -> float:
        return max(0.0, (self.expires_at - (now or utc_now())).total_seconds())


class SignedIn(msgspec.Struct, frozen=True):
    start_url: str
    expires_at: dt.datetime  # when the access token expires (a refresh token may renew it)
    token_file: Path  # where the token was written (~/.aws/sso/cache/<key>.json)


class SignInCancelled(CredentialsError):
    def __init__(self) -> None:
        super().__init__("Sign-in cancelled: nothing was signed in.", "Sign in again when you are ready.")


class SignInExpired(CredentialsError):
    def __init__(self) -> None:
        super().__init__(
            "The sign-in request expired before it was approved in the browser.",
            "Start the sign-in again and approve it within the time shown.",
        )


class SignInDenied(CredentialsError):
    def __init__(self) -> None:
        super().__init__("The sign-in request was denied in the browser.", "Start the sign-in again and choose Allow.")


def sso_target(profile: str | None, config: dict[str, Any] | None = None) -> SsoTarget:
    """The sign-in settings of an SSO profile (no network). HsmSetupError says why a profile has none."""
    if config is None:
        import botocore.session

        config = botocore.session.Session().full_config
    label = f"The profile `{profile}`" if profile else "The default profile"
    name = profile or "default"
    settings = config.get("profiles", {}).get(name)
    if settings is None:
        raise CredentialsError(
            f"{label} is not in the AWS config file.", "List your profiles with `aws configure list-profiles`."
        )
    session_name = settings.get("sso_session")
    if session_name is not None:
        session = config.get("sso_sessions", {}).get(session_name)
        if session is None:
            raise CredentialsError(
                f"{label} names the sso-session `{session_name}`, which the AWS config file does not define.",
                f"Add an [sso-session {session_name}] section (`aws configure sso-session`).",
            )
        missing = [key for key in ("sso_start_url", "sso_region") if not session.get(key)]
        if missing:
            raise CredentialsError(
                f"The sso-session `{session_name}` lacks {' and '.join(missing)}.",
                "Add it with `aws configure sso-session`.",
            )
        raw_scopes = session.get("sso_registration_scopes")
        scopes = tuple(s.strip() for s in raw_scopes.split(",") if s.strip()) if raw_scopes else None
        return SsoTarget(profile, session["sso_start_url"], session["sso_region"], session_name, scopes or None)
    if settings.get("sso_start_url") and settings.get("sso_region"):
        return SsoTarget(profile, settings["sso_start_url"], settings["sso_region"], None)
    raise CredentialsError(
        f"{label} does not sign in through IAM Identity Center (it has no sso_session, nor sso_start_url and sso_region).",
        "Choose an SSO profile, or set one up with `aws configure sso`.",
    )


def sso_target_of(profile: str | None, config: dict[str, Any] | None = None) -> SsoTarget:
    """Where signing in serves this profile: its own IAM Identity Center settings, or those of the
    profile at the start of its role chain (a role whose source_profile is an SSO profile)."""
    if config is None:
        import botocore.session

        config = botocore.session.Session().full_config
    profiles: dict[str, Any] = config.get("profiles", {})
    name = profile or "default"
    seen = {name}
    while True:
        source = (
            (profiles.get(name) or {}).get("source_profile") if (profiles.get(name) or {}).get("role_arn") else None
        )
        if not source or source in seen:
            break
        seen.add(source)
        name = source
    return sso_target(profile if name == (profile or "default") else name, config)


class DeviceSignIn:
    """One sign-in of one SSO profile. `start`, `poll` and `wait` block (calls to AWS); `cancel` does not."""

    def __init__(
        self,
        target: SsoTarget,
        *,
        endpoint_url: str | None = None,
        clock: Clock = utc_now,
        pause: Callable[[float], object] | None = None,
        client: SSOOIDCClient | None = None,
    ) -> None:
        """`pause(seconds)` waits between polls (default: until cancel() or the interval is up)."""
        self.target = target
        self._endpoint_url = endpoint_url
        self._clock = clock
        self._client = client
        self._cancelled = threading.Event()
        self._pause = pause or self._cancelled.wait
        self._registration: dict[str, Any] | None = None
        self._device_code: str | None = None
        self.authorization: DeviceAuthorization | None = None
        self.interval = DEFAULT_INTERVAL

    # -- the steps ----------------------------------------------------------------------------
    def start(self) -> DeviceAuthorization:
        """Register (or reuse the registration) and ask for a device authorization."""
        registration = self._registered()
        response = self._oidc().start_device_authorization(
            clientId=registration["clientId"], clientSecret=registration["clientSecret"], startUrl=self.target.start_url
        )
        self._device_code = response["deviceCode"]
        self.interval = float(response.get("interval") or DEFAULT_INTERVAL)
        self.authorization = DeviceAuthorization(
            verification_url=response.get("verificationUriComplete") or response["verificationUri"],
            verification_uri=response["verificationUri"],
            user_code=response["userCode"],
            expires_at=self._clock() + dt.timedelta(seconds=int(response["expiresIn"])),
            interval=self.interval,
        )
        return self.authorization

    def poll(self) -> SignedIn | None:
        """Ask once whether the person approved: the token (written to the cache), or None while waiting."""
        if self._device_code is None or self._registration is None:
            raise RuntimeError("start() the sign-in before polling it")
        client = self._oidc()
        try:
            response = client.create_token(
                grantType=DEVICE_GRANT,
                clientId=self._registration["clientId"],
                clientSecret=self._registration["clientSecret"],
                deviceCode=self._device_code,
            )
        except client.exceptions.AuthorizationPendingException:
            return None
        except client.exceptions.SlowDownException:
            self.interval += SLOW_DOWN_SECONDS
            return None
        except client.exceptions.ExpiredTokenException:
            raise SignInExpired() from None
        except client.exceptions.AccessDeniedException:
            raise SignInDenied() from None
        return self._save(response)

    def wait(self, *, on_pending: Callable[[float], None] | None = None) -> SignedIn:
        """Poll every `interval` seconds until approved; `on_pending(seconds_left)` after each pending answer.

        Ends with SignInCancelled as soon as cancel() is called, SignInExpired when the
        request's time is up.
        """
        while True:
            if self._cancelled.is_set():
                raise SignInCancelled()
            signed_in = self.poll()
            if signed_in is not None:
                return signed_in
            assert self.authorization is not None
            left = self.authorization.seconds_left(self._clock())
            if left <= 0:
                raise SignInExpired()
            if on_pending is not None:
                on_pending(left)
            self._pause(min(self.interval, left))

    def cancel(self) -> None:
        """Stop waiting (from any thread); nothing is written."""
        self._cancelled.set()

    # -- registration and the token, as `aws sso login` keeps them --------------------------------------
    def _registered(self) -> dict[str, Any]:
        cache = caches.sso_token_cache()
        target = self.target
        key = caches.sso_registration_key(
            target.start_url, target.region, list(target.scopes) if target.scopes else None, target.session_name
        )
        try:
            cached = cache[key] if key in cache else None  # noqa: SIM401 (a JSONFileCache has no .get())
        except KeyError:
            cached = None
        if (
            cached
            and _parse(cached.get("expiresAt")) - self._clock() > REGISTRATION_WINDOW
            and "authorization_code" not in cached.get("grantTypes", ())
        ):
            self._registration = cached
            return cached
        name = target.session_name if target.session_name is not None else str(int(self._clock().timestamp()))
        kwargs: dict[str, Any] = {"clientName": f"botocore-client-{name}", "clientType": "public"}
        if target.scopes:
            kwargs["scopes"] = list(target.scopes)
        response = self._oidc().register_client(**kwargs)
        registration: dict[str, Any] = {
            "clientId": response["clientId"],
            "clientSecret": response["clientSecret"],
            "expiresAt": dt.datetime.fromtimestamp(response["clientSecretExpiresAt"], dt.UTC),
        }
        if target.scopes:
            registration["scopes"] = list(target.scopes)
        cache[key] = registration
        self._registration = registration
        return registration

    def _save(self, response: CreateTokenResponseTypeDef) -> SignedIn:
        assert self._registration is not None
        expires_at = self._clock() + dt.timedelta(seconds=int(response["expiresIn"]))
        token: dict[str, Any] = {
            "startUrl": self.target.start_url,
            "region": self.target.region,
            "accessToken": response["accessToken"],
            "expiresAt": expires_at,
            "clientId": self._registration["clientId"],
            "clientSecret": self._registration["clientSecret"],
            "registrationExpiresAt": self._registration["expiresAt"],
        }
        if response.get("refreshToken"):
            token["refreshToken"] = response["refreshToken"]
        key = caches.sso_token_key(self.target.start_url, self.target.session_name)
        caches.sso_token_cache()[key] = token
        return SignedIn(self.target.start_url, expires_at, caches.sso_cache_dir() / f"{key}.json")

    def _oidc(self) -> SSOOIDCClient:
        if self._client is None:
            import botocore.session
            from botocore import UNSIGNED
            from botocore.config import Config

            from hsm_setup.aws.data_loader import shared_loader

            session = botocore.session.Session()
            session.register_component("data_loader", shared_loader())
            # The OIDC calls are not signed: no credentials are needed (or sent) to sign in.
            config = Config(
                signature_version=UNSIGNED, retries={"mode": "standard"}, connect_timeout=5, read_timeout=30
            )
            kwargs: dict[str, Any] = {"region_name": self.target.region, "config": config}
            if self._endpoint_url:
                kwargs["endpoint_url"] = self._endpoint_url
            self._client = cast("SSOOIDCClient", session.create_client("sso-oidc", **kwargs))
        return self._client


def _parse(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def try_open_browser(url: str) -> bool:
    """Open the verification page in a browser where there is one; False when there is none.

    A browser that runs in the terminal (lynx, w3m, links, elinks: Python registers them
    when TERM is set and no graphical one is found) counts as none: it would take over
    the terminal hsm-setup is asking on, and the page needs a person's sign-in anyway.
    """
    import webbrowser

    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if _runs_in_the_terminal(browser):
        return False
    try:
        return bool(browser.open_new_tab(url))
    except OSError:
        return False


def _runs_in_the_terminal(browser: object) -> bool:
    import webbrowser

    if isinstance(browser, webbrowser.BackgroundBrowser):
        return False  # started detached (xdg-open, a BROWSER=... that backgrounds)
    if isinstance(browser, webbrowser.UnixBrowser):
        return not browser.background  # elinks; Firefox and Chrome run in the background
    # GenericBrowser (lynx, w3m, links, www-browser) waits for the program in this terminal.
    return isinstance(browser, webbrowser.GenericBrowser)


def is_practice_page(url: str) -> bool:
    """The verification page is the practice account's own (served on loopback), not AWS's."""
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost") and parts.path == "/practice/device"


def approve_on_practice_page(authorization: DeviceAuthorization) -> str:
    """The simulated console action: approve the request on the practice account's page, as the person would.

    Only for the practice account: a real AWS page is approved by the person.
    """
    from urllib.parse import urlencode
    from urllib.request import urlopen

    if not is_practice_page(authorization.verification_uri):
        raise HsmSetupError(
            "Only a sign-in to the practice account can be simulated.",
            f"Open {authorization.verification_url} and approve the request (code {authorization.user_code}).",
        )
    data = urlencode({"user_code": authorization.user_code, "choice": "approve"}).encode()
    with urlopen(authorization.verification_uri, data=data, timeout=10) as page:
        page.read()
    return f"Simulated: the sign-in request {authorization.user_code} was approved in the browser."
