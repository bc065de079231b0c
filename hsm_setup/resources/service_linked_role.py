"""The CloudHSM service-linked role, when hsm-setup created it ahead of the first cluster."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from hsm_setup.aws.cli_command import cli
from hsm_setup.errors import HsmSetupError
from hsm_setup.resources.base import IamSource, Record, Sleep, found, gone

# Polling a service-linked role's deletion: about a minute in all before handing over to a re-run.
POLL_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0)
# DeleteServiceLinkedRole only starts a deletion task; the task fails while the linked service still uses the role,
# and GetServiceLinkedRoleDeletionStatus then names what uses it (RoleUsageList: Region and resources)
# (https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteServiceLinkedRole.html). For CloudHSM that is a
# cluster: AWS keeps the role while one exists (https://docs.aws.amazon.com/cloudhsm/latest/userguide/service-linked-roles.html).
SERVICE_LINKED_ROLES_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html"


class ServiceLinkedRole(Record, frozen=True, kw_only=True):
    kind: ClassVar[str] = "service-linked-role"
    what: ClassVar[str] = "Service-linked role"
    cfn_type: ClassVar[str | None] = "AWS::IAM::ServiceLinkedRole"
    ID_FIELD: ClassVar[str | None] = "name"
    kept_unless_asked: ClassVar[str | None] = (
        "AWS keeps it while clusters exist; add --include-service-linked-role to remove it"
    )

    name: str
    arn: str | None = None

    @classmethod
    def row_ident(cls, name: str, identifier: str) -> str:
        return name

    def exists(self, aws: IamSource) -> bool:
        return found(lambda: aws.client("iam").get_role(RoleName=self.name))

    def undo(self, aws: IamSource, sleep: Sleep) -> str:
        iam = aws.client("iam")
        try:
            task = iam.delete_service_linked_role(RoleName=self.name)["DeletionTaskId"]
        except Exception as exc:
            if gone(exc):
                return "already gone"
            raise
        for delay in POLL_DELAYS:
            status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
            if status.get("Status") == "SUCCEEDED":
                return "deleted"
            if status.get("Status") == "FAILED":
                raise refused(self.name, status.get("Reason") or {})
            sleep(delay)
        raise HsmSetupError(
            f"AWS is still deleting {self.name} (task {task}).", "Run teardown again in a minute: it finishes the job."
        )

    def undo_summary(self) -> str:
        return f"Delete the service-linked role {self.name} (AWS refuses while a CloudHSM cluster exists)"

    def undo_commands(self) -> list[str]:
        return [cli("iam", "delete-service-linked-role", ("--role-name", self.name))]


def refused(name: str, reason: Mapping[str, Any]) -> HsmSetupError:
    """A failed deletion task: AWS's reason and the resources it names, and what to do about them."""
    cause = str(reason.get("Reason") or "AWS gave no reason (a CloudHSM cluster may still use it)").rstrip(".")
    used = [
        f"{resource} ({usage.get('Region')})" if usage.get("Region") else str(resource)
        for usage in reason.get("RoleUsageList") or []
        for resource in usage.get("Resources") or []
    ]
    if used:
        cause += f"; still in use by {', '.join(used[:5])}" + (f" and {len(used) - 5} more" if len(used) > 5 else "")
    return HsmSetupError(
        f"AWS did not delete {name}: {cause}.",
        "Delete the CloudHSM clusters that use it (their HSMs first, then each cluster: aws cloudhsmv2 delete-hsm, "
        "delete-cluster) and run teardown again, or keep the role: AWS keeps a service-linked role while its "
        f"service uses it ({SERVICE_LINKED_ROLES_PAGE}).",
    )
