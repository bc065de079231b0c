"""Step 1: the root user is secured: it has MFA and no access keys.

The verdict comes from iam GetAccountSummary, which answers both questions in one
call. The credential report and the list of virtual MFA devices only add detail
(when root last signed in, whether its MFA is a hardware key), so losing them to a
missing permission costs a finding, never the verdict.

No API can enable root MFA or delete root access keys for the root user: the plan
is made of manual actions a person does in the console, signed in as root.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from hsm_setup.steps.context import StepContext
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
from hsm_setup.model import Status, StepResult
from hsm_setup.steps.actions import Action
from hsm_setup.steps.base import Step
from hsm_setup.steps.grants import no_resource

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


@dataclass(frozen=True)
class CredentialReport:
    generated: dt.datetime | None
    root: dict[str, str] | None


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
    )
    apply_permissions = ()

    def check(self, ctx: StepContext) -> StepResult:
        iam = ctx.client("iam")
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hsm-root-report")
        try:
            # The report may take seconds to generate: fetch it beside the summary.
            report_future = pool.submit(_credential_report, ctx, iam)
            # Both values decide the verdict: one AWS left out is an error, never read as 0.
            summary = require(iam.get_account_summary(), "SummaryMap", what="iam GetAccountSummary", of=dict)
            mfa = _summary_count(summary, "AccountMFAEnabled")
            keys = _summary_count(summary, "AccountAccessKeysPresent")
            status = Status.DONE if mfa == 1 and keys == 0 else Status.INCOMPLETE
            result = self.result(status, facts={"root_mfa_enabled": mfa == 1, "root_access_keys_present": keys != 0})
            if mfa == 1:
                result.add(True, "The root user has MFA enabled.", evidence="AccountMFAEnabled = 1")
                self._mfa_kind(iam, result)
            else:
                result.add(False, "The root user has no MFA device.", evidence=f"AccountMFAEnabled = {mfa}")
            if keys == 0:
                result.add(True, "The root user has no access keys.", evidence="AccountAccessKeysPresent = 0")
            else:
                result.add(False, "The root user has access keys; delete them.", evidence=f"AccountAccessKeysPresent = {keys}")
            self._report_findings(report_future, result)
        finally:
            # On an error the report thread may still be waiting: do not hold the check for it.
            pool.shutdown(wait=False, cancel_futures=True)
        if ctx.identity.is_root:
            result.add(
                False,
                "These are the root user's credentials. Use an administrative user instead "
                "(the administrative user step sets one up).",
                evidence=ctx.identity.arn,
                level="warning",
            )
        return result

    def _mfa_kind(self, iam: Any, result: StepResult) -> None:
        try:
            device = _root_virtual_mfa(iam)
        except Exception as exc:
            if not (error_code(exc) or isinstance(exc, UnexpectedResponse)):
                raise
            result.add(
                False,
                f"Could not tell whether the root MFA device is virtual or hardware: {_why_not(exc)}",
                evidence=error_code(exc) or "iam ListVirtualMFADevices",
                level="warning",
            )
            return
        if device is None:
            result.facts["root_mfa_kind"] = "hardware"
            result.add(True, "The root user's MFA is a hardware device (no virtual MFA device is assigned to root).")
        else:
            result.facts["root_mfa_kind"] = "virtual"
            result.add(
                True,
                "The root user's MFA is a virtual (authenticator app) device. "
                "AWS recommends a hardware MFA device for the root user.",
                evidence=str(device.get("SerialNumber", "")),
                level="warning",
            )

    def _report_findings(self, future: Any, result: StepResult) -> None:
        try:
            report: CredentialReport = future.result()
        except ReportStillGenerating:
            result.add(
                False,
                "The credential report is still being generated; check again in a minute "
                "to see when the root user last signed in.",
                evidence="GenerateCredentialReport: not COMPLETE yet",
                level="warning",
            )
            return
        except Exception as exc:
            if not (error_code(exc) or isinstance(exc, UnexpectedResponse)):
                raise
            result.add(
                False,
                f"Could not read the credential report (when root last signed in): {_why_not(exc)}",
                evidence=error_code(exc) or "iam GetCredentialReport",
                level="warning",
            )
            return
        age = f"report generated {_ago(report.generated)}" if report.generated else "report age unknown"
        row = report.root
        if row is None:
            result.add(True, f"The credential report has no row for the root user ({age}).", evidence=f"no {ROOT_ROW} row")
            return
        last_used = row.get("password_last_used", "")
        if last_used in NO_VALUE:
            message = "The credential report shows no record of the root user signing in with a password"
        else:
            message = f"The root user last signed in {_ago(_parse_time(last_used))}"
        evidence = (
            f"password_last_used = {last_used or 'N/A'}, mfa_active = {row.get('mfa_active', 'N/A')}, "
            f"access_key_1_active = {row.get('access_key_1_active', 'N/A')}, "
            f"access_key_2_active = {row.get('access_key_2_active', 'N/A')}"
        )
        result.facts["root_password_last_used"] = None if last_used in NO_VALUE else last_used
        result.add(True, f"{message} ({age}).", evidence=evidence)

    def plan(self, ctx: StepContext, result: StepResult) -> list[Action]:
        actions: list[Action] = []
        if not result.facts.get("root_mfa_enabled"):
            actions.append(
                self.manual(
                    "root-mfa",
                    "Enable MFA for the root user",
                    SECURITY_CREDENTIALS_URL,
                    [
                        "Sign in to the AWS Management Console as the root user (the account's e-mail address).",
                        "Open the account menu at the top right and choose Security credentials.",
                        "Under Multi-factor authentication (MFA), choose Assign MFA device.",
                        "Prefer a hardware device (a FIDO security key or a hardware TOTP token); "
                        "an authenticator app is better than nothing.",
                        "Follow the prompts to register the device; hsm-setup checks again until it sees MFA on.",
                    ],
                    simulation="root-mfa",
                )
            )
        if result.facts.get("root_access_keys_present"):
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
                        "For each key choose Actions > Deactivate, then Actions > Delete.",
                        "hsm-setup checks again until the account has no root access keys.",
                    ],
                    simulation="root-access-keys",
                )
            )
        return actions


def _why_not(exc: BaseException) -> str:
    """Why an optional detail is missing; the verdict stands without it."""
    if error_code(exc) in ACCESS_DENIED_CODES:
        action = f"iam:{getattr(exc, 'operation_name', '') or 'the operation'}"
        return f"the credentials lack {action}."
    return explain(exc).cause


def _root_virtual_mfa(iam: Any) -> dict[str, Any] | None:
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


def _credential_report(ctx: StepContext, iam: Any) -> CredentialReport:
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


def _summary_count(summary: dict[str, Any], key: str) -> int:
    value = require(summary, key, what="iam GetAccountSummary")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UnexpectedResponse("iam GetAccountSummary", f"with {key} = {value!r}, not a number") from None


def _report_state(state: Any) -> str:
    if state not in REPORT_STATES:
        shown = f"State {state!r}, which hsm-setup does not know" if state else "no State"
        raise UnexpectedResponse("iam GenerateCredentialReport", f"with {shown}")
    return str(state)


def _parse_report(response: dict[str, Any]) -> CredentialReport:
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
    return CredentialReport(generated if isinstance(generated, dt.datetime) else None, root)


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
        when = when.replace(tzinfo=dt.timezone.utc)
    seconds = ((now or dt.datetime.now(dt.timezone.utc)) - when).total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "less than a minute ago"


STEP = RootUserStep()
