"""The four per-account steps, judged in every target account.

admin-user and permission-sets give a principal a permission set on accounts: their Identity Center part is
read per principal, in pages of up to 100 assignments (sso-admin ListAccountAssignmentsForPrincipal,
https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_ListAccountAssignmentsForPrincipal.html),
never one call per account. cloudhsm-group and service-linked-role live in each account's own IAM: read in a
member account through the member role (member_access.py), at most four calls an account with its credentials.

A step's own check covers the connected account; this adds the other targets, as `result.accounts`
({account id: status}), and the step is done only when every target is.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, wait
from typing import TYPE_CHECKING, TypeVar

import msgspec

from hsm_setup.answers.validators import ACCOUNT_ID_FORM, THIS_ACCOUNT
from hsm_setup.errors import is_code
from hsm_setup.identity_center.pace import IdentityCenterPace
from hsm_setup.identity_center.reads import accounts_holding
from hsm_setup.model import Status, StepFacts, StepResult
from hsm_setup.organizations.fanout import WORKERS, FanOut, Gate, across_accounts
from hsm_setup.organizations.member_access import DEFAULT_MEMBER_ROLE, MemberAccess
from hsm_setup.organizations.sent_requests import SentRequests
from hsm_setup.organizations.targets import Caller, Targets, TargetsError, resolve
from hsm_setup.organizations.tree import OrganizationTree, read_tree

if TYPE_CHECKING:  # pragma: no cover - typing only
    from mypy_boto3_sso_admin.client import SSOAdminClient

    from hsm_setup.answers.values import Answers
    from hsm_setup.aws.clients import AwsSession
    from hsm_setup.resources.permission_sets import PrincipalType
    from hsm_setup.steps.context import StepContext

T = TypeVar("T")

ASSIGNMENT_STEPS = {"admin-user": "admin.accounts", "permission-sets": "cloudhsm.accounts"}
IAM_STEPS = {"cloudhsm-group": "cloudhsm.accounts", "service-linked-role": "cloudhsm.accounts"}
PER_ACCOUNT_STEPS = frozenset(ASSIGNMENT_STEPS) | frozenset(IAM_STEPS)
# The answers a per-account step reads beyond its own inputs: its targets, and for member accounts' IAM the role
# it is reached through. Changing one re-checks the step, wherever the answer was given.
ANSWERS_READ: dict[str, frozenset[str]] = {
    **{step: frozenset({key}) for step, key in ASSIGNMENT_STEPS.items()},
    **{step: frozenset({key, "organization.member_role"}) for step, key in IAM_STEPS.items()},
}
SERVICE_LINKED_ROLE = "AWSServiceRoleForCloudHSM"
# Target accounts named in one finding before "and N more".
NAMED_IN_FINDING = 5
# Member accounts one fan-out works on at once (their IAM, read or written) while Identity Center's assignments are
# being created in the same run. The creations are paced (20 calls a second, identity_center/pace.py) and outlast
# the member accounts' work: 2 creations an account at 17.6 a second at most take 114 ms an account, where the
# group's 4 IAM calls at 100 ms each, 12 accounts at once, take 33 ms. More at once only takes the CPU from the
# creations' turns and status listings (Python threads share one interpreter lock): 1,000 accounts on the practice
# account, which shares the machine, applied in-process: 133.9 s with 32 at once, 124.0 s with 12.
MEMBER_ACCOUNTS_BESIDE_ASSIGNMENTS = 12


def steps_reading(keys: Iterable[str]) -> frozenset[str]:
    """The per-account steps that read any of these answers keys (their targets, the member role)."""
    changed = set(keys)
    return frozenset(step for step, read in ANSWERS_READ.items() if read & changed)


class Grant(msgspec.Struct, frozen=True):
    """Who gets which permission set: from a step's facts (None when either does not exist yet)."""

    instance_arn: str
    region: str
    principal_type: PrincipalType
    principal_id: str
    permission_set_arn: str
    # "CloudHSMAdmins to the group CloudHSMAdmins": how plans and teardown name the assignment.
    label: str = ""


def forget_finished_requests(ctx: StepContext, grant: Grant, assigned: set[str]) -> None:
    """Settle the creation requests a killed run left open whose accounts now hold the assignment.

    A later run follows an open request only for an account still without the assignment: once it is there
    the request is finished, and a run that finds every target assigned plans nothing that would settle it.
    """
    folder = ctx.state.folder if ctx.state is not None else None
    # A read-only state directory must not stop a check.
    with contextlib.suppress(OSError):
        requests = SentRequests(folder, grant.permission_set_arn, grant.principal_id)
        requests.settle(assigned)


def grant_of(step_id: str, facts: object) -> Grant | None:
    """The principal and permission set a step's facts name (admin-user: the administrator; permission-sets:
    the CloudHSM group)."""
    if facts is None:
        return None
    permission_set = getattr(facts, "permission_set", None)
    ic = getattr(facts, "identity_center", None)
    if permission_set is None or ic is None:
        return None
    principal_type: PrincipalType
    if step_id == "permission-sets":
        principal_type, principal_id = "GROUP", getattr(facts, "group_id", None)
    else:
        # The admin-user step assigns its group where it has one, else the user.
        group_id = getattr(facts, "group_id", None)
        principal_type, principal_id = ("GROUP", group_id) if group_id else ("USER", getattr(facts, "user_id", None))
    if not principal_id:
        return None
    group_name = getattr(facts, "group_name", "")
    principal = f"the group {group_name}" if principal_type == "GROUP" and group_name else None
    if principal is None:
        user_name = getattr(facts, "user_name", "")
        principal = (
            f"the user {user_name}"
            if principal_type == "USER" and user_name
            else f"{principal_type.lower()} {principal_id}"
        )
    label = f"{permission_set.name} to {principal}"
    return Grant(ic.instance_arn, ic.region, principal_type, str(principal_id), permission_set.arn, label)


class OrganizationScope:
    """The organization as one check or apply sees it: its tree read once, targets resolved, member access."""

    def __init__(self, aws: AwsSession) -> None:
        self.aws = aws
        self._lock = threading.Lock()
        # Held while the tree is read (seconds, in a big organization): member access and paces stay reachable meanwhile.
        self._tree_lock = threading.Lock()
        self._tree: OrganizationTree | None = None
        self._caller: Caller | None = None
        self._access: dict[str, MemberAccess] = {}
        self._paces: dict[str, IdentityCenterPace] = {}
        self._assigning = 0  # assignment fan-outs running
        # The gates of the member-account IAM fan-outs running (member_fan_out), told when the limit goes up.
        self._gates: weakref.WeakSet[Gate] = weakref.WeakSet()

    def forget(self) -> None:
        """Read the organization again on the next use (a new check)."""
        with self._tree_lock:
            self._tree = None
            self._caller = None

    def targets(self, key: str, answers: Answers, account_id: str) -> Targets:
        items = [str(item) for item in answers[key] or ["this"]]
        if all(item in ("this", account_id) for item in items):
            return Targets(key, (account_id,))
        tree, caller = self.organization(account_id)
        return resolve(key, items, tree, caller)

    def member_access(self, answers: Answers) -> MemberAccess:
        role = str(answers["organization.member_role"] or DEFAULT_MEMBER_ROLE)
        with self._lock:
            if role not in self._access:
                self._access[role] = MemberAccess(self.aws, role)
            return self._access[role]

    @contextlib.contextmanager
    def assigning(self) -> Iterator[None]:
        """The block in which an assignment fan-out runs: fewer member accounts are worked on at once meanwhile."""
        with self._lock:
            self._assigning += 1
        try:
            yield
        finally:
            with self._lock:
                self._assigning -= 1
                gates = list(self._gates)
            for gate in gates:
                gate.changed()

    def member_fan_out(self, work: Callable[[str], T]) -> Callable[[str], T]:
        """`work` in one member account, for a fan-out over many: each call waits until fewer of this fan-out's
        accounts are being worked on than allowed now (MEMBER_ACCOUNTS_BESIDE_ASSIGNMENTS while assignments are
        made, WORKERS otherwise). Each fan-out has its own count: a check's two IAM steps read side by side."""
        gate = Gate(self._member_accounts_at_once)
        with self._lock:
            self._gates.add(gate)
        return gate.gated(work)

    def _member_accounts_at_once(self) -> int:
        with self._lock:
            return MEMBER_ACCOUNTS_BESIDE_ASSIGNMENTS if self._assigning else WORKERS

    def identity_center_pace(self, region: str, ctx: StepContext) -> IdentityCenterPace:
        """Identity Center's throttle limits in `region`, kept by every fan-out of this run: AWS counts them together."""
        with self._lock:
            pace = self._paces.get(region)
            if pace is None:
                pace = self._paces[region] = IdentityCenterPace(self.aws, region, sleep=ctx.sleep, clock=ctx.clock)
            return pace

    def organization(self, account_id: str) -> tuple[OrganizationTree | None, Caller]:
        """The organization's tree (None without an organization) and where the caller sits in it; read once."""
        with self._tree_lock:
            if self._caller is None:
                organizations = self.aws.client("organizations")
                try:
                    organization = organizations.describe_organization()["Organization"]
                except Exception as exc:
                    if not is_code(exc, "AWSOrganizationsNotInUseException"):
                        raise
                    self._caller = Caller(account_id, None)
                else:
                    self._caller = Caller(account_id, str(organization.get("MasterAccountId") or "") or None)
                    self._tree = read_tree(organizations)
            return self._tree, self._caller

    # -- judging -----------------------------------------------------------------------------
    def judge(self, step_id: str, ctx: StepContext, result: StepResult[StepFacts]) -> StepResult[StepFacts]:
        """`result` with every target account's status; the step is done when every target is."""
        if step_id not in PER_ACCOUNT_STEPS or result.status in (Status.BLOCKED, Status.ERROR, Status.SKIPPED):
            return result
        this = ctx.account_id
        key = ASSIGNMENT_STEPS.get(step_id) or IAM_STEPS[step_id]
        early = self._read_named_accounts_early(step_id, ctx, key) if step_id in IAM_STEPS else None
        try:
            targets = self.targets(key, ctx.answers, this)
        except Exception as exc:
            if early is not None:
                wait([early])  # read-only, and thrown away: waited for so that no read outlives the check
            if not isinstance(exc, TargetsError):
                raise
            result.status = Status.ERROR
            result.problem_kind = "answers"
            result.error = exc.cause
            for problem in exc.problems:
                result.add(False, problem, evidence=exc.next_move)
            return result
        statuses: dict[str, str] = {this: result.status.value} if this in targets.accounts else {}
        others = [a for a in targets.accounts if a != this]
        failures: dict[str, str] = {}
        if step_id in ASSIGNMENT_STEPS:
            statuses.update(self._assignment_statuses(step_id, ctx, result, others))
        else:
            statuses.update(self._iam_statuses(step_id, ctx, others, failures, early))
        result.accounts = statuses
        _summarize(result, targets, statuses, failures)
        return result

    def _assignment_statuses(
        self, step_id: str, ctx: StepContext, result: StepResult[StepFacts], accounts: list[str]
    ) -> dict[str, str]:
        grant = grant_of(step_id, result.facts)
        if grant is None or not accounts:
            return dict.fromkeys(accounts, Status.INCOMPLETE.value)
        assigned = assigned_accounts(ctx.client("sso-admin", grant.region), grant)
        forget_finished_requests(ctx, grant, assigned)
        return {a: (Status.DONE if a in assigned else Status.INCOMPLETE).value for a in accounts}

    def _read_named_accounts_early(self, step_id: str, ctx: StepContext, key: str) -> Future[FanOut[str]] | None:
        """Start reading the member accounts `key` names by id while the organization's tree is read.

        Resolving the targets needs the whole tree (is each account in this organization, is it suspended?), and
        the tree comes a page of 20 accounts at a time: 7 s for 1,256 accounts at 80 ms a request. When every item
        is an account id, the accounts to read are known before that, and their reads (through the member role,
        read-only) go on meanwhile; the targets, once resolved, take the statuses of the accounts they keep. An OU
        or the root names accounts only the tree knows: those are read after it.
        """
        items = [str(item) for item in ctx.answers[key] or [THIS_ACCOUNT]]
        named = [item for item in dict.fromkeys(items) if item not in (THIS_ACCOUNT, ctx.account_id)]
        if not named or not all(ACCOUNT_ID_FORM.match(item) for item in named):
            return None
        read = self._iam_reader(step_id, ctx)
        early: Future[FanOut[str]] = Future()

        def run() -> None:
            try:
                early.set_result(across_accounts(named, read))
            except BaseException as exc:  # pragma: no cover - across_accounts keeps each account's failure
                early.set_exception(exc)

        threading.Thread(target=run, name=f"hsm-early-{step_id}", daemon=True).start()
        return early

    def _iam_reader(self, step_id: str, ctx: StepContext) -> Callable[[str], str]:
        """The read of a member account's status for an IAM step, through the member role."""
        access = self.member_access(ctx.answers)
        if step_id == "cloudhsm-group":
            group, policy = str(ctx.answers["cloudhsm.iam_group"]), str(ctx.answers["cloudhsm.policy_name"])
            return self.member_fan_out(lambda account: group_status(access, account, group, policy))
        return self.member_fan_out(lambda account: role_status(access, account))

    def _iam_statuses(
        self,
        step_id: str,
        ctx: StepContext,
        accounts: list[str],
        failures: dict[str, str],
        early: Future[FanOut[str]] | None = None,
    ) -> dict[str, str]:
        outcome: FanOut[str] = FanOut()
        if early is not None:
            read_early = early.result()
            outcome.results = {a: r for a, r in read_early.results.items() if a in accounts}
            outcome.failures = {a: f for a, f in read_early.failures.items() if a in accounts}
        rest = [a for a in accounts if a not in outcome.results and a not in outcome.failures]
        if rest:
            later = across_accounts(rest, self._iam_reader(step_id, ctx))
            outcome.results.update(later.results)
            outcome.failures.update(later.failures)
        statuses = dict(outcome.results)
        for account in outcome.failures:
            statuses[account] = Status.ERROR.value
        failures.update(outcome.failures)
        return statuses


def _summarize(
    result: StepResult[StepFacts], targets: Targets, statuses: dict[str, str], failures: dict[str, str]
) -> None:
    """Findings for the targets; an account that could not be read leaves the step incomplete, not in error,
    so the other accounts are still planned and applied."""
    for _, message in sorted(failures.items())[:NAMED_IN_FINDING]:
        result.add(False, message)
    behind = sorted(a for a, s in statuses.items() if s != Status.DONE.value)
    total = len(statuses)
    if total > 1 or targets.left_out:
        if behind:
            result.add(False, f"{len(behind)} of {total} target accounts are not done: {_named(behind)}.")
        else:
            result.add(True, f"Done in all {total} target accounts.")
        if targets.left_out:
            first_why = targets.left_out[0][1]
            left = [a for a, _ in targets.left_out]
            result.add(
                True,
                f"{len(left)} account(s) the chosen OUs cover are left out ({_named(left)}): {left[0]} {first_why}.",
                level="warning",
            )
    if behind and result.status == Status.DONE:
        result.status = Status.INCOMPLETE


def _named(accounts: list[str]) -> str:
    more = len(accounts) - NAMED_IN_FINDING
    return ", ".join(accounts[:NAMED_IN_FINDING]) + (f" and {more} more" if more > 0 else "")


def assigned_accounts(sso: SSOAdminClient, grant: Grant) -> set[str]:
    """The accounts where the principal holds the permission set: the principal's assignments, 100 a page."""
    return accounts_holding(sso, grant.instance_arn, grant.principal_type, grant.principal_id, grant.permission_set_arn)


def group_status(access: MemberAccess, account: str, group: str, policy_name: str) -> str:
    """The IAM group with the CloudHSM policy attached, in a member account (GetGroup, ListAttachedGroupPolicies)."""
    try:
        access.call(account, "iam", "get_group", GroupName=group, MaxItems=1)
    except Exception as exc:
        if is_code(exc, "NoSuchEntity"):
            return Status.INCOMPLETE.value
        raise
    attached = access.call(account, "iam", "list_attached_group_policies", GroupName=group)["AttachedPolicies"]
    expected = f"arn:aws:iam::{account}:policy/{policy_name}"
    return (Status.DONE if any(p.get("PolicyArn") == expected for p in attached) else Status.INCOMPLETE).value


def role_status(access: MemberAccess, account: str) -> str:
    """The CloudHSM service-linked role in a member account (GetRole)."""
    try:
        access.call(account, "iam", "get_role", RoleName=SERVICE_LINKED_ROLE)
    except Exception as exc:
        if is_code(exc, "NoSuchEntity"):
            return Status.INCOMPLETE.value
        raise
    return Status.DONE.value
