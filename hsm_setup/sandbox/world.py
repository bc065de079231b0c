"""What the practice account knows that moto does not: the root user, which
Identity Center instances were enabled where, the progress of asynchronous
requests, and the faults a test or demo injected.

One World belongs to one PracticeAccount. Every request the server handles
holds `lock`, so the counters below never race.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .sign_in_state import SignInState

ACCOUNT_INSTANCE = "ACCOUNT"
ORGANIZATION_INSTANCE = "ORGANIZATION"
# Enough for several whole runs of hsm-setup; a long-lived server keeps no more.
RECEIVED_KEPT = 10_000


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class RootUser:
    mfa: bool = False
    access_keys: bool = True
    # False in a member account whose organization deleted the root credentials centrally.
    password: bool = True
    mfa_enabled_at: dt.datetime | None = None
    account_created: dt.datetime = field(default_factory=lambda: now() - dt.timedelta(days=30))
    # The console sign-in that made the account: the credential report shows it.
    password_last_used: dt.datetime = field(default_factory=lambda: now() - dt.timedelta(hours=2))


@dataclass
class CentralRootAccess:
    """The organization manages its member accounts' root access centrally (IAM, not in moto).

    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html#id_root-user-access-management
    """

    features: tuple[str, ...] = ("RootCredentialsManagement", "RootSessions")
    # Trusted access for IAM in AWS Organizations: without it the features cannot be listed.
    trusted_access: bool = True
    # The practice account is IAM's delegated administrator for centralized root access, so it may
    # call ListOrganizationsFeatures; a plain member account is refused.
    delegated_to_this_account: bool = True


@dataclass
class InstanceRecord:
    arn: str
    identity_store_id: str
    region: str
    kind: str  # ACCOUNT or ORGANIZATION
    owner_account_id: str
    name: str | None = None
    created: dt.datetime = field(default_factory=now)
    # CreateInstance's ClientToken: a retried request gets the same instance back.
    client_token: str | None = None
    # Regions the instance was replicated to (multi-Region), with when: `region` is the primary one.
    additional_regions: dict[str, dt.datetime] = field(default_factory=dict)

    def enabled_in(self, region: str) -> bool:
        return region == self.region or region in self.additional_regions

    def region_metadata(self, region: str) -> dict[str, Any]:
        """DescribeRegion's answer (and one entry of Regions) for an enabled Region."""
        primary = region == self.region
        added = self.created if primary else self.additional_regions[region]
        return {"RegionName": region, "Status": "ACTIVE", "AddedDate": added, "IsPrimaryRegion": primary}

    def describe(self) -> dict[str, Any]:
        """DescribeInstance (and ListInstances) as AWS answers: the primary Region and every enabled Region."""
        regions = [self.region, *sorted(self.additional_regions)]
        data: dict[str, Any] = {
            "InstanceArn": self.arn,
            "IdentityStoreId": self.identity_store_id,
            "IdentityStoreArn": f"arn:aws:identitystore::{self.owner_account_id}:identitystore/{self.identity_store_id}",
            "OwnerAccountId": self.owner_account_id,
            "Status": "ACTIVE",
            "CreatedDate": self.created,
            "PrimaryRegion": self.region,
            "Regions": [self.region_metadata(r) for r in regions],
        }
        if self.name:
            data["Name"] = self.name
        return data


@dataclass
class AsyncRequest:
    """An sso-admin request AWS finishes in the background.

    The first status query answers IN_PROGRESS and every later one SUCCEEDED, so
    code that polls is exercised without anyone waiting.
    """

    summary: dict[str, Any]
    polls: int = 0
    # The instance the request was made in (its listings are per instance).
    instance_arn: str = ""

    def poll(self) -> dict[str, Any]:
        self.polls += 1
        return {**self.summary, "Status": "IN_PROGRESS" if self.polls == 1 else "SUCCEEDED"}


def new_request_id() -> str:
    return str(uuid.uuid4())


@dataclass
class World:
    account_id: str
    caller: str = "user"
    root: RootUser = field(default_factory=RootUser)
    instances: list[InstanceRecord] = field(default_factory=list)
    assignment_requests: dict[str, AsyncRequest] = field(default_factory=dict)
    provisioning_requests: dict[str, AsyncRequest] = field(default_factory=dict)
    # Service-linked role deletion tasks that failed (the role still in use): task id -> the Reason AWS gives.
    failed_role_deletions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # When GenerateCredentialReport last started a report; None: no report.
    report_generated_at: dt.datetime | None = None
    # Set when the account's organization manages root access centrally (the member-managed-root scenario).
    central_root: CentralRootAccess | None = None
    # Lower-cased IAM actions ("sso:createpermissionset"), shell-style wildcards allowed.
    denied: set[str] = field(default_factory=set)
    # Requests a second an operation answers before ThrottlingException ("CreateAccountAssignment": 20),
    # as Identity Center's quotas declare (https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html).
    rate_limits: dict[str, float] = field(default_factory=dict)
    # When each rate-limited operation was last answered, within the past second.
    rate_windows: dict[str, deque[float]] = field(default_factory=dict)
    expired: bool = False
    sign_ins: SignInState = field(default_factory=SignInState)
    # Every request is checked against the caller's IAM policies (authorization.py); off after a reset.
    enforce_iam: bool = False
    # (service, operation) of the latest requests, refused ones included: what reached the account.
    received: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=RECEIVED_KEPT))
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def clear(self) -> None:
        """Back to an account where nothing has happened (faults included)."""
        with self.lock:
            self.root = RootUser()
            self.instances.clear()
            self.assignment_requests.clear()
            self.provisioning_requests.clear()
            self.failed_role_deletions.clear()
            self.report_generated_at = None
            self.sign_ins.clear()
            self.enforce_iam = False
            self.received.clear()
            self.central_root = None
            self.clear_faults()

    # -- Identity Center instances ----------------------------------------------------
    def instance(self, arn: str | None, region: str | None = None) -> InstanceRecord | None:
        """The instance `arn`; with `region`, only if that is its primary Region."""
        for record in self.instances:
            if record.arn == arn and (region is None or record.region == region):
                return record
        return None

    def instances_in(self, region: str) -> list[InstanceRecord]:
        """Instances whose primary Region is `region`."""
        return [r for r in self.instances if r.region == region]

    def instances_visible_in(self, region: str) -> list[InstanceRecord]:
        """Instances enabled in `region`, as primary or additional Region (ListInstances there lists them)."""
        return [r for r in self.instances if r.enabled_in(region)]

    def instance_of_store(self, identity_store_id: str | None, region: str) -> InstanceRecord | None:
        for record in self.instances_in(region):
            if record.identity_store_id == identity_store_id:
                return record
        return None

    # -- the root user ----------------------------------------------------------------
    def root_changed(self) -> None:
        # AWS would go on serving a report up to four hours old that contradicts the
        # account; the practice account shows a console change in the report at once,
        # as if the report had just been generated again.
        if self.report_generated_at is not None:
            self.report_generated_at = now()

    # -- faults -----------------------------------------------------------------------
    def is_denied(self, action: str) -> bool:
        action = action.lower()
        return any(fnmatch.fnmatchcase(action, pattern) for pattern in self.denied)

    def throttled(self, operation: str, at: float) -> bool:
        """True when `operation` has had its declared number of requests in the second before `at`."""
        limit = self.rate_limits.get(operation)
        if limit is None:
            return False
        window = self.rate_windows.setdefault(operation, deque())
        while window and window[0] <= at - 1.0:
            window.popleft()
        if len(window) >= limit:
            return True
        window.append(at)
        return False

    def clear_faults(self) -> None:
        with self.lock:
            self.rate_limits.clear()
            self.rate_windows.clear()
            self.denied.clear()
            self.expired = False
