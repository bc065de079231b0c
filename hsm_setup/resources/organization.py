"""The organization hsm-setup creates when an account has none (Identity Center's organization instance needs one).

Teardown never removes it: an organization goes only once every member account has
left it, and deleting it is a decision for a person in the management account
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_org_delete.html).
Its note is kept so teardown can say that it stays, and why.
"""

from __future__ import annotations

from typing import ClassVar

from hsm_setup.aws.cli_command import cli
from hsm_setup.aws.clients import AwsSession
from hsm_setup.errors import HsmSetupError, is_code
from hsm_setup.resources.base import Record, Sleep

WHY_IT_STAYS = (
    "only a person can delete an organization, from its management account, once no other account is in it: "
    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_org_delete.html"
)


class Organization(Record, frozen=True, kw_only=True):
    kind: ClassVar[str] = "organization"
    what: ClassVar[str] = "Organization"
    ID_FIELD: ClassVar[str | None] = "organization_id"
    left_to_a_person: ClassVar[str | None] = WHY_IT_STAYS

    organization_id: str

    def exists(self, aws: AwsSession) -> bool:
        try:
            found = aws.client("organizations").describe_organization()["Organization"]["Id"]
        except Exception as exc:
            if is_code(exc, "AWSOrganizationsNotInUseException"):
                return False
            raise
        return bool(found == self.organization_id)

    def undo(self, aws: AwsSession, sleep: Sleep) -> str:
        raise HsmSetupError(f"Teardown leaves the organization {self.organization_id}.", WHY_IT_STAYS)

    def undo_summary(self) -> str:
        return f"Delete the organization {self.organization_id} (by a person)"

    def undo_commands(self) -> list[str]:
        return [cli("organizations", "delete-organization")]
