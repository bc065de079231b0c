"""Every profile of the AWS config and credentials files: its kind, what it is, and why it cannot work.

Read from the files and the AWS CLI's caches only: no network call, so a connect screen
can list them at once. A profile botocore would refuse (a missing source_profile, an
sso-session that is not defined, a loop of source profiles, ...) says why before it is
tried. The kinds follow botocore's credential chain, in its order: web identity, a role
(assume-role provider), IAM Identity Center (sso), keys in the credentials file,
`aws login` (login_session), credential_process, keys in the config file.

AWS pages: "Configuration and credential file settings"
(https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html), "Using an
IAM role in the AWS CLI" (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-role.html),
"Configure the AWS CLI to use IAM Identity Center"
(https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sso.html), "Sourcing
credentials with an external process"
(https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sourcing-external.html).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import os
import shlex
import shutil
from collections.abc import Mapping
from typing import Any

import msgspec

from hsm_setup.aws.signin import caches

# botocore treats cached role credentials with less than this left as expired.
ROLE_EXPIRY_WINDOW = dt.timedelta(minutes=15)
CREDENTIAL_SOURCES = ("Environment", "Ec2InstanceMetadata", "EcsContainer")


class ProfileKind(str, enum.Enum):
    SSO = "sso"  # IAM Identity Center through an [sso-session]
    SSO_LEGACY = "sso-legacy"  # IAM Identity Center, sso_start_url in the profile itself
    LOGIN = "login"  # `aws login` (login_session)
    ROLE = "role"  # role_arn with a source profile or credential source
    ROLE_MFA = "role-mfa"  # ... and mfa_serial
    WEB_IDENTITY = "web-identity"
    PROCESS = "credential-process"
    STATIC = "access-keys"
    NONE = "no-credentials"


# The kind in a few words, as every front end names it beside the profile.
KIND_WORDS = {
    ProfileKind.SSO: "IAM Identity Center",
    ProfileKind.SSO_LEGACY: "IAM Identity Center (legacy settings)",
    ProfileKind.LOGIN: "aws login",
    ProfileKind.ROLE: "role",
    ProfileKind.ROLE_MFA: "role with MFA",
    ProfileKind.WEB_IDENTITY: "web identity role",
    ProfileKind.PROCESS: "credential_process",
    ProfileKind.STATIC: "access keys",
    ProfileKind.NONE: "no credentials",
}


class Needs(str, enum.Enum):
    """What connecting with the profile will ask of the person now."""

    MFA_CODE = "mfa-code"  # a role with MFA whose session is not cached
    SSO_SIGN_IN = "sso-sign-in"  # no usable IAM Identity Center token: sign in through the browser
    AWS_LOGIN = "aws-login"  # no `aws login` session cached


class ProfileInfo(msgspec.Struct, frozen=True):
    name: str
    kind: ProfileKind
    description: str  # one line: what the profile is
    problem: str | None = None  # why it cannot work, found without trying it
    needs: Needs | None = None  # what signing in will ask for (None: ready)
    status: str = ""  # one line on its sign-in: "signed in until 14:05 UTC", "asks for an MFA code", ...
    region: str | None = None

    @property
    def usable(self) -> bool:
        return self.problem is None

    @property
    def kind_words(self) -> str:
        return KIND_WORDS[self.kind]

    @property
    def headline(self) -> str:
        """The profile's name and kind: `admin (role with MFA)`."""
        return f"{self.name} ({self.kind_words})"

    @property
    def explanation(self) -> str:
        """One line under the headline: what it is and where its sign-in stands, or why it cannot work."""
        if self.problem:
            return f"Cannot work: {self.problem}"
        return " ".join(part for part in (self.description, self.status) if part)


class ProfileList(msgspec.Struct, frozen=True):
    profiles: tuple[ProfileInfo, ...]
    problem: str | None = None  # the AWS config files could not be read

    def named(self, name: str) -> ProfileInfo | None:
        return next((p for p in self.profiles if p.name == name), None)


def list_profiles(*, now: dt.datetime | None = None) -> ProfileList:
    """Every profile in AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE (or ~/.aws/...), sorted by name."""
    import botocore.exceptions
    import botocore.session

    try:
        config = botocore.session.Session().full_config
    except botocore.exceptions.BotoCoreError as exc:
        return ProfileList((), f"The AWS config files cannot be read: {exc}")
    return ProfileList(tuple(describe(name, config, now=now) for name in sorted(config.get("profiles", {}))))


def describe(name: str, config: Mapping[str, Any], *, now: dt.datetime | None = None) -> ProfileInfo:
    """One profile, from the parsed config (botocore's Session.full_config)."""
    return _Reader(config, now or dt.datetime.now(dt.UTC)).describe(name, ())


class _Reader:
    def __init__(self, config: Mapping[str, Any], now: dt.datetime) -> None:
        self.profiles: Mapping[str, Mapping[str, Any]] = config.get("profiles", {})
        self.sessions: Mapping[str, Mapping[str, Any]] = config.get("sso_sessions", {})
        self.now = now

    def describe(self, name: str, visited: tuple[str, ...]) -> ProfileInfo:
        settings = self.profiles.get(name, {})
        region = settings.get("region")
        if settings.get("role_arn") and settings.get("web_identity_token_file"):
            return self._web_identity(name, settings, region)
        if settings.get("role_arn"):
            return self._role(name, settings, region, visited)
        if any(key in settings for key in ("sso_session", "sso_account_id", "sso_role_name", "sso_start_url")):
            return self._sso(name, settings, region)
        keys = self._keys(name, settings, region)
        if keys is not None:
            return keys
        if settings.get("login_session"):
            return self._login(name, settings, region)
        if settings.get("credential_process"):
            return self._process(name, settings, region)
        return ProfileInfo(
            name,
            ProfileKind.NONE,
            "Settings only (no keys, role, IAM Identity Center, login_session or credential_process).",
            problem="It holds no credentials.",
            region=region,
        )

    # -- roles ---------------------------------------------------------------------------------
    def _role(
        self, name: str, settings: Mapping[str, Any], region: str | None, visited: tuple[str, ...]
    ) -> ProfileInfo:
        role = settings["role_arn"]
        serial = settings.get("mfa_serial")
        kind = ProfileKind.ROLE_MFA if serial else ProfileKind.ROLE
        source = settings.get("source_profile")
        credential_source = settings.get("credential_source")
        via = (
            f"from the profile `{source}`"
            if source
            else f"from {credential_source}"
            if credential_source
            else "from nothing"
        )
        mfa = f" with MFA (device {serial})" if serial else ""
        description = f"Assumes the role {role}{mfa}, {via}."
        problem = self._role_problem(name, settings, visited)
        if problem:
            return ProfileInfo(name, kind, description, problem=problem, region=region)
        needs, status = self._role_sign_in(name, visited)
        return ProfileInfo(name, kind, description, needs=needs, status=status, region=region)

    def _role_problem(self, name: str, settings: Mapping[str, Any], visited: tuple[str, ...]) -> str | None:
        source = settings.get("source_profile")
        credential_source = settings.get("credential_source")
        if source and credential_source:
            return "It has both source_profile and credential_source; botocore refuses that: keep one."
        if credential_source:
            if credential_source not in CREDENTIAL_SOURCES:
                return f"Its credential_source {credential_source!r} is not one of {', '.join(CREDENTIAL_SOURCES)}."
            return None
        if not source:
            return "It assumes a role but has neither source_profile nor credential_source."
        if source not in self.profiles:
            return f"Its source_profile `{source}` does not exist."
        chain = (*visited, name)
        if source == name:
            # A profile may source its own keys (botocore allows it only for keys).
            return (
                None
                if self._has_keys(self.profiles[name])
                else "Its source_profile is itself, and it has no access keys."
            )
        if source in chain:
            return f"Its source profiles loop: {' -> '.join((*chain, source))}."
        upstream = self.describe(source, chain)
        if upstream.problem:
            return f"Its source profile `{source}` cannot work: {upstream.problem}"
        return None

    def _role_sign_in(self, name: str, visited: tuple[str, ...]) -> tuple[Needs | None, str]:
        """What assuming this role needs now: nothing when its session is cached, else what its chain needs."""
        settings = self.profiles[name]
        expires = self._cached_role(settings)
        if expires is not None:
            return None, f"Role session cached until {_clock(expires)} (shared with the AWS CLI)."
        if settings.get("mfa_serial"):
            return Needs.MFA_CODE, "Asks for an MFA code."
        source = settings.get("source_profile")
        if source and source != name:
            upstream = self.describe(source, (*visited, name))
            return upstream.needs, upstream.status
        return None, ""

    def _cached_role(self, settings: Mapping[str, Any]) -> dt.datetime | None:
        entry = caches.read_json(caches.cli_cache_dir(), caches.role_cache_key(settings))
        expiration = _parse_time(((entry or {}).get("Credentials") or {}).get("Expiration"))
        if expiration is None or expiration - self.now < ROLE_EXPIRY_WINDOW:
            return None
        return expiration

    def _web_identity(self, name: str, settings: Mapping[str, Any], region: str | None) -> ProfileInfo:
        token_file = settings["web_identity_token_file"]
        problem = (
            None
            if os.path.isfile(os.path.expanduser(token_file))
            else f"Its web_identity_token_file {token_file} does not exist."
        )
        return ProfileInfo(
            name,
            ProfileKind.WEB_IDENTITY,
            f"Assumes the role {settings['role_arn']} with the web identity token in {token_file}.",
            problem=problem,
            region=region,
        )

    # -- IAM Identity Center -------------------------------------------------------------------
    def _sso(self, name: str, settings: Mapping[str, Any], region: str | None) -> ProfileInfo:
        session_name = settings.get("sso_session")
        account, role = settings.get("sso_account_id"), settings.get("sso_role_name")
        kind = ProfileKind.SSO if session_name else ProfileKind.SSO_LEGACY
        sso: Mapping[str, Any] = settings
        problem = None
        if session_name:
            session = self.sessions.get(session_name)
            if session is None:
                problem = f"Its sso_session `{session_name}` is not defined (no [sso-session {session_name}] section)."
                session = {}
            sso = {**settings, **session}
            for key, value in session.items():
                if key in settings and settings[key] != value and problem is None:
                    problem = f"Its {key} differs from the one of sso-session `{session_name}`; botocore refuses that."
        start_url, sso_region = sso.get("sso_start_url"), sso.get("sso_region")
        where = f"sso-session {session_name}, {start_url}" if session_name else f"{start_url}"
        description = f"IAM Identity Center: the role {role} in account {account} ({where})."
        if problem is None:
            missing = [
                k
                for k, v in (
                    ("sso_start_url", start_url),
                    ("sso_region", sso_region),
                    ("sso_account_id", account),
                    ("sso_role_name", role),
                )
                if not v
            ]
            if missing:
                problem = f"It lacks {', '.join(missing)} (set up with `aws configure sso`)."
        if problem:
            return ProfileInfo(name, kind, description, problem=problem, region=region)
        needs, status = self._sso_sign_in(str(start_url), session_name, name)
        return ProfileInfo(name, kind, description, needs=needs, status=status, region=region)

    def _sso_sign_in(self, start_url: str, session_name: str | None, name: str) -> tuple[Needs | None, str]:
        token = caches.read_json(caches.sso_cache_dir(), caches.sso_token_key(start_url, session_name))
        if token is None or "accessToken" not in token:
            return Needs.SSO_SIGN_IN, "Not signed in to IAM Identity Center."
        expires = _parse_time(token.get("expiresAt"))
        if expires is not None and expires > self.now:
            return None, f"Signed in to IAM Identity Center until {_clock(expires)}."
        registration = _parse_time(token.get("registrationExpiresAt"))
        if session_name and token.get("refreshToken") and registration is not None and registration > self.now:
            return None, "Its IAM Identity Center sign-in has expired and is renewed on connecting."
        return Needs.SSO_SIGN_IN, "Its IAM Identity Center sign-in has expired."

    # -- keys, aws login, credential_process -----------------------------------------------------
    @staticmethod
    def _has_keys(settings: Mapping[str, Any]) -> bool:
        return bool(settings.get("aws_access_key_id") or settings.get("aws_secret_access_key"))

    def _keys(self, name: str, settings: Mapping[str, Any], region: str | None) -> ProfileInfo | None:
        if not self._has_keys(settings):
            return None
        key_id = str(settings.get("aws_access_key_id") or "")
        shown = f" {key_id[:4]}…{key_id[-4:]}" if len(key_id) >= 8 else ""
        temporary = " with a session token" if settings.get("aws_session_token") else ""
        problem = None
        if not settings.get("aws_access_key_id"):
            problem = "It has aws_secret_access_key but no aws_access_key_id."
        elif not settings.get("aws_secret_access_key"):
            problem = "It has aws_access_key_id but no aws_secret_access_key."
        return ProfileInfo(name, ProfileKind.STATIC, f"Access key{shown}{temporary}.", problem=problem, region=region)

    def _login(self, name: str, settings: Mapping[str, Any], region: str | None) -> ProfileInfo:
        session = str(settings["login_session"])
        description = f"AWS console sign-in (`aws login`, session {session})."
        # botocore's LoginProvider signs with the AWS Common Runtime (EC is newer than botocore-stubs 1.43).
        from botocore.compat import EC  # type: ignore[attr-defined]

        if EC is None:
            return ProfileInfo(
                name,
                ProfileKind.LOGIN,
                description,
                region=region,
                problem="login_session profiles need the AWS Common Runtime: `pip install 'botocore[crt]'` in hsm-setup's environment.",
            )
        folder = os.path.expanduser(
            os.path.expandvars(os.environ.get("AWS_LOGIN_CACHE_DIRECTORY", os.path.join("~", ".aws", "login", "cache")))
        )
        key = hashlib.sha256(session.encode("utf-8")).hexdigest()  # botocore.utils.generate_login_cache_key
        if not os.path.isfile(os.path.join(folder, f"{key}.json")):
            return ProfileInfo(
                name,
                ProfileKind.LOGIN,
                description,
                needs=Needs.AWS_LOGIN,
                status=f"Not signed in: run `aws login --profile {name}`.",
                region=region,
            )
        return ProfileInfo(name, ProfileKind.LOGIN, description, status="Signed in with `aws login`.", region=region)

    def _process(self, name: str, settings: Mapping[str, Any], region: str | None) -> ProfileInfo:
        command = str(settings["credential_process"])
        try:
            program = shlex.split(command)[0]
        except (ValueError, IndexError):
            return ProfileInfo(
                name,
                ProfileKind.PROCESS,
                "Credentials from a credential_process.",
                problem=f"Its credential_process cannot be read as a command: {command!r}.",
                region=region,
            )
        found = os.path.isfile(os.path.expanduser(program)) if os.sep in program else shutil.which(program) is not None
        problem = None if found else f"Its credential_process program `{program}` was not found."
        return ProfileInfo(
            name,
            ProfileKind.PROCESS,
            f"Credentials from the program `{program}` (credential_process).",
            problem=problem,
            region=region,
        )


def _parse_time(value: object) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            from dateutil.parser import parse  # botocore's own dependency, and how it reads these files

            parsed = parse(str(value))
        except (ValueError, OverflowError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _clock(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
