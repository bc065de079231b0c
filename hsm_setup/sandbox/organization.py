"""The practice account's organizations at scale: the `org` and `delegated` scenarios.

Member accounts are seeded straight into moto's Organizations backend (moto's CreateAccount does the same
work one request at a time), with distinct joined times so ListAccounts pages stay stable. Each member
account gets the member role that AWS Organizations creates in accounts it creates
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_create-cross-account-role.html),
except a few where it is missing, as in accounts invited without it. No AWS managed policy is loaded into a
member account: moto would keep all ~1,300 of them in each (about 15 MiB an account).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from . import backends
from .catalog import ACCOUNT_ID, DEFAULT_REGION, MANAGEMENT_ACCOUNT_ID

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .account import PracticeAccount

MEMBER_ROLE = "OrganizationAccountAccessRole"
SSO_SERVICE_PRINCIPAL = "sso.amazonaws.com"
# Member account ids: 2000_0000_0000 + n, clear of the practice and management accounts.
FIRST_MEMBER_ID = 200_000_000_000
# Every 11th account is suspended and every 13th lacks the member role: "a few" at any size, 12 included.
SUSPENDED_EVERY = 11
ROLE_MISSING_EVERY = 13
# The OU tree: (name, parent name or None for the root). Accounts go round the leaves, and a few stay at the root.
OU_TREE: tuple[tuple[str, str | None], ...] = (
    ("Security", None),
    ("Workloads", None),
    ("Production", "Workloads"),
    ("Development", "Workloads"),
    ("CloudHSM", "Production"),
    ("Sandbox", None),
)
LEAVES = ("Security", "CloudHSM", "Production", "Development", "Sandbox")


@dataclass(frozen=True)
class SeededOrganization:
    """What a scenario made, so tests and benchmarks can name accounts without reading them back."""

    management_account_id: str
    member_ids: tuple[str, ...]
    suspended: frozenset[str]
    role_missing: frozenset[str]
    ou_ids: dict[str, str] = field(default_factory=dict)  # OU name -> id


def member_id(n: int) -> str:
    return f"{FIRST_MEMBER_ID + n:012d}"


def seed_org(account: PracticeAccount, accounts: int) -> SeededOrganization:
    """The practice account is the management account; Identity Center is enabled in us-east-1."""
    account.simulate("root-mfa")
    account.simulate("root-access-keys")
    backend = backends.organizations()
    backend.create_organization(region=DEFAULT_REGION, FeatureSet="ALL")
    account.simulate("enable-identity-center", region=DEFAULT_REGION)
    return _add_members(backend, accounts)


def seed_delegated(account: PracticeAccount, accounts: int) -> SeededOrganization:
    """The practice account is a member registered as Identity Center's delegated administrator; the
    organization instance belongs to the management account (its OwnerAccountId)."""
    from .simulations import new_instance
    from .world import ORGANIZATION_INSTANCE

    backends.join_organization_as_member(MANAGEMENT_ACCOUNT_ID)
    from moto.organizations.models import organizations_backends

    management = organizations_backends[MANAGEMENT_ACCOUNT_ID]["aws"]
    seeded = _add_members(management, accounts)
    _register_delegated_administrator(management, ACCOUNT_ID, SSO_SERVICE_PRINCIPAL)
    record = new_instance(MANAGEMENT_ACCOUNT_ID, DEFAULT_REGION, ORGANIZATION_INSTANCE)
    account.world.instances.append(record)
    backends.register_instance(record)
    return seeded


def _register_delegated_administrator(management: Any, account_id: str, service_principal: str) -> None:
    """moto's RegisterDelegatedAdministrator does not know sso.amazonaws.com, which AWS accepts
    (https://docs.aws.amazon.com/singlesignon/latest/userguide/delegated-admin.html): recorded directly."""
    from moto.core.utils import unix_time
    from moto.organizations.models import FakeDelegatedAdministrator

    admin = FakeDelegatedAdministrator(management.get_account_by_id(account_id))
    admin.services[service_principal] = {"ServicePrincipal": service_principal, "DelegationEnabledDate": unix_time()}
    management.admins.append(admin)


def _add_members(backend: Any, accounts: int) -> SeededOrganization:
    from moto.organizations.models import FakeAccount, FakeOrganizationalUnit, organizations_backends

    org = backend.org
    ou_ids: dict[str, str] = {}
    for name, parent in OU_TREE:
        ou = FakeOrganizationalUnit(org, Name=name, ParentId=ou_ids[parent] if parent else org.root_id)
        backend.ou.append(ou)
        ou_ids[name] = ou.id
    # moto keeps naive UTC times.
    joined = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=365)
    ids: list[str] = []
    suspended: set[str] = set()
    missing: set[str] = set()
    for n in range(accounts):
        # FakeAccount.__init__ makes the member role itself, through IAM; made here instead, where it is wanted.
        member = cast("FakeAccount", FakeAccount.__new__(FakeAccount))
        _fill_account(member, org, n, joined + dt.timedelta(minutes=n))
        member.parent_id = org.root_id if n % len(LEAVES) == 0 and n % 2 else ou_ids[LEAVES[n % len(LEAVES)]]
        if n % SUSPENDED_EVERY == SUSPENDED_EVERY - 1:
            member.close()
            suspended.add(member.id)
        if n % ROLE_MISSING_EVERY == ROLE_MISSING_EVERY - 8:
            missing.add(member.id)
        else:
            add_member_role(member.id, org.master_account_id)
        backend.accounts.append(member)
        organizations_backends.master_accounts[member.id] = (backend.account_id, backend.partition)
        ids.append(member.id)
    return SeededOrganization(org.master_account_id, tuple(ids), frozenset(suspended), frozenset(missing), ou_ids)


def add_member_role(account_id: str, management_account_id: str) -> None:
    """The member role in a member account, trusting the management account, as AWS Organizations makes it
    (and as a person makes it in an invited account that lacks it)."""
    from moto.iam.models import iam_backends

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{management_account_id}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam_backends[account_id]["global"].create_role(
        role_name=MEMBER_ROLE,
        assume_role_policy_document=json.dumps(trust),
        path="/",
        permissions_boundary=None,
        description="",
        tags=[],
        max_session_duration="3600",
    )


def _fill_account(member: Any, org: Any, n: int, joined: dt.datetime) -> None:
    from moto.organizations import utils

    member.type = "ACCOUNT"
    member.region = org.region
    member.organization_id = org.id
    member.master_account_id = org.master_account_id
    member.create_account_status_id = utils.make_random_create_account_status_id()
    member.id = member_id(n)
    member.name = f"workload-{n + 1:04d}"
    member.email = f"workload-{n + 1:04d}@example.com"
    member.create_time = joined
    member.status = "ACTIVE"
    member.state = "ACTIVE"
    member.joined_method = "CREATED"
    member.attached_policies = []
    member.tags = {}
