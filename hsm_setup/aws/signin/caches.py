"""Where the AWS CLI keeps what signing in produced, and under which names.

Assumed-role credentials: ~/.aws/cli/cache/<key>.json, the key being botocore's
AssumeRoleCredentialFetcher's (the AWS CLI v1 and v2 both hand a JSONFileCache of that
folder to botocore's assume-role provider: awscli/customizations/assumerole.py). SSO
tokens: ~/.aws/sso/cache/<sha1 of the sso-session name, or of the start URL>.json, as
`aws sso login` writes them. Paths are worked out when asked, not at import, so the
home folder in force is the one used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def cli_cache_dir() -> Path:
    """The AWS CLI's cache of assumed-role credentials."""
    return Path(os.path.expanduser(os.path.join("~", ".aws", "cli", "cache")))


def sso_cache_dir() -> Path:
    """Where `aws sso login` keeps IAM Identity Center tokens and client registrations."""
    return Path(os.path.expanduser(os.path.join("~", ".aws", "sso", "cache")))


def _sso_timestamp(value: object) -> object:
    # `aws sso login` writes times as 2026-01-01T10:00:00Z (awscli/customizations/sso/utils.py).
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def sso_json_dumps(obj: object) -> str:
    return json.dumps(obj, default=_sso_timestamp)


def role_cache() -> Any:
    """botocore.utils.JSONFileCache on the AWS CLI's folder (files 0600, written atomically)."""
    from botocore.utils import JSONFileCache

    return JSONFileCache(str(cli_cache_dir()))


def sso_token_cache() -> Any:
    from botocore.utils import JSONFileCache

    return JSONFileCache(str(sso_cache_dir()), dumps_func=sso_json_dumps)


def sso_token_key(start_url: str, session_name: str | None) -> str:
    """botocore.utils.SSOTokenLoader's key: the sso-session's name, else the start URL, hashed."""
    return hashlib.sha1((session_name if session_name is not None else start_url).encode("utf-8")).hexdigest()


def sso_registration_key(start_url: str, region: str, scopes: list[str] | None, session_name: str | None) -> str:
    """The key `aws sso login` files its OIDC client registration under (botocore's SSOTokenFetcher)."""
    args = {"tool": "botocore", "startUrl": start_url, "region": region, "scopes": scopes, "session_name": session_name}
    return hashlib.sha1(json.dumps(args, sort_keys=True).encode("utf-8")).hexdigest()


def role_cache_key(role_config: Mapping[str, Any]) -> str:
    """The file name (without .json) botocore gives a role's cached credentials.

    Mirrors BaseAssumeRoleCredentialFetcher._create_cache_key for the arguments
    AssumeRoleProvider builds from a profile (role_arn, role_session_name, external_id,
    mfa_serial, duration_seconds); a test compares the two.
    """
    args: dict[str, Any] = {"RoleArn": role_config["role_arn"]}
    if role_config.get("role_session_name") is not None:
        args["RoleSessionName"] = role_config["role_session_name"]
    if role_config.get("external_id") is not None:
        args["ExternalId"] = role_config["external_id"]
    if role_config.get("mfa_serial") is not None:
        args["SerialNumber"] = role_config["mfa_serial"]
    duration = role_config.get("duration_seconds")
    if duration is not None:
        # botocore ignores a duration that is not a number.
        with contextlib.suppress(TypeError, ValueError):
            args["DurationSeconds"] = int(duration)
    digest = hashlib.sha1(json.dumps(args, sort_keys=True).encode("utf-8")).hexdigest()
    return digest.replace(":", "_").replace(os.sep, "_").replace("/", "_")


def read_json(folder: Path, key: str) -> dict[str, Any] | None:
    """A cache entry, or None when there is none or it cannot be read (as botocore treats it)."""
    try:
        data = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
