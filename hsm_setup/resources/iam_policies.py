"""The customer managed policy hsm-setup creates, and the policy versions it makes the default."""

from __future__ import annotations

from typing import Any, ClassVar

from hsm_setup.aws.cli_command import cli
from hsm_setup.errors import HsmSetupError
from hsm_setup.resources.base import MANAGED_BY_TAG, IamSource, Record, Sleep, Undoes, found, gone


class IamPolicy(Record, frozen=True, kw_only=True):
    kind: ClassVar[str] = "iam-policy"
    what: ClassVar[str] = "Customer managed policy"
    cfn_type: ClassVar[str | None] = "AWS::IAM::ManagedPolicy"
    ID_FIELD: ClassVar[str | None] = "arn"

    arn: str
    name: str | None = None

    def exists(self, aws: IamSource) -> bool:
        return found(lambda: aws.client("iam").get_policy(PolicyArn=self.arn))

    def undo(self, aws: IamSource, sleep: Sleep) -> str:
        iam = aws.client("iam")
        arn = self.arn
        try:
            tags = {t["Key"]: t["Value"] for t in iam.list_policy_tags(PolicyArn=arn).get("Tags", [])}
            # The ARN is made from the name: a policy of that name made later by someone else is not ours.
            if tags.get(MANAGED_BY_TAG["Key"]) != MANAGED_BY_TAG["Value"]:
                raise HsmSetupError(
                    f"{arn} no longer carries the tag {MANAGED_BY_TAG['Key']}={MANAGED_BY_TAG['Value']}: it may not be the policy hsm-setup made.",
                    "Delete it yourself if it should go; teardown leaves it.",
                )
            entities = iam.list_entities_for_policy(PolicyArn=arn)
            users = [u["UserName"] for u in entities.get("PolicyUsers", [])]
            groups = [g["GroupName"] for g in entities.get("PolicyGroups", [])]
            roles = [r["RoleName"] for r in entities.get("PolicyRoles", [])]
            if users or groups or roles:
                names = ", ".join(
                    [*(f"group {g}" for g in groups), *(f"user {u}" for u in users), *(f"role {r}" for r in roles)]
                )
                raise HsmSetupError(
                    f"{arn} is still attached to {names}, which hsm-setup did not attach.",
                    "Detach it there (or keep the policy), then run teardown again.",
                )
            for page in iam.get_paginator("list_policy_versions").paginate(PolicyArn=arn):
                for version in page.get("Versions", []):
                    if not version.get("IsDefaultVersion"):
                        iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
            iam.delete_policy(PolicyArn=arn)
        except Exception as exc:
            if gone(exc):
                return "already gone"
            raise
        return "deleted"

    def undo_summary(self) -> str:
        return f"Delete the customer managed policy {self.name or self.arn} and its older versions"

    def undo_commands(self) -> list[str]:
        return [cli("iam", "delete-policy", ("--policy-arn", self.arn))]


class IamPolicyVersion(Record, frozen=True, kw_only=True):
    """A version hsm-setup made the default of a policy: undoing gives the policy back its previous default.

    A change, not a creation: the policy may be one hsm-setup adopted, which teardown keeps.
    Noted before the change (`version` then unknown, `previous_versions` the versions there
    were), so a run stopped right after IAM made the version still leaves it on record;
    undoing then deletes every version that was not there before. Notes written after the
    change (`version` known) are read as they always were.
    """

    kind: ClassVar[str] = "iam-policy-version"
    what: ClassVar[str] = "Default version of a customer managed policy"
    undoes: ClassVar[Undoes] = "changed"
    part_of: ClassVar[str | None] = IamPolicy.kind

    policy_arn: str
    version: str | None = None
    previous_default: str | None = None
    # The policy's versions before the change, space-separated.
    previous_versions: str | None = None

    @property
    def ident(self) -> str:
        return f"{self.policy_arn}:{self.version or f'after-{self.previous_default}'}"

    def parent_ident(self) -> str | None:
        return self.policy_arn

    def _added(self, iam: Any) -> list[str]:
        """The versions the change added."""
        if self.previous_versions is None:
            return [self.version] if self.version else []
        before = set(self.previous_versions.split())
        listed = [
            str(v["VersionId"])
            for page in iam.get_paginator("list_policy_versions").paginate(PolicyArn=self.policy_arn)
            for v in page.get("Versions", [])
        ]
        return [v for v in listed if v not in before]

    def exists(self, aws: IamSource) -> bool:
        iam = aws.client("iam")
        version = self.version
        try:
            if self.previous_versions is not None or not version:
                return bool(self._added(iam))
            return found(lambda: iam.get_policy_version(PolicyArn=self.policy_arn, VersionId=version))
        except Exception as exc:
            if gone(exc):
                return False
            raise

    def undo(self, aws: IamSource, sleep: Sleep) -> str:
        iam = aws.client("iam")
        arn, previous = self.policy_arn, self.previous_default
        try:
            added = self._added(iam)
            if not added:
                return "already gone"
            default = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            if default in added:
                if not previous:
                    raise HsmSetupError(
                        f"No earlier version of {arn} is known to make the default again.",
                        "Leave it, or change it in the IAM console.",
                    )
                iam.set_default_policy_version(PolicyArn=arn, VersionId=previous)
            for version in added:
                iam.delete_policy_version(PolicyArn=arn, VersionId=version)
        except Exception as exc:
            if gone(exc):
                return "already gone"
            raise
        return f"default version {previous} again; {', '.join(added)} deleted"

    def undo_summary(self) -> str:
        added = self.version or "the version hsm-setup added"
        return f"Give {self.policy_arn} back its default version {self.previous_default} and delete version {added}"

    def undo_commands(self) -> list[str]:
        return [
            cli(
                "iam",
                "set-default-policy-version",
                ("--policy-arn", self.policy_arn),
                ("--version-id", self.previous_default),
            ),
            cli(
                "iam",
                "delete-policy-version",
                ("--policy-arn", self.policy_arn),
                ("--version-id", self.version or "<the version hsm-setup added>"),
            ),
        ]
