"""moto's state for the practice account, reached directly where a correction
needs to read or seed it. moto is imported on first use, never at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .catalog import ACCOUNT_ID

if TYPE_CHECKING:
    from moto.identitystore.models import IdentityStoreBackend
    from moto.organizations.models import OrganizationsBackend
    from moto.ssoadmin.models import SSOAdminBackend


def iam() -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[ACCOUNT_ID]["aws"]


def iam_of(account_id: str) -> Any:
    """The IAM backend of any account: a member account reached through its member role has its own."""
    from moto.iam.models import iam_backends

    return iam_backends[account_id]["aws"]


def sts() -> Any:
    from moto.sts.models import sts_backends

    return sts_backends[ACCOUNT_ID]["aws"]


def organizations() -> OrganizationsBackend:
    from moto.organizations.models import organizations_backends

    return organizations_backends[ACCOUNT_ID]["aws"]


def sso_admin(region: str) -> SSOAdminBackend:
    from moto.ssoadmin.models import ssoadmin_backends

    return ssoadmin_backends[ACCOUNT_ID][region]


def identity_store(region: str) -> IdentityStoreBackend:
    from moto.identitystore.models import identitystore_backends

    return identitystore_backends[ACCOUNT_ID][region]


def organization_backend() -> Any:
    """moto's backend of the organization the practice account belongs to (as management or member), or None."""
    from moto.organizations.models import organizations_backends

    own = organizations()
    if own.org is not None:
        return own
    if ACCOUNT_ID in organizations_backends.master_accounts:
        management, partition = organizations_backends.master_accounts[ACCOUNT_ID]
        return organizations_backends[management][partition]
    return None


def join_organization_as_member(management_account_id: str) -> Any:
    """Make the practice account a member of an organization another account manages; returns that organization."""
    from moto.organizations.models import FakeAccount, organizations_backends

    backend = organizations_backends[management_account_id]["aws"]
    backend.create_organization(region="us-east-1", FeatureSet="ALL")
    org = backend.org
    assert org is not None  # just created
    member = FakeAccount(org, AccountName="cloudhsm", Email="cloudhsm@example.com")
    member.id = ACCOUNT_ID
    member.joined_method = "INVITED"
    backend.accounts.append(member)
    organizations_backends.master_accounts[ACCOUNT_ID] = (management_account_id, "aws")
    return org


def is_management_account() -> bool:
    """True when the practice account is the management account of an organization."""
    org = organizations().org
    return org is not None and org.master_account_id == ACCOUNT_ID


def share_data_loader(boto3_session: Any) -> Any:
    """Make a boto3 Session parse botocore's data files through the practice account's one loader,
    so moto and the seeding clients hold one copy of each. It is not hsm-setup's own (which keeps
    only the endpoints hsm-setup calls): moto asks botocore about every service it emulates."""
    from hsm_setup.aws.data_loader import every_service_loader

    boto3_session._session.register_component("data_loader", every_service_loader())
    return boto3_session


def reset_all() -> None:
    """Every moto backend back to its defaults, as POST /moto-api/reset does."""
    from moto.core.base_backend import AccountSpecificBackend
    from moto.moto_api._internal.models import moto_api_backend
    from moto.organizations.models import organizations_backends

    share_data_loader(AccountSpecificBackend.get_session())

    moto_api_backend.reset()
    # moto keeps which organization each member account belongs to beside its backends, and a
    # reset leaves it: without this, a member account stays one in the next scenario.
    organizations_backends.master_accounts.clear()


def register_instance(record: Any) -> None:
    """Make moto's sso-admin and identitystore backends know an instance the practice account created.

    moto invents an instance in every Region's backend; only the practice
    account's own instances are left, so moto's look-ups (ProvisionPermissionSet)
    find exactly what ListInstances shows.
    """
    from moto.identitystore.models import IdentityStoreData
    from moto.ssoadmin.models import Instance

    backend = sso_admin(record.region)
    instance = Instance(ACCOUNT_ID, record.region)
    instance.instance_arn = record.arn
    instance.identity_store_id = record.identity_store_id
    instance.name = record.name
    instance.created_date = record.created.timestamp()
    backend.instances[:] = [instance]
    # moto would parse every AWS managed policy (~60 MiB) on the first AttachManagedPolicyToPermissionSet.
    if not isinstance(backend.aws_managed_policies, ManagedPoliciesByName):
        backend.aws_managed_policies = ManagedPoliciesByName()
    identity_store(record.region).identity_stores.setdefault(record.identity_store_id, IdentityStoreData())


def managed_policy_data(name: str) -> dict[str, Any] | None:
    """One policy's entry from moto's 4.7 MB document of them all.

    Only that entry is parsed: the whole document as Python objects adds about
    60 MiB to the process (the wizard with the practice account would pass 120 MiB).
    """
    import json

    from moto.iam.aws_managed_policies import aws_managed_policies_data as text

    start = text.find(f'\n "{name}":')  # the document's top-level keys, one a line
    if start < 0:
        return None if f'"{name}"' not in text else json.loads(text).get(name)
    value, _ = json.JSONDecoder().raw_decode(text, text.index(":", start + 2) + 1)
    return value if isinstance(value, dict) else None


class ManagedPoliciesByName(dict):
    """moto's table of AWS managed policies (it only calls .get), filled one policy at a time."""

    def get(self, name: str, default: Any = None) -> Any:
        if name not in self:
            self[name] = managed_policy_data(name)
        value = self[name]
        return default if value is None else value


def unregister_instance(record: Any) -> None:
    backend = sso_admin(record.region)
    backend.instances[:] = [i for i in backend.instances if i.instance_arn != record.arn]
    backend.permission_sets[:] = [ps for ps in backend.permission_sets if ps.instance_arn != record.arn]
    backend.account_assignments[:] = [a for a in backend.account_assignments if a.instance_arn != record.arn]
    identity_store(record.region).identity_stores.pop(record.identity_store_id, None)


def moto_instance(arn: str, region: str) -> Any:
    for instance in sso_admin(region).instances:
        if instance.instance_arn == arn:
            return instance
    return None
