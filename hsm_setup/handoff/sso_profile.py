"""An AWS CLI profile that signs in as the administrator through IAM Identity Center.

Writes an `[sso-session NAME]` section (the access portal and its Region) and a
`[profile NAME]` section (account, the admin permission set as the role) into the
AWS config file. configparser would drop every comment, so the file is edited with
configupdater, which keeps every other line as it was: new sections are appended,
an existing section of the same name is changed in place only with `force` (its
comments stay). A backup of the file is saved next to it (mode 0600) before any change.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import msgspec

from hsm_setup.errors import HsmSetupError
from hsm_setup.model import StepFacts, StepResult
from hsm_setup.state.files import atomic_write
from hsm_setup.steps.identity_center import IdentityCenterFacts

if TYPE_CHECKING:
    from hsm_setup.session.workspace import Workspace

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+=@,-]{0,63}$")
REGISTRATION_SCOPES = "sso:account:access"


class ProfileConflict(HsmSetupError):
    """A section of that name exists with other settings, and `force` was not given."""


class SsoProfileResult(msgspec.Struct):
    profile: str
    config_path: Path
    # Set when the file existed and was changed.
    backup_path: Path | None
    changed: bool
    # The sections written (or found already as wanted), as they appear in the file.
    sections: dict[str, dict[str, str]] = msgspec.field(default_factory=dict)

    @property
    def login_command(self) -> str:
        return f"aws sso login --profile {self.profile}"


class SsoProfileSettings(TypedDict):
    """The profile's values, as `write_sso_profile` takes them by keyword."""

    account_id: str
    role_name: str
    start_url: str
    sso_region: str
    region: str


def name_problem(name: str) -> str | None:
    if not NAME_PATTERN.match(name or ""):
        return (
            f"{name!r} is not a usable profile name: use 1-64 letters, digits and _.+=@,- "
            "(starting with a letter or digit)"
        )
    return None


def config_path() -> Path:
    """Where the AWS CLI reads its config: AWS_CONFIG_FILE, else ~/.aws/config."""
    override = os.environ.get("AWS_CONFIG_FILE")
    return Path(override).expanduser() if override else Path.home() / ".aws" / "config"


def settings_from(workspace: Workspace, results: Mapping[str, StepResult[StepFacts]]) -> SsoProfileSettings:
    """The profile's values from a finished check: raises HsmSetupError when Identity Center is not found."""
    found = results.get("identity-center")
    facts = found.facts_as(IdentityCenterFacts) if found is not None else None
    if facts is None or facts.portal_url is None:
        raise HsmSetupError(
            "IAM Identity Center is not enabled yet, so there is no access portal to sign in through.",
            "Finish the identity-center step (hsm-setup apply), then run sso-profile again.",
        )
    return {
        "account_id": workspace.identity.account_id,
        "role_name": str(workspace.answers["admin.permission_set"]),
        "start_url": facts.portal_url,
        "sso_region": facts.region or str(workspace.answers["region"]),
        "region": str(workspace.answers["region"]),
    }


def sections_for(
    name: str, *, account_id: str, role_name: str, start_url: str, sso_region: str, region: str | None = None
) -> dict[str, dict[str, str]]:
    profile_header = "default" if name == "default" else f"profile {name}"
    profile = {"sso_session": name, "sso_account_id": account_id, "sso_role_name": role_name}
    if region:
        profile["region"] = region
    return {
        f"sso-session {name}": {
            "sso_start_url": start_url,
            "sso_region": sso_region,
            "sso_registration_scopes": REGISTRATION_SCOPES,
        },
        profile_header: profile,
    }


def write_sso_profile(
    name: str,
    *,
    account_id: str,
    role_name: str,
    start_url: str,
    sso_region: str,
    region: str | None = None,
    path: Path | None = None,
    force: bool = False,
    now: dt.datetime | None = None,
) -> SsoProfileResult:
    """Add (or with `force`, replace) the sso-session and profile sections; ProfileConflict otherwise."""
    problem = name_problem(name)
    if problem:
        raise HsmSetupError(f"--name: {problem}.", "Choose another name.")
    path = path or config_path()
    wanted = sections_for(
        name, account_id=account_id, role_name=role_name, start_url=start_url, sso_region=sso_region, region=region
    )
    try:
        original = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise HsmSetupError(
            f"Cannot read the AWS config file {path}: {exc}.", "Fix the file or set AWS_CONFIG_FILE to another one."
        ) from None
    text = _edited(original, wanted, force=force, path=path)
    if text == original:
        return SsoProfileResult(name, path, None, False, wanted)
    backup = _backup(path, now) if path.exists() else None
    try:
        atomic_write(path, text)
    except OSError as exc:
        raise HsmSetupError(
            f"Cannot write the AWS config file {path}: {exc.strerror or exc}.", "Check its folder's permissions."
        ) from None
    return SsoProfileResult(name, path, backup, True, wanted)


def _edited(original: str, wanted: dict[str, dict[str, str]], *, force: bool, path: Path) -> str:
    """The config file's text with the wanted sections in it; ProfileConflict when one differs and not `force`."""
    from configupdater import ConfigUpdater
    from configupdater.parser import ParsingError

    # strict=False: the AWS CLI takes a file with a repeated section or key, so hsm-setup does too.
    updater = ConfigUpdater(strict=False)
    try:
        updater.read_string(original if not original or original.endswith("\n") else original + "\n")
    except ParsingError as exc:
        raise HsmSetupError(
            f"Cannot read the AWS config file {path}: line {exc.errors[0][0] if exc.errors else '?'} is not a setting or a section.",
            "Fix the file, or set AWS_CONFIG_FILE to another one.",
        ) from None
    existing = {" ".join(name.split()): name for name in updater.sections()}
    conflicts = [
        header
        for header, values in wanted.items()
        if header in existing and not _same(updater[existing[header]], values)
    ]
    if conflicts and not force:
        which = " and ".join(f"[{h}]" for h in conflicts)
        raise ProfileConflict(
            f"{path} already has {which} with other settings.",
            "Choose another --name, or add --force to replace it (a backup of the file is kept).",
        )
    for header, values in wanted.items():
        if header in conflicts:
            section = updater[existing[header]]
            for key in [k for k in section if k not in values]:
                del section[key]  # what made it a different profile; its comments stay
            for key, value in values.items():
                section[key] = value
        elif header not in existing:
            _append(updater, header, values)
    return str(updater)


def _append(updater: object, header: str, values: dict[str, str]) -> None:
    from configupdater import ConfigUpdater

    assert isinstance(updater, ConfigUpdater)
    if updater.sections():
        last = updater[updater.sections()[-1]]
        # One blank line between sections, as a person would write it.
        if not str(last).endswith("\n\n"):
            last.add_after.space(1)
    updater.add_section(header)
    for key, value in values.items():
        updater[header][key] = value


def _same(section: object, wanted: dict[str, str]) -> bool:
    from configupdater import Section

    assert isinstance(section, Section)
    return all(key in section and (section[key].value or "").strip() == value for key, value in wanted.items())


def _backup(path: Path, now: dt.datetime | None) -> Path:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    backup = path.with_name(f"{path.name}.hsm-setup-backup-{stamp}")
    counter = 1
    while backup.exists():
        counter += 1
        backup = path.with_name(f"{path.name}.hsm-setup-backup-{stamp}-{counter}")
    fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle, open(path, "rb") as source:
        shutil.copyfileobj(source, handle)
    os.chmod(backup, 0o600)
    return backup
