"""Step 1: the root user is secured: it has MFA and no access keys.

The verdict comes from iam GetAccountSummary, which answers both questions in one
call. The credential report and the list of virtual MFA devices only add detail
(when root last signed in, whether its MFA is a virtual device), so losing them to a
missing permission costs a finding, never the verdict.

A member account whose organization manages root access centrally has no root
password, access keys or MFA by design: that is the secured state. iam
ListOrganizationsFeatures tells it (asked only when root has no MFA, so a finished
setup costs no extra call), and organizations DescribeOrganization that the account
is a member, not the management account whose own root still needs MFA.
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html#id_root-user-access-management)

Root MFA has no API; root access keys can be deleted through the API only by a
caller signed in as root. So the plan is made of manual actions a person does
signed in as root (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_delete-key.html).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from hsm_setup.answers.values import Answers
from hsm_setup.errors import (
    ACCESS_DENIED_CODES,
    UnexpectedResponse,
    error_code,
    explain,
    is_code,
    items,
    next_token,
    require,
)
from hsm_setup.model import Status, StepFacts, StepResult, Verdict
from hsm_setup.steps.actions import Action
from hsm_setup.steps.base import Step
from hsm_setup.steps.context import StepContext
from hsm_setup.steps.grants import no_resource

if TYPE_CHECKING:
    from mypy_boto3_iam.client import IAMClient
    from mypy_boto3_iam.type_defs import GetCredentialReportResponseTypeDef

SECURITY_CREDENTIALS_URL = "https://console.aws.amazon.com/iam/home#/security_credentials"
ROOT_ROW = "<root_account>"
# Pages this large keep ListVirtualMFADevices to a call or two even in accounts with many users.
MFA_PAGE_SIZE = 1000
# Waits between looks at a credential report being generated: about ten seconds in all.
REPORT_POLL_DELAYS = (0.5, 1.0, 1.5, 2.0, 2.0, 3.0)
REPORT_NOT_READY = ("ReportNotPresent", "ReportExpired", "ReportInProgress")
# Values the credential report uses for "never" or "not known".
NO_VALUE = {"", "N/A", "no_information", "not_supported"}
# GenerateCredentialReport's states; any other is an answer hsm-setup cannot act on.
REPORT_STATES = ("STARTED", "INPROGRESS", "COMPLETE")

# "not-virtual": no virtual MFA device is assigned to root, so it is a passkey (possibly synced), a
# security key or a hardware TOTP token; the API does not say which.
MfaKind = Literal["not-virtual", "virtual"]
CENTRAL_ROOT_FEATURE = "RootCredentialsManagement"
# ListOrganizationsFeatures from a member account that is not IAM's delegated administrator
# (the botocore model names the shape with the suffix; accept the code either way).
NOT_DELEGATED_CODES = (
    "AccountNotManagementOrDelegatedAdministratorException",
    "AccountNotManagementOrDelegatedAdministrator",
)
# The account is in no organization, or root access is not managed centrally in it: nothing to report.
NO_CENTRAL_ROOT_CODES = (
    "OrganizationNotFoundException",
    "OrganizationNotInAllFeaturesModeException",
    "ServiceAccessNotEnabledException",
    "AWSOrganizationsNotInUseException",
)
CENTRAL_ROOT_URL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html#id_root-user-access-management"


class RootReportRow(msgspec.Struct, frozen=True):
    """The credential report's row for the root user (<root_account>): the columns the findings show."""

    password_last_used: str = ""
    mfa_active: str = "N/A"
    access_key_1_active: str = "N/A"
    access_key_2_active: str = "N/A"


class CredentialReport(msgspec.Struct, frozen=True):
    generated: dt.datetime | None
    root: RootReportRow | None


class ReadProblem(msgspec.Struct, frozen=True):
    """An optional read that failed: the verdict stands without it, a finding says why it is missing."""

    cause: str
    evidence: str


class CentralRootAccess(msgspec.Struct, frozen=True):
    """iam ListOrganizationsFeatures, read only when root has no MFA.

    `features`: EnabledFeatures when the call answered; `member`: the account is a member of the
    organization (not its management account, whose own root keeps its credentials);
    `not_delegated`: the call was refused to a member account that is not IAM's delegated administrator.
    """

    features: tuple[str, ...] = ()
    member: bool = False
    not_delegated: bool = False
    problem: ReadProblem | None = None

    @property
    def managed(self) -> bool:
        return self.member and CENTRAL_ROOT_FEATURE in self.features


class RootUserFacts(StepFacts, frozen=True):
    # iam GetAccountSummary: AccountMFAEnabled and AccountAccessKeysPresent.
    mfa_count: int
    access_keys: int
    # Who ran the check, and when (the report's age is told from then).
    caller_arn: str
    caller_is_root: bool
    read_at: dt.datetime
    # Read only when MFA is on: "virtual" (a virtual MFA device is assigned to root) or "not-virtual".
    mfa_kind: MfaKind | None = None
    virtual_mfa_serial: str = ""
    mfa_kind_problem: ReadProblem | None = None
    # The credential report, for when root last signed in; None when it could not be read.
    report: CredentialReport | None = None
    report_problem: ReadProblem | None = None
    report_generating: bool = False
    # Read only when MFA is off: whether the organization manages this member's root access.
    central_root: CentralRootAccess | None = None

    @property
    def root_managed_centrally(self) -> bool:
        return self.central_root is not None and self.central_root.managed

    @property
    def mfa_enabled(self) -> bool:
        return self.mfa_count == 1

    @property
    def access_keys_present(self) -> bool:
        return self.access_keys != 0

    @property
    def password_last_used(self) -> str | None:
        row = self.report.root if self.report else None
        return None if row is None or row.password_last_used in NO_VALUE else row.password_last_used


class ReportStillGenerating(Exception):
    """IAM has not finished the credential report within the wait."""


class RootUserStep(Step):
    id = "root-user"
    title = "Root user secured"
    guidance = "root-user.md"
    why = "The root user can do anything in the account, including closing it; it must not be easy to misuse."
    # None of these takes a resource (Service Authorization Reference for IAM).
    check_permissions = no_resource(
        "iam:GetAccountSummary",
        "iam:ListVirtualMFADevices",
        "iam:GetCredentialReport",
        "iam:GenerateCredentialReport",
        "iam:ListOrganizationsFeatures",
        "organizations:DescribeOrganization",
    )
    apply_permissions = ()

    def check(self, ctx: StepContext) -> StepResult[RootUserFacts]:
        facts = read(ctx)
        return self.judged(facts, judge(facts, ctx.answers))

    def plan(self, ctx: StepContext, result: StepResult[StepFacts]) -> list[Action]:
        facts = result.facts_as(RootUserFacts)
        if facts is None:
            return []
        actions: list[Action] = []
        if not facts.mfa_enabled and not facts.root_managed_centrally:
            actions.append(
                self.manual(
                    "root-mfa",
                    "Enable MFA for the root user",
                    SECURITY_CREDENTIALS_URL,
                    [
                        "Sign in to the AWS Management Console as the root user (the account's e-mail address).",
                        "Open the account menu at the top right and choose Security credentials.",
                        "Under Multi-factor authentication (MFA), choose Assign MFA device.",
                        "Prefer a passkey or a security key (AWS's recommendation for the root user, "
                        "https://docs.aws.amazon.com/IAM/latest/UserGuide/enable-mfa-for-root.html); "
                        "an authenticator app or a hardware TOTP token is accepted too.",
                        "Follow the prompts to register the device; hsm-setup checks again until it sees MFA on.",
                    ],
                    simulation="root-mfa",
                )
            )
        if facts.access_keys_present:
            actions.append(
                self.manual(
                    "root-access-keys",
                    "Delete the root user's access keys",
                    SECURITY_CREDENTIALS_URL,
                    [
                        "Sign in to the AWS Management Console as the root user.",
                        "Open the account menu at the top right and choose Security credentials.",
                        "Under Access keys, check each key's last use: whatever still uses it needs an IAM role "
                        "or an IAM Identity Center user instead.",
                        "For each key choose Actions > Deactivate, then Actions > Delete "
                        "(or `aws iam delete-access-key --access-key-id …` signed in as root).",
                        "hsm-setup checks again until the account has no root access keys.",
                    ],
                    simulation="root-access-keys",
                )
            )
        return actions


# -- read ---------------------------------------------------------------------------------
def read(ctx: StepContext) -> RootUserFacts:
    """GetAccountSummary decides; the MFA device list and the credential report only add detail."""
    iam = ctx.client("iam")
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hsm-root-report")
    try:
        # The report may take seconds to generate: fetch it beside the summary.
        report_future = pool.submit(_credential_report, ctx, iam)
        # Both values decide the verdict: one AWS left out is an error, never read as 0.
        summary = require(iam.get_account_summary(), "SummaryMap", what="iam GetAccountSummary", of=dict)
        mfa = _summary_count(summary, "AccountMFAEnabled")
        keys = _summary_count(summary, "AccountAccessKeysPresent")
        kind: MfaKind | None = None
        serial = ""
        kind_problem: ReadProblem | None = None
        if mfa == 1:
            try:
                device = _root_virtual_mfa(iam)
            except Exception as exc:
                if not (error_code(exc) or isinstance(exc, UnexpectedResponse)):
                    raise
                kind_problem = ReadProblem(_why_not(exc), error_code(exc) or "iam ListVirtualMFADevices")
            else:
                kind = "not-virtual" if device is None else "virtual"
                serial = str(device.get("SerialNumber", "")) if device is not None else ""
        # Only when MFA is off: a finished setup costs no extra call.
        central = _central_root_access(ctx, iam) if mfa == 0 else None
        report: CredentialReport | None = None
        report_problem: ReadProblem | None = None
        generating = False
        try:
            report = report_future.result()
        except ReportStillGenerating:
            generating = True
        except Exception as exc:
            if not (error_code(exc) or isinstance(exc, UnexpectedResponse)):
                raise
            report_problem = ReadProblem(_why_not(exc), error_code(exc) or "iam GetCredentialReport")
    finally:
        # On an error the report thread may still be waiting: do not hold the check for it.
        pool.shutdown(wait=False, cancel_futures=True)
    identity = ctx.identity
    return RootUserFacts(
        mfa_count=mfa,
        access_keys=keys,
        caller_arn=identity.arn,
        caller_is_root=identity.is_root,
        read_at=dt.datetime.now(dt.UTC),
        mfa_kind=kind,
        virtual_mfa_serial=serial,
        mfa_kind_problem=kind_problem,
        report=report,
        report_problem=report_problem,
        report_generating=generating,
        central_root=central,
    )


# -- judgement ----------------------------------------------------------------------------
def judge(facts: RootUserFacts, answers: Answers) -> Verdict:
    secured = (facts.mfa_enabled or facts.root_managed_centrally) and not facts.access_keys_present
    verdict = Verdict(Status.DONE if secured else Status.INCOMPLETE)
    if facts.root_managed_centrally and facts.central_root is not None:
        verdict.add(
            True,
            "The organization manages this member account's root access centrally: root has no password, "
            f"access keys or MFA by design, which is the secured state ({CENTRAL_ROOT_URL}).",
            evidence=f"EnabledFeatures = {', '.join(facts.central_root.features)}",
        )
    elif facts.mfa_enabled:
        verdict.add(True, "The root user has MFA enabled.", evidence="AccountMFAEnabled = 1")
        _judge_mfa_kind(facts, verdict)
    else:
        verdict.add(False, "The root user has no MFA device.", evidence=f"AccountMFAEnabled = {facts.mfa_count}")
    if not facts.access_keys_present:
        verdict.add(True, "The root user has no access keys.", evidence="AccountAccessKeysPresent = 0")
    else:
        verdict.add(
            False,
            "The root user has access keys; delete them.",
            evidence=f"AccountAccessKeysPresent = {facts.access_keys}",
        )
    _judge_central_root(facts, verdict)
    _judge_report(facts, verdict)
    if facts.caller_is_root:
        verdict.add(
            False,
            "These are the root user's credentials. Use an administrative user instead "
            "(the administrative user step sets one up).",
            evidence=facts.caller_arn,
            level="warning",
        )
    return verdict


def _judge_mfa_kind(facts: RootUserFacts, verdict: Verdict) -> None:
    if facts.mfa_kind_problem is not None:
        verdict.add(
            False,
            f"Could not tell whether the root MFA device is a virtual one: {facts.mfa_kind_problem.cause}",
            evidence=facts.mfa_kind_problem.evidence,
            level="warning",
        )
    elif facts.mfa_kind == "not-virtual":
        verdict.add(
            True,
            "The root user's MFA is a passkey (possibly synced), a security key or a hardware TOTP token "
            "(no virtual MFA device is assigned to root).",
        )
    elif facts.mfa_kind == "virtual":
        verdict.add(
            True,
            "The root user's MFA is a virtual (authenticator app) device. "
            "AWS recommends a passkey or security key for the root user "
            "(https://docs.aws.amazon.com/IAM/latest/UserGuide/enable-mfa-for-root.html).",
            evidence=facts.virtual_mfa_serial,
            level="warning",
        )


def _judge_central_root(facts: RootUserFacts, verdict: Verdict) -> None:
    """What ListOrganizationsFeatures could not settle, when root has no MFA."""
    central = facts.central_root
    if central is None or facts.root_managed_centrally:
        return
    if central.not_delegated:
        verdict.add(
            False,
            "This member account cannot see whether its organization manages root access centrally: ask the "
            "management account's administrators. If they do, root has no credentials by design and needs no MFA "
            f"({CENTRAL_ROOT_URL}).",
            evidence="iam ListOrganizationsFeatures: AccountNotManagementOrDelegatedAdministratorException",
            level="warning",
        )
    elif central.problem is not None:
        verdict.add(
            False,
            f"Could not tell whether the organization manages root access centrally: {central.problem.cause}",
            evidence=central.problem.evidence,
            level="warning",
        )


def _judge_report(facts: RootUserFacts, verdict: Verdict) -> None:
    if facts.report_generating:
        verdict.add(
            False,
            "The credential report is still being generated; check again in a minute "
            "to see when the root user last signed in.",
            evidence="GenerateCredentialReport: not COMPLETE yet",
            level="warning",
        )
        return
    if facts.report_problem is not None:
        verdict.add(
            False,
            f"Could not read the credential report (when root last signed in): {facts.report_problem.cause}",
            evidence=facts.report_problem.evidence,
            level="warning",
        )
        return
    report = facts.report
    if report is None:
        return
    age = f"report generated {_ago(report.generated, facts.read_at)}" if report.generated else "report age unknown"
    row = report.root
    if row is None:
        verdict.add(True, f"The credential report has no row for the root user ({age}).", evidence=f"no {ROOT_ROW} row")
        return
    last_used = row.password_last_used
    if last_used in NO_VALUE:
        message = "The credential report shows no record of the root user signing in with a password"
    else:
        message = f"The root user last signed in {_ago(_parse_time(last_used), facts.read_at)}"
    evidence = (
        f"password_last_used = {last_used or 'N/A'}, mfa_active = {row.mfa_active}, "
        f"access_key_1_active = {row.access_key_1_active}, "
        f"access_key_2_active = {row.access_key_2_active}"
    )
    verdict.add(True, f"{message} ({age}).", evidence=evidence)


def _why_not(exc: BaseException, service: str = "iam") -> str:
    """Why an optional detail is missing; the verdict stands without it."""
    if error_code(exc) in ACCESS_DENIED_CODES:
        action = f"{service}:{getattr(exc, 'operation_name', '') or 'the operation'}"
        return f"the credentials lack {action}."
    return explain(exc).cause


def _central_root_access(ctx: StepContext, iam: IAMClient) -> CentralRootAccess:
    """Whether the organization manages this member account's root access (one or two calls)."""
    try:
        features = items(iam.list_organizations_features(), "EnabledFeatures", what="iam ListOrganizationsFeatures")
    except Exception as exc:
        if is_code(exc, *NOT_DELEGATED_CODES):
            return CentralRootAccess(not_delegated=True)
        if is_code(exc, *NO_CENTRAL_ROOT_CODES):
            return CentralRootAccess()
        if not (error_code(exc) or isinstance(exc, UnexpectedResponse)):
            raise
        return CentralRootAccess(problem=ReadProblem(_why_not(exc), error_code(exc) or "iam ListOrganizationsFeatures"))
    enabled = tuple(str(feature) for feature in features)
    if CENTRAL_ROOT_FEATURE not in enabled:
        return CentralRootAccess(features=enabled)
    # The management account's own root is not managed centrally: only a member's is.
    try:
        organization = require(
            ctx.client("organizations").describe_organization(),
            "Organization",
            what="organizations DescribeOrganization",
            of=dict,
        )
    except Exception as exc:
        if not (error_code(exc) or isinstance(exc, UnexpectedResponse)):
            raise
        return CentralRootAccess(
            features=enabled,
            problem=ReadProblem(
                _why_not(exc, "organizations"), error_code(exc) or "organizations DescribeOrganization"
            ),
        )
    return CentralRootAccess(features=enabled, member=organization.get("MasterAccountId") != ctx.account_id)


def _root_virtual_mfa(iam: IAMClient) -> dict[str, object] | None:
    """Root's virtual MFA device, or None. Matched on the user ARN: serial names vary."""
    params: dict[str, Any] = {"AssignmentStatus": "Assigned", "MaxItems": MFA_PAGE_SIZE}
    seen: set[str] = set()
    what = "iam ListVirtualMFADevices"
    while True:
        page = iam.list_virtual_mfa_devices(**params)
        for device in items(page, "VirtualMFADevices", what=what):
            user = device.get("User") if isinstance(device, dict) else None
            if str((user if isinstance(user, dict) else {}).get("Arn", "")).endswith(":root"):
                return device
        marker = next_token(page, "Marker", seen, what=what) if page.get("IsTruncated") else None
        if marker is None:
            return None
        params["Marker"] = marker


def _credential_report(ctx: StepContext, iam: IAMClient) -> CredentialReport:
    """The account's credential report, generating it (and waiting a little) when there is none."""
    requested = False
    for delay in (*REPORT_POLL_DELAYS, None):
        try:
            return _parse_report(iam.get_credential_report())
        except Exception as exc:
            if not is_code(exc, *REPORT_NOT_READY):
                raise
            in_progress = is_code(exc, "ReportInProgress")
        if delay is None:
            break
        # Ask for a report when there is none (or it expired); one already being built needs no second request.
        if not (requested and in_progress):
            requested = True
            state = iam.generate_credential_report().get("State")
            # A state hsm-setup does not know is neither "ready" nor worth waiting on.
            if _report_state(state) == "COMPLETE":
                continue
        ctx.progress("Waiting for the credential report...")
        ctx.sleep(delay)
    raise ReportStillGenerating()


def _summary_count(summary: dict[str, object], key: str) -> int:
    value = require(summary, key, what="iam GetAccountSummary")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UnexpectedResponse("iam GetAccountSummary", f"with {key} = {value!r}, not a number") from None


def _report_state(state: object) -> str:
    if state not in REPORT_STATES:
        shown = f"State {state!r}, which hsm-setup does not know" if state else "no State"
        raise UnexpectedResponse("iam GenerateCredentialReport", f"with {shown}")
    return str(state)


def _parse_report(response: GetCredentialReportResponseTypeDef) -> CredentialReport:
    what = "iam GetCredentialReport"
    content = require(response, "Content", what=what, of=(bytes, str))
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    try:
        reader = csv.DictReader(io.StringIO(text))
        if "user" not in (reader.fieldnames or ()):
            raise UnexpectedResponse(what, "with a report that is not the expected CSV (no user column)")
        root = next((row for row in reader if row.get("user") == ROOT_ROW), None)
    except csv.Error as exc:
        raise UnexpectedResponse(what, f"with a report that is not valid CSV ({exc})") from None
    generated = response.get("GeneratedTime")
    row = None
    if root is not None:
        row = RootReportRow(
            password_last_used=root.get("password_last_used") or "",
            mfa_active=str(root.get("mfa_active", "N/A")),
            access_key_1_active=str(root.get("access_key_1_active", "N/A")),
            access_key_2_active=str(root.get("access_key_2_active", "N/A")),
        )
    return CredentialReport(generated if isinstance(generated, dt.datetime) else None, row)


def _parse_time(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _ago(when: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """'12 minutes ago', '3 days ago': how old a timestamp is, in words."""
    if when is None:
        return "at an unknown time"
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    seconds = ((now or dt.datetime.now(dt.UTC)) - when).total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "less than a minute ago"


STEP = RootUserStep()
