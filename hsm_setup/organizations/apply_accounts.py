"""Applying a per-account step in its other target accounts: one planned action that fans out.

Identity Center assignments are created concurrently (sso-admin CreateAccountAssignment) within Identity Center's
documented limits, 20 calls a second shared by every Identity Center call and 15 creations outstanding
(identity_center/pace.py, https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html). The creations
waiting to leave IN_PROGRESS share one status listing (identity_center/creation_watch.py); once every account's
request has, the instance's FAILED requests are listed (usually one page; the principal's assignments would take one
a hundred accounts) and a failed request is described for the reason AWS gives. Member accounts get the IAM group
with the CloudHSM policy and the service-linked role through the member role (member_iam.py), each noted in the
member notes file before it is made, so teardown removes exactly what hsm-setup made there.

Safe to interrupt at any point: the accounts already assigned are read first (one listing per principal), and
each creation's request id is noted (sent_requests.py) before it is waited for, so a resumed apply follows that
request instead of sending another. A failure in one account is named with its account id; the others go on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from hsm_setup.engine.events import Count
from hsm_setup.errors import HsmSetupError, is_code
from hsm_setup.identity_center.creation_watch import requests_with_status
from hsm_setup.identity_center.reads import assigned_permission_set_arns
from hsm_setup.json_types import JsonObject
from hsm_setup.model import Status, StepFacts, StepResult
from hsm_setup.organizations.fanout import FanOut, across_accounts
from hsm_setup.organizations.member_iam import MemberIam
from hsm_setup.organizations.member_notes import MemberNotes
from hsm_setup.organizations.per_account import (
    ASSIGNMENT_STEPS,
    IAM_STEPS,
    Grant,
    OrganizationScope,
    assigned_accounts,
    grant_of,
)
from hsm_setup.organizations.sent_requests import SentRequests
from hsm_setup.resources.permission_sets import AccountAssignments
from hsm_setup.steps.actions import Action, ActionKind

if TYPE_CHECKING:  # pragma: no cover - typing only
    from mypy_boto3_sso_admin.client import SSOAdminClient

    from hsm_setup.identity_center.pace import IdentityCenterPace
    from hsm_setup.steps.base import Step
    from hsm_setup.steps.context import StepContext

T = TypeVar("T")

CONFLICT_ATTEMPTS = 8
FIRST_CONFLICT_DELAY = 1.0


def across_accounts_action(
    scope: OrganizationScope, step: Step, result: StepResult[StepFacts], this_account: str
) -> Action | None:
    """The action that brings the step's target accounts other than the connected one (which the step's own
    plan covers) to done, or None when there are none to do."""
    if step.id not in ASSIGNMENT_STEPS and step.id not in IAM_STEPS:
        return None
    others = [a for a, status in result.accounts.items() if status != Status.DONE.value and a != this_account]
    if not others:
        return None
    count = len(others)
    if step.id in ASSIGNMENT_STEPS:
        whose = "the administrator's" if step.id == "admin-user" else "the CloudHSM group's"
        summary = f"Assign {whose} permission set in {count} more target account(s)"
        cli = "aws sso-admin create-account-assignment --target-type AWS_ACCOUNT --target-id <each account> ..."
        permissions: tuple[str, ...] = (
            "sso:CreateAccountAssignment",
            "sso:DescribeAccountAssignmentCreationStatus",
            "sso:ListAccountAssignmentCreationStatus",
            "sso:ListAccountAssignmentsForPrincipal",
        )
    elif step.id == "cloudhsm-group":
        summary = f"Create the CloudHSM IAM group and policy in {count} member account(s) through the member role"
        cli = "aws iam create-policy / create-group / attach-group-policy (in each account, as its member role)"
        permissions = ("sts:AssumeRole",)
    else:
        summary = f"Create the CloudHSM service-linked role in {count} member account(s) through the member role"
        cli = "aws iam create-service-linked-role --aws-service-name cloudhsm.amazonaws.com (in each account)"
        permissions = ("sts:AssumeRole",)

    def run(ctx: StepContext) -> JsonObject:
        return apply_in_accounts(scope, step, ctx, others)

    return Action(
        step.id,
        summary,
        ActionKind.API,
        cli=cli,
        run=run,
        key=f"{step.id}:accounts",
        permissions=permissions,
        beside_later_steps=True,
    )


def apply_in_accounts(scope: OrganizationScope, step: Step, ctx: StepContext, accounts: list[str]) -> JsonObject:
    def progress(done: int, total: int) -> None:
        ctx.progress(f"{done}/{total} accounts", Count(done, total))

    if step.id in ASSIGNMENT_STEPS:
        with scope.assigning():
            # The step's own actions ran just before: its facts are read again for the permission set and principal.
            grant = grant_of(step.id, step.check(ctx).facts)
            if grant is None:
                raise HsmSetupError(
                    "The permission set or its principal does not exist yet, so it cannot be assigned in other "
                    "accounts.",
                    "Run apply again once the step's own actions have succeeded.",
                )
            assigner = _Assigner(ctx, grant, accounts, scope.identity_center_pace(grant.region, ctx))
            outcome = across_accounts(accounts, assigner.assign, progress=progress)
            assigner.confirm(outcome)
    else:
        outcome = across_accounts(accounts, scope.member_fan_out(_member_iam_work(scope, step, ctx)), progress=progress)
    if outcome.failures:
        raise HsmSetupError(
            f"{len(outcome.failures)} of {len(accounts)} accounts failed ({outcome.failures_named(5)}); the others are done.",
            "Fix what each names and run apply again: the accounts already done are kept.",
        )
    return {"accounts": len(outcome.results)}


def _member_iam_work(scope: OrganizationScope, step: Step, ctx: StepContext) -> Callable[[str], str]:
    """The step's IAM resources made in one member account, each noted before it is made (member_iam.py)."""
    from hsm_setup.steps import cloudhsm_group, policies

    notes = MemberNotes(ctx.state.folder) if ctx.state is not None else None
    member = MemberIam(scope.member_access(ctx.answers), notes, resuming=ctx.resuming)
    if step.id != "cloudhsm-group":
        return member.ensure_role
    group, policy_name = str(ctx.answers["cloudhsm.iam_group"]), str(ctx.answers["cloudhsm.policy_name"])
    document = policies.expected_text(str(ctx.answers["cloudhsm.policy"]))

    def work(account: str) -> str:
        return member.ensure_group(account, group, policy_name, document, cloudhsm_group.POLICY_DESCRIPTION)

    return work


# -- Identity Center assignments --------------------------------------------------------------
class _Assigner:
    """One grant's assignment in each account: created within Identity Center's limits, each request followed."""

    def __init__(self, ctx: StepContext, grant: Grant, accounts: list[str], pace: IdentityCenterPace) -> None:
        self.ctx = ctx
        self.grant = grant
        self.pace = pace
        self.sso = pace.sso
        self.assigned = assigned_accounts(self.sso, grant)
        folder = ctx.state.folder if ctx.state is not None else None
        self.requests = SentRequests(folder, grant.permission_set_arn, grant.principal_id)
        self.watch = pace.watch(grant.instance_arn)
        # The request of each account that has left IN_PROGRESS, not yet known to have succeeded (confirm).
        self.left: dict[str, str] = {}
        # Noted before the first creation, as the connected account's own assignment is: a run stopped right after
        # AWS took one still leaves teardown the assignments to remove (teardown reads which are there first).
        to_create = [account for account in accounts if account not in self.assigned]
        if to_create:
            ctx.record_created(
                AccountAssignments(
                    permission_set_arn=grant.permission_set_arn,
                    principal_type=grant.principal_type,
                    principal_id=grant.principal_id,
                    accounts=",".join(sorted(to_create)),
                    instance_arn=grant.instance_arn,
                    region=grant.region,
                    label=grant.label or None,
                )
            )

    def assign(self, account: str) -> str:
        sent = self.requests.request(account)
        if sent:
            # An earlier run sent this creation and stopped before it finished: follow that request.
            status = _describe(self.sso, self.grant, sent)
            if status is not None and status.get("Status") == "IN_PROGRESS":
                with self.pace.creation_slots.held():  # still one of the instance's outstanding creations
                    self.watch.wait(sent)
                self.left[account] = sent
                return "sent"
            # Finished, or forgotten by AWS: whether the assignment is there now decides, as for any account (one
            # that succeeded and was removed since, by a teardown say, is made again).
            self.requests.settled(account)
            if status is not None and status.get("Status") == "SUCCEEDED" and self._holds_now(account):
                return "already assigned"
        if account in self.assigned:
            return "already assigned"
        with self.pace.creating():
            response = _retry_on_conflict(
                self.ctx,
                lambda: self.sso.create_account_assignment(
                    InstanceArn=self.grant.instance_arn,
                    TargetId=account,
                    TargetType="AWS_ACCOUNT",
                    PermissionSetArn=self.grant.permission_set_arn,
                    PrincipalType=self.grant.principal_type,
                    PrincipalId=self.grant.principal_id,
                ),
            )
            status = dict(response["AccountAssignmentCreationStatus"])
            request_id = str(status.get("RequestId", ""))
            # Noted before waiting: a run stopped mid-wait leaves the request for the next one to follow.
            self.requests.sent(account, request_id)
            if status.get("Status") == "IN_PROGRESS":
                self.watch.wait(request_id)
        self.left[account] = request_id
        return "sent"

    def _holds_now(self, account: str) -> bool:
        """Whether the principal holds the permission set in `account` now. The fan-out's listing of the principal's
        assignments was made as it began: a request followed from a stopped run may have succeeded since."""
        if account in self.assigned:
            return True
        grant = self.grant
        held = assigned_permission_set_arns(
            self.sso, grant.instance_arn, grant.principal_type, grant.principal_id, account
        )
        return grant.permission_set_arn in held

    def confirm(self, outcome: FanOut[str]) -> None:
        """Which requests that left IN_PROGRESS succeeded: those the instance's FAILED requests (one listing, usually
        a page) do not include. A failed one is described for AWS's reason, and named with its account."""
        failed = requests_with_status(self.sso, self.grant.instance_arn, "FAILED") if self.left else frozenset()
        for account, request_id in sorted(self.left.items()):
            if request_id in failed:
                try:
                    _succeeded(_describe(self.sso, self.grant, request_id), request_id)
                except Exception as exc:
                    outcome.fail(account, exc)
                    continue
            outcome.results[account] = "assigned"
            self.requests.settled(account)
        # What is left open (a failed request) the next run describes first.
        self.requests.compact()


def _describe(sso: SSOAdminClient, grant: Grant, request_id: str) -> dict[str, object] | None:
    try:
        return dict(
            sso.describe_account_assignment_creation_status(
                InstanceArn=grant.instance_arn, AccountAssignmentCreationRequestId=request_id
            )["AccountAssignmentCreationStatus"]
        )
    except Exception as exc:
        if is_code(exc, "ResourceNotFoundException"):
            return None
        raise


def _succeeded(status: dict[str, object] | None, request_id: str) -> None:
    """Raise with AWS's reason unless the request SUCCEEDED."""
    if status is None:
        raise HsmSetupError(f"AWS no longer knows assignment request {request_id}.", "Run apply again.")
    if status.get("Status") != "SUCCEEDED":
        raise HsmSetupError(
            f"Account {status.get('TargetId')}: the assignment failed: {status.get('FailureReason') or status.get('Status')}.",
            "Fix the cause AWS names and run apply again.",
        )


def _retry_on_conflict(ctx: StepContext, call: Callable[[], T]) -> T:
    """ConflictException while another change to the same permission set is in flight: back off and retry."""
    delay = FIRST_CONFLICT_DELAY
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            return call()
        except Exception as exc:
            if not is_code(exc, "ConflictException") or attempt == CONFLICT_ATTEMPTS:
                raise
            ctx.sleep(delay)
            delay = min(delay * 2, 16.0)
    raise AssertionError("unreachable")  # pragma: no cover
