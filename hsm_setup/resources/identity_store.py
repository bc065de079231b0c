"""Identity Center users, groups and group memberships hsm-setup creates in the identity store."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from hsm_setup.aws.cli_command import CliArg, cli
from hsm_setup.aws.clients import AwsSession
from hsm_setup.resources.base import Record, Sleep, found, unless_gone

if TYPE_CHECKING:
    from mypy_boto3_identitystore.client import IdentityStoreClient


class _InStore(Record, frozen=True, kw_only=True):
    """Something in one identity store, reached through its Region."""

    identity_store_id: str
    region: str

    def _store(self, aws: AwsSession) -> IdentityStoreClient:
        return aws.client("identitystore", self.region)

    def _cli(self, command: str, *args: CliArg) -> str:
        return cli(
            "identitystore", command, ("--region", self.region), ("--identity-store-id", self.identity_store_id), *args
        )


class IdentityCenterUser(_InStore, frozen=True, kw_only=True):
    kind: ClassVar[str] = "identity-center-user"
    what: ClassVar[str] = "Identity Center user"
    # CloudFormation has identity store groups and memberships, no users:
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/AWS_IdentityStore.html
    ID_FIELD: ClassVar[str | None] = "user_id"

    user_id: str
    name: str | None = None

    def exists(self, aws: AwsSession) -> bool:
        return found(
            lambda: self._store(aws).describe_user(IdentityStoreId=self.identity_store_id, UserId=self.user_id)
        )

    def undo(self, aws: AwsSession, sleep: Sleep) -> str:
        store = self._store(aws)
        return unless_gone(
            lambda: store.delete_user(IdentityStoreId=self.identity_store_id, UserId=self.user_id), "deleted"
        )

    def undo_summary(self) -> str:
        return f"Delete the Identity Center user {self.name or self.user_id}"

    def undo_commands(self) -> list[str]:
        return [self._cli("delete-user", ("--user-id", self.user_id))]


class IdentityCenterGroup(_InStore, frozen=True, kw_only=True):
    kind: ClassVar[str] = "identity-center-group"
    what: ClassVar[str] = "Identity Center group"
    cfn_type: ClassVar[str | None] = "AWS::IdentityStore::Group"
    ID_FIELD: ClassVar[str | None] = "group_id"

    group_id: str
    name: str | None = None

    def exists(self, aws: AwsSession) -> bool:
        return found(
            lambda: self._store(aws).describe_group(IdentityStoreId=self.identity_store_id, GroupId=self.group_id)
        )

    def undo(self, aws: AwsSession, sleep: Sleep) -> str:
        store = self._store(aws)
        return unless_gone(
            lambda: store.delete_group(IdentityStoreId=self.identity_store_id, GroupId=self.group_id), "deleted"
        )

    def undo_summary(self) -> str:
        return f"Delete the Identity Center group {self.name or self.group_id}"

    def undo_commands(self) -> list[str]:
        return [self._cli("delete-group", ("--group-id", self.group_id))]


class GroupMembership(_InStore, frozen=True, kw_only=True):
    kind: ClassVar[str] = "group-membership"
    what: ClassVar[str] = "Identity Center group membership"
    cfn_type: ClassVar[str | None] = "AWS::IdentityStore::GroupMembership"
    ID_FIELD: ClassVar[str | None] = "membership_id"

    membership_id: str
    # The group's display name, its id and the user's name, for the plan's words.
    group: str | None = None
    group_id: str | None = None
    user: str | None = None

    def exists(self, aws: AwsSession) -> bool:
        return found(
            lambda: self._store(aws).describe_group_membership(
                IdentityStoreId=self.identity_store_id, MembershipId=self.membership_id
            )
        )

    def undo(self, aws: AwsSession, sleep: Sleep) -> str:
        store = self._store(aws)
        return unless_gone(
            lambda: store.delete_group_membership(
                IdentityStoreId=self.identity_store_id, MembershipId=self.membership_id
            ),
            "removed",
        )

    def undo_summary(self) -> str:
        return f"Remove {self.user or 'a user'} from the Identity Center group {self.group or ''}"

    def undo_commands(self) -> list[str]:
        return [self._cli("delete-group-membership", ("--membership-id", self.membership_id))]
