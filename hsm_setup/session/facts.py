"""The few facts about the account the session itself shows: read in one place."""

from __future__ import annotations

from typing import Mapping

from hsm_setup.model import StepResult
from hsm_setup.session.workspace import Workspace

IDENTITY_CENTER = "identity-center"
ADMIN_USER = "admin-user"


def account_alias(ws: Workspace) -> str | None:
    """The account alias is a nicety: any failure (no permission) just leaves it out (blocks)."""
    try:
        aliases = ws.aws.client("iam").list_account_aliases().get("AccountAliases") or []
    except Exception:
        return None
    return str(aliases[0]) if aliases else None


def portal_url(results: Mapping[str, StepResult]) -> str | None:
    result = results.get(IDENTITY_CENTER)
    url = result.facts.get("portal_url") if result is not None else None
    return str(url) if url else None


def sign_in_url(results: Mapping[str, StepResult]) -> str | None:
    result = results.get(ADMIN_USER)
    url = result.facts.get("sign_in_url") if result is not None else None
    return str(url) if url else None
