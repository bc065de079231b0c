"""The IAM administrator hsm-setup creates in IAM mode, and its console password."""

from __future__ import annotations

from typing import ClassVar

from hsm_setup.aws.cli_command import cli
from hsm_setup.aws.clients import AwsSession
from hsm_setup.errors import HsmSetupError, is_code
from hsm_setup.resources.base import Record, Sleep, found, gone, unless_gone


class IamUser(Record, frozen=True, kw_only=True):
    kind: ClassVar[str] = "iam-user"
    what: ClassVar[str] = "IAM user"
    cfn_type: ClassVar[str | None] = "AWS::IAM::User"
    ID_FIELD: ClassVar[str | None] = "name"

    name: str
    arn: str | None = None

    @classmethod
    def row_ident(cls, name: str, identifier: str) -> str:
        return name

    def exists(self, aws: AwsSession) -> bool:
        return found(lambda: aws.client("iam").get_user(UserName=self.name))

    def undo(self, aws: AwsSession, sleep: Sleep) -> str:
        try:
            aws.client("iam").delete_user(UserName=self.name)
        except Exception as exc:
            if gone(exc):
                return "already gone"
            if is_code(exc, "DeleteConflict"):
                # Access keys, MFA devices or policies added after hsm-setup made the user are not
                # hsm-setup's to remove: say so rather than strip the user bare.
                raise HsmSetupError(
                    f"The IAM user {self.name} has things hsm-setup did not give it (access keys, MFA devices, policies or groups).",
                    "Remove them in the IAM console if the user should go, then run teardown again; or keep the user.",
                ) from None
            raise
        return "deleted"

    def undo_summary(self) -> str:
        return f"Delete the IAM user {self.name}"

    def undo_commands(self) -> list[str]:
        return [cli("iam", "delete-user", ("--user-name", self.name))]


class IamLoginProfile(Record, frozen=True, kw_only=True):
    """An IAM user's console password (in CloudFormation: the user's LoginProfile). Never the password itself."""

    kind: ClassVar[str] = "iam-login-profile"
    what: ClassVar[str] = "Console password of an IAM user"

    user: str

    @property
    def ident(self) -> str:
        return self.user

    def exists(self, aws: AwsSession) -> bool:
        return found(lambda: aws.client("iam").get_login_profile(UserName=self.user))

    def undo(self, aws: AwsSession, sleep: Sleep) -> str:
        return unless_gone(lambda: aws.client("iam").delete_login_profile(UserName=self.user), "deleted")

    def undo_summary(self) -> str:
        return f"Delete the console password of the IAM user {self.user}"

    def undo_commands(self) -> list[str]:
        return [cli("iam", "delete-login-profile", ("--user-name", self.user))]
