"""organizations, as AWS answers a delegated administrator.

AWS lets a member account that is a delegated administrator for any AWS service read the organization
(ListRoots, ListAccounts, ListOrganizationalUnitsForParent, ...): "This operation can be called only from
the organization's management account or by a member account that is a delegated administrator for an AWS
service" (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html). moto answers
a member account from its own, empty backend; here such reads are answered from the management account's.
A member account that is no delegated administrator is refused, as AWS refuses it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .. import backends
from ..catalog import ACCOUNT_ID
from ..exchange import Exchange
from ..wire import Reply
from .sts import caller_of

SERVICE = "organizations"

READS = (
    "ListRoots",
    "ListAccounts",
    "ListAccountsForParent",
    "ListOrganizationalUnitsForParent",
    "ListParents",
    "ListChildren",
    "DescribeAccount",
    "DescribeOrganizationalUnit",
    "ListDelegatedAdministrators",
    "ListDelegatedServicesForAccount",
)
NOT_PERMITTED = "You don't have permissions to access this resource."


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def _management_backend_of_member() -> Any:
    """The management account's backend when the practice account is a member of an organization, else None."""
    from moto.organizations.models import organizations_backends

    if backends.organizations().org is not None or ACCOUNT_ID not in organizations_backends.master_accounts:
        return None
    management, partition = organizations_backends.master_accounts[ACCOUNT_ID]
    return organizations_backends[management][partition]


def _is_delegated_administrator(x: Exchange, management: Any) -> bool:
    """Registered in the organization, or IAM's delegated administrator for central root access (world.py)."""
    central = x.world.central_root
    if central is not None and central.delegated_to_this_account:
        return True
    return any(admin.account.id == ACCOUNT_ID and admin.services for admin in management.admins)


def read_as_member(x: Exchange) -> Reply | None:
    management = _management_backend_of_member()
    if management is None or caller_of(x).account != ACCOUNT_ID:
        return None  # the management account itself, or a role session in another account: moto's answer
    if not _is_delegated_administrator(x, management):
        return x.error("AccessDeniedException", NOT_PERMITTED, 400)
    from moto.core.exceptions import JsonRESTError
    from moto.organizations.responses import OrganizationsResponse

    class AsManagement(OrganizationsResponse):
        @property
        def organizations_backend(self) -> Any:
            return management

    response = AsManagement()
    response.body = json.dumps(x.call.params)
    try:
        body = getattr(response, _snake(x.call.operation))()
    except JsonRESTError as exc:
        return x.error(exc.error_type, exc.message, exc.code)
    return Reply(200, body.encode(), [("Content-Type", "application/x-amz-json-1.1")])


HANDLERS = dict.fromkeys(READS, read_as_member)
