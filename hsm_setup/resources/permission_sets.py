"""Permission sets hsm-setup creates, the policies it puts in them, and the account assignments it makes."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, ClassVar, Literal

from hsm_setup.aws.cli_command import CliArg, cli
from hsm_setup.aws.clients import AwsSession
from hsm_setup.errors import HsmSetupError, is_code
from hsm_setup.identity_center.reads import (
    accounts_holding,
    assigned_permission_set_arns,
    describe_permission_set,
    inline_policy,
    managed_policies,
)
from hsm_setup.resources.base import Record, Sleep, Undoes, gone, unless_gone

if TYPE_CHECKING:
    from mypy_boto3_sso_admin.client import SSOAdminClient

# Polling an asynchronous deletion: about a minute in all before handing over to a re-run.
POLL_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0)
# Assignments an organization-wide teardown removes at once.
UNDO_WORKERS = 8


class _InInstance(Record, frozen=True, kw_only=True):
    """Something in one Identity Center instance, reached through its Region."""

    instance_arn: str
    region: str

    def _sso(self, aws: AwsSession) -> SSOAdminClient:
        return aws.client("sso-admin", self.region)

    def _cli(self, command: str, *args: CliArg) -> str:
        return cli("sso-admin", command, ("--region", self.region), ("--instance-arn", self.instance_arn), *args)


class PermissionSet(_InInstance, frozen=True, kw_only=True):
    kind: ClassVar[str] = "permission-set"
    what: ClassVar[str] = "Permission set"
    cfn_type: ClassVar[str | None] = "AWS::SSO::PermissionSet"
    ID_FIELD: ClassVar[str | None] = "arn"

    arn: str
    name: str | None = None

    def exists(self, aws: AwsSession) -> bool:
        return describe_permission_set(self._sso(aws), self.instance_arn, self.arn) is not None

    def undo(self, aws: AwsSession, sleep: Sleep) -> str:
        sso = self._sso(aws)
        if not self.exists(aws):
            return "already gone"
        try:
            sso.delete_permission_set(InstanceArn=self.instance_arn, PermissionSetArn=self.arn)
        except Exception as exc:
            if gone(exc):
                return "already gone"
            if is_code(exc, "ConflictException"):
                raise HsmSetupError(
                    f"The permission set {self.name or self.arn} is still assigned somewhere hsm-setup did not assign it.",
                    "Remove those assignments in the IAM Identity Center console, or keep the permission set; then run teardown again.",
                ) from None
            raise
        return "deleted"

    def undo_summary(self) -> str:
        return f"Delete the permission set {self.name or self.arn}"

    def undo_commands(self) -> list[str]:
        return [self._cli("delete-permission-set", ("--permission-set-arn", self.arn))]


class PermissionSetManagedPolicy(_InInstance, frozen=True, kw_only=True):
    """An AWS managed policy attached to a permission set (in CloudFormation: its ManagedPolicies)."""

    kind: ClassVar[str] = "permission-set-managed-policy"
    what: ClassVar[str] = "Managed policy in a permission set"
    part_of: ClassVar[str | None] = PermissionSet.kind

    permission_set_arn: str
    policy_arn: str

    @property
    def ident(self) -> str:
        return f"{self.permission_set_arn}|{self.policy_arn}"

    def parent_ident(self) -> str | None:
        return self.permission_set_arn

    def exists(self, aws: AwsSession) -> bool:
        return self.policy_arn in (
            managed_policies(self._sso(aws), self.instance_arn, self.permission_set_arn) or set()
        )

    def undo(self, aws: AwsSession, sleep: Sleep) -> str:
        sso = self._sso(aws)
        return unless_gone(
            lambda: sso.detach_managed_policy_from_permission_set(
                InstanceArn=self.instance_arn,
                PermissionSetArn=self.permission_set_arn,
                ManagedPolicyArn=self.policy_arn,
            ),
            "detached",
        )

    def undo_summary(self) -> str:
        return f"Detach {self.policy_arn} from the permission set {self.permission_set_arn}"

    def undo_commands(self) -> list[str]:
        return [
            self._cli(
                "detach-managed-policy-from-permission-set",
                ("--permission-set-arn", self.permission_set_arn),
                ("--managed-policy-arn", self.policy_arn),
            )
        ]


class PermissionSetInlinePolicy(_InInstance, frozen=True, kw_only=True):
    """The inline policy hsm-setup put in a permission set that had none (in CloudFormation: its InlinePolicy)."""

    kind: ClassVar[str] = "permission-set-inline-policy"
    what: ClassVar[str] = "Inline policy of a permission set"
    part_of: ClassVar[str | None] = PermissionSet.kind

    permission_set_arn: str

    @property
    def ident(self) -> str:
        return self.permission_set_arn

    def parent_ident(self) -> str | None:
        return self.permission_set_arn

    def exists(self, aws: AwsSession) -> bool:
        return bool(inline_policy(self._sso(aws), self.instance_arn, self.permission_set_arn))

    def undo(self, aws: AwsSession, sleep: Sleep) -> str:
        sso = self._sso(aws)
        return unless_gone(
            lambda: sso.delete_inline_policy_from_permission_set(
                InstanceArn=self.instance_arn, PermissionSetArn=self.permission_set_arn
            ),
            "deleted",
        )

    def undo_summary(self) -> str:
        return f"Delete the inline policy hsm-setup put in the permission set {self.permission_set_arn}"

    def undo_commands(self) -> list[str]:
        return [
            self._cli("delete-inline-policy-from-permission-set", ("--permission-set-arn", self.permission_set_arn))
        ]


# Who an account assignment gives the permission set to (the API's PrincipalType).
PrincipalType = Literal["USER", "GROUP"]


class PermissionSetReplacedInlinePolicy(_InInstance, frozen=True, kw_only=True):
    """The inline policy a permission set hsm-setup did not create had before hsm-setup replaced it.

    Written before the replacement, so a run stopped right after it still leaves the
    previous policy on record. Undoing puts it back and provisions the permission set
    again wherever it is provisioned, so other accounts get their policy back too
    (https://docs.aws.amazon.com/singlesignon/latest/userguide/updatepermissionset.html).
    """

    kind: ClassVar[str] = "permission-set-replaced-inline-policy"
    what: ClassVar[str] = "Inline policy replaced in a permission set"
    undoes: ClassVar[Undoes] = "changed"
    part_of: ClassVar[str | None] = PermissionSet.kind

    permission_set_arn: str
    previous_policy: str

    @property
    def ident(self) -> str:
        return self.permission_set_arn

    def parent_ident(self) -> str | None:
        return self.permission_set_arn

    def exists(self, aws: AwsSession) -> bool:
        live = inline_policy(self._sso(aws), self.instance_arn, self.permission_set_arn)
        return live is not None and live != self.previous_policy

    def undo(self, aws: AwsSession, sleep: Sleep) -> str:
        sso = self._sso(aws)
        try:
            live = inline_policy(sso, self.instance_arn, self.permission_set_arn)
            if live is None:
                return "already gone"
            if live != self.previous_policy:
                sso.put_inline_policy_to_permission_set(
                    InstanceArn=self.instance_arn,
                    PermissionSetArn=self.permission_set_arn,
                    InlinePolicy=self.previous_policy,
                )
            if sso.list_accounts_for_provisioned_permission_set(
                InstanceArn=self.instance_arn, PermissionSetArn=self.permission_set_arn
            ).get("AccountIds"):
                self._provision_again(sso, sleep)
        except Exception as exc:
            if gone(exc):
                return "already gone"
            raise
        return "previous inline policy put back"

    def _provision_again(self, sso: SSOAdminClient, sleep: Sleep) -> None:
        status = sso.provision_permission_set(
            InstanceArn=self.instance_arn,
            PermissionSetArn=self.permission_set_arn,
            TargetType="ALL_PROVISIONED_ACCOUNTS",
        )["PermissionSetProvisioningStatus"]
        for delay in POLL_DELAYS:
            if status.get("Status") != "IN_PROGRESS":
                break
            sleep(delay)
            status = sso.describe_permission_set_provisioning_status(
                InstanceArn=self.instance_arn, ProvisionPermissionSetRequestId=status["RequestId"]
            )["PermissionSetProvisioningStatus"]
        if status.get("Status") == "FAILED":
            raise HsmSetupError(
                f"AWS could not provision the permission set again: {status.get('FailureReason') or 'no reason given'}.",
                "Fix the cause and run teardown again.",
            )

    def undo_summary(self) -> str:
        return (
            f"Put back the inline policy the permission set {self.permission_set_arn} had before hsm-setup "
            "replaced it, and provision it again where it is provisioned"
        )

    def undo_commands(self) -> list[str]:
        return [
            self._cli(
                "put-inline-policy-to-permission-set",
                ("--permission-set-arn", self.permission_set_arn),
                ("--inline-policy", self.previous_policy),
            ),
            self._cli(
                "provision-permission-set",
                ("--permission-set-arn", self.permission_set_arn),
                ("--target-type", "ALL_PROVISIONED_ACCOUNTS"),
            ),
        ]


class AccountAssignment(_InInstance, frozen=True, kw_only=True):
    kind: ClassVar[str] = "account-assignment"
    what: ClassVar[str] = "Account assignment"
    cfn_type: ClassVar[str | None] = "AWS::SSO::Assignment"

    permission_set_arn: str
    principal_type: PrincipalType
    principal_id: str
    account_id: str
    # "AdministratorAccess to ops.admin": how the plan names it.
    label: str | None = None

    @property
    def ident(self) -> str:
        return f"{self.permission_set_arn}|{self.principal_type}|{self.principal_id}|{self.account_id}"

    def exists(self, aws: AwsSession) -> bool:
        held = assigned_permission_set_arns(
            self._sso(aws), self.instance_arn, self.principal_type, self.principal_id, self.account_id
        )
        return self.permission_set_arn in held

    def undo(self, aws: AwsSession, sleep: Sleep) -> str:
        try:
            if not self.exists(aws):
                return "already gone"
        except Exception as exc:
            if gone(exc):
                return "already gone"
            raise
        return self.remove(aws, sleep)

    def remove(self, aws: AwsSession, sleep: Sleep) -> str:
        """Delete the assignment and wait for AWS to finish (it deletes asynchronously), without reading it first:
        for a caller that has just read it (`undo`, or AccountAssignments from its one listing of the principal)."""
        sso = self._sso(aws)
        try:
            status = sso.delete_account_assignment(
                InstanceArn=self.instance_arn,
                TargetId=self.account_id,
                TargetType="AWS_ACCOUNT",
                PermissionSetArn=self.permission_set_arn,
                PrincipalType=self.principal_type,
                PrincipalId=self.principal_id,
            )["AccountAssignmentDeletionStatus"]
        except Exception as exc:
            if gone(exc):  # removed meanwhile (another teardown, the console)
                return "already gone"
            raise
        for delay in POLL_DELAYS:
            state = status.get("Status")
            if state == "SUCCEEDED":
                return "removed"
            if state == "FAILED":
                raise HsmSetupError(
                    f"AWS could not remove the assignment: {status.get('FailureReason') or 'no reason given'}.",
                    "Fix the cause and run teardown again.",
                )
            sleep(delay)
            status = sso.describe_account_assignment_deletion_status(
                InstanceArn=self.instance_arn, AccountAssignmentDeletionRequestId=status["RequestId"]
            )["AccountAssignmentDeletionStatus"]
        if status.get("Status") == "SUCCEEDED":
            return "removed"
        raise HsmSetupError(
            f"The assignment is still being removed (request {status.get('RequestId')}).",
            "Run teardown again in a minute: it finishes the job.",
        )

    def undo_summary(self) -> str:
        return f"Remove the account assignment {self.label or self.ident} on account {self.account_id}"

    def undo_commands(self) -> list[str]:
        return [
            self._cli(
                "delete-account-assignment",
                ("--target-id", self.account_id),
                ("--target-type", "AWS_ACCOUNT"),
                ("--permission-set-arn", self.permission_set_arn),
                ("--principal-type", self.principal_type),
                ("--principal-id", self.principal_id),
            )
        ]


class AccountAssignments(_InInstance, frozen=True, kw_only=True):
    """One permission set assigned to one principal in many target accounts: those an apply across an
    organization's accounts was about to create, noted in one go before the first of them.

    One note for the lot, not one per account: the saved state is written whole after every change, and a
    note per account would make each of those writes grow with the organization.
    """

    kind: ClassVar[str] = "account-assignments"
    what: ClassVar[str] = "Account assignments"
    # Exported per target account by the CloudFormation export itself, not from this note.
    cfn_type: ClassVar[str | None] = None

    permission_set_arn: str
    principal_type: PrincipalType
    principal_id: str
    # The account ids, joined by commas (a note's fields are text).
    accounts: str
    label: str | None = None

    @property
    def account_ids(self) -> list[str]:
        return [account for account in self.accounts.split(",") if account]

    @property
    def ident(self) -> str:
        # The same batch noted twice (a resumed run) is one note; a later batch is a note of its own.
        digest = hashlib.sha256(self.accounts.encode("ascii")).hexdigest()[:16]
        return f"{self.permission_set_arn}|{self.principal_type}|{self.principal_id}|accounts-{digest}"

    def one(self, account_id: str) -> AccountAssignment:
        return AccountAssignment(
            permission_set_arn=self.permission_set_arn,
            principal_type=self.principal_type,
            principal_id=self.principal_id,
            account_id=account_id,
            instance_arn=self.instance_arn,
            region=self.region,
            label=self.label,
        )

    def _held(self, aws: AwsSession) -> set[str]:
        return accounts_holding(
            self._sso(aws), self.instance_arn, self.principal_type, self.principal_id, self.permission_set_arn
        ) & set(self.account_ids)

    def exists(self, aws: AwsSession) -> bool:
        return bool(self._held(aws))

    def undo(self, aws: AwsSession, sleep: Sleep) -> str:
        try:
            held = self._held(aws)
        except Exception as exc:
            if gone(exc):
                return "already gone"
            raise
        left = [account for account in self.account_ids if account in held]
        if not left:
            return "already gone"
        from hsm_setup.organizations.fanout import across_accounts

        # Several at once, each waited for (AWS removes an assignment asynchronously); the one listing above is
        # what each account's removal goes by, so no account is read again. A few workers keep within Identity
        # Center's request rates, and the clients retry a throttled call.
        outcome = across_accounts(left, lambda account: self.one(account).remove(aws, sleep), workers=UNDO_WORKERS)
        if outcome.failures:
            raise HsmSetupError(
                f"{len(outcome.failures)} of {len(left)} assignments could not be removed "
                f"({outcome.failures_named(3)}); the others are.",
                "Fix what each names and run teardown again: it removes only what is still there.",
            )
        return f"removed in {len(left)} account(s)"

    def undo_summary(self) -> str:
        ids = self.account_ids
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        return (
            f"Remove the account assignments {self.label or self.permission_set_arn} on {len(ids)} account(s): {shown}"
        )

    def undo_commands(self) -> list[str]:
        return [command for account in self.account_ids for command in self.one(account).undo_commands()]
