"""IAM groups hsm-setup creates, the users it adds to them and the policies it attaches to them."""

from __future__ import annotations

from typing import ClassVar

from hsm_setup.aws.cli_command import cli
from hsm_setup.resources.base import IamSource, Record, Sleep, found, gone, unless_gone


class IamGroup(Record, frozen=True, kw_only=True):
    kind: ClassVar[str] = "iam-group"
    what: ClassVar[str] = "IAM group"
    cfn_type: ClassVar[str | None] = "AWS::IAM::Group"
    ID_FIELD: ClassVar[str | None] = "name"

    name: str
    arn: str | None = None

    @classmethod
    def row_ident(cls, name: str, identifier: str) -> str:
        return name

    def exists(self, aws: IamSource) -> bool:
        return found(lambda: aws.client("iam").get_group(GroupName=self.name, MaxItems=1))

    def undo(self, aws: IamSource, sleep: Sleep) -> str:
        iam = aws.client("iam")
        try:
            members = [
                u["UserName"]
                for page in iam.get_paginator("get_group").paginate(GroupName=self.name)
                for u in page.get("Users", [])
            ]
            attached = [
                p["PolicyArn"]
                for page in iam.get_paginator("list_attached_group_policies").paginate(GroupName=self.name)
                for p in page.get("AttachedPolicies", [])
            ]
            inline = [
                n
                for page in iam.get_paginator("list_group_policies").paginate(GroupName=self.name)
                for n in page.get("PolicyNames", [])
            ]
        except Exception as exc:
            if gone(exc):
                return "already gone"
            raise
        # IAM deletes a group only once it is empty; what is in it goes with the group hsm-setup made.
        for user in members:
            iam.remove_user_from_group(GroupName=self.name, UserName=user)
        for arn in attached:
            iam.detach_group_policy(GroupName=self.name, PolicyArn=arn)
        for policy_name in inline:
            iam.delete_group_policy(GroupName=self.name, PolicyName=policy_name)
        return unless_gone(lambda: iam.delete_group(GroupName=self.name), "deleted")

    def undo_summary(self) -> str:
        return f"Delete the IAM group {self.name} (removing any member or policy still in it: IAM requires it)"

    def undo_commands(self) -> list[str]:
        return [cli("iam", "delete-group", ("--group-name", self.name))]


class IamGroupMember(Record, frozen=True, kw_only=True):
    kind: ClassVar[str] = "iam-group-member"
    what: ClassVar[str] = "IAM group member"
    cfn_type: ClassVar[str | None] = "AWS::IAM::UserToGroupAddition"

    group: str
    user: str

    @property
    def ident(self) -> str:
        return f"{self.group}|{self.user}"

    def exists(self, aws: IamSource) -> bool:
        # A user is in at most 10 groups: one call, however many members the group has.
        try:
            groups = aws.client("iam").list_groups_for_user(UserName=self.user).get("Groups", [])
        except Exception as exc:
            if gone(exc):
                return False
            raise
        return any(g.get("GroupName") == self.group for g in groups)

    def undo(self, aws: IamSource, sleep: Sleep) -> str:
        return unless_gone(
            lambda: aws.client("iam").remove_user_from_group(GroupName=self.group, UserName=self.user), "removed"
        )

    def undo_summary(self) -> str:
        return f"Remove IAM user {self.user} from the IAM group {self.group}"

    def undo_commands(self) -> list[str]:
        return [cli("iam", "remove-user-from-group", ("--group-name", self.group), ("--user-name", self.user))]


class IamGroupPolicy(Record, frozen=True, kw_only=True):
    """A managed policy attached to an IAM group (in CloudFormation: the group's ManagedPolicyArns)."""

    kind: ClassVar[str] = "iam-group-policy"
    what: ClassVar[str] = "Policy attached to an IAM group"

    group: str
    policy_arn: str

    @property
    def ident(self) -> str:
        return f"{self.group}|{self.policy_arn}"

    def exists(self, aws: IamSource) -> bool:
        iam = aws.client("iam")
        try:
            pages = iam.get_paginator("list_attached_group_policies").paginate(GroupName=self.group)
            return any(
                p.get("PolicyArn") == self.policy_arn for page in pages for p in page.get("AttachedPolicies", [])
            )
        except Exception as exc:
            if gone(exc):
                return False
            raise

    def undo(self, aws: IamSource, sleep: Sleep) -> str:
        return unless_gone(
            lambda: aws.client("iam").detach_group_policy(GroupName=self.group, PolicyArn=self.policy_arn), "detached"
        )

    def undo_summary(self) -> str:
        return f"Detach {self.policy_arn} from the IAM group {self.group}"

    def undo_commands(self) -> list[str]:
        return [cli("iam", "detach-group-policy", ("--group-name", self.group), ("--policy-arn", self.policy_arn))]
