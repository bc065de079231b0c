"""The CloudHSM service-linked role, when hsm-setup created it ahead of the first cluster."""

from __future__ import annotations

from typing import ClassVar

from hsm_setup.aws.cli_command import cli
from hsm_setup.aws.clients import AwsSession
from hsm_setup.errors import HsmSetupError
from hsm_setup.resources.base import Record, Sleep, found, gone

# Polling a service-linked role's deletion: about a minute in all before handing over to a re-run.
POLL_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0)


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

    def exists(self, aws: AwsSession) -> bool:
        return found(lambda: aws.client("iam").get_role(RoleName=self.name))

    def undo(self, aws: AwsSession, sleep: Sleep) -> str:
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
                reason = (status.get("Reason") or {}).get(
                    "Reason"
                ) or "AWS gave no reason (a CloudHSM cluster may still use it)"
                raise HsmSetupError(
                    f"AWS did not delete {self.name}: {reason}.",
                    "Delete the clusters that use it first, or keep the role.",
                )
            sleep(delay)
        raise HsmSetupError(
            f"AWS is still deleting {self.name} (task {task}).", "Run teardown again in a minute: it finishes the job."
        )

    def undo_summary(self) -> str:
        return f"Delete the service-linked role {self.name} (AWS refuses while a CloudHSM cluster exists)"

    def undo_commands(self) -> list[str]:
        return [cli("iam", "delete-service-linked-role", ("--role-name", self.name))]
