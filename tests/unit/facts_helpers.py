"""Hand-made step facts, so judgements, plans and the readers of facts are tested without AWS."""

from __future__ import annotations

import datetime as dt

from hsm_setup.identity_center.instance import IdentityCenter
from hsm_setup.steps.identity_center import IdentityCenterFacts, Instance, Organization

ACCOUNT = "123456789012"
INSTANCE_ARN = "arn:aws:sso:::instance/ssoins-1111111111111111"
NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


def identity_center_facts(
    identity_store_id: str = "d-1234567890",
    region: str = "us-east-1",
    *,
    chosen_region: str | None = None,
    kind: str = "ORGANIZATION",
    status: str = "ACTIVE",
    organization: Organization | None = Organization("o-abc", ACCOUNT, "ALL"),
    instance: bool = True,
    search_note: str = "",
) -> IdentityCenterFacts:
    found = Instance(INSTANCE_ARN, identity_store_id, status, ACCOUNT, kind) if instance else None  # type: ignore[arg-type]
    return IdentityCenterFacts(ACCOUNT, chosen_region or region, region, found, organization, search_note)


def identity_center(region: str = "us-east-1") -> IdentityCenter:
    return IdentityCenter(INSTANCE_ARN, "d-1234567890", region)
