"""The few facts about the account the session itself shows: read in one place."""

from __future__ import annotations

from collections.abc import Mapping

from hsm_setup.model import StepFacts, StepResult
from hsm_setup.session.workspace import Workspace
from hsm_setup.steps.admin_user_iam import IamAdminFacts
from hsm_setup.steps.identity_center import IdentityCenterFacts

IDENTITY_CENTER = "identity-center"
ADMIN_USER = "admin-user"


def account_alias(ws: Workspace) -> str | None:
    """The account alias is a nicety: any failure (no permission) just leaves it out (blocks)."""
    try:
        aliases = ws.aws.client("iam").list_account_aliases().get("AccountAliases") or []
    except Exception:
        return None
    return str(aliases[0]) if aliases else None


def portal_url(results: Mapping[str, StepResult[StepFacts]]) -> str | None:
    result = results.get(IDENTITY_CENTER)
    facts = result.facts_as(IdentityCenterFacts) if result is not None else None
    return facts.portal_url if facts is not None else None


def sign_in_url(results: Mapping[str, StepResult[StepFacts]]) -> str | None:
    result = results.get(ADMIN_USER)
    facts = result.facts_as(IamAdminFacts) if result is not None else None
    return facts.sign_in_url if facts is not None else None
