"""Reaching a member account through a role it lets the organization assume.

hsm-setup assumes `organization.member_role` (OrganizationAccountAccessRole, which AWS Organizations makes in
the accounts it creates; AWSControlTowerExecution in Control Tower accounts) in each target account
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access.html). Credentials are
kept until five minutes before they expire, so an account costs one AssumeRole per hour of work.

Clients: building a botocore client costs milliseconds of CPU (its service model, endpoint rules, event
hooks), made one at a time under the session's lock; one per account would dominate a check of a thousand accounts.
Instead the clients are pooled: a call takes an idle client for itself, signs it with the member account's
credentials and hands it back when it returns, so the credentials it set cannot change under that call. The pool
grows to the number of calls made at once and lasts as long as this object: the many fan-outs of one apply (its
check, each step's writes, the checks after them) share it, where clients kept per worker thread were built again
for every fan-out's new threads.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, cast

import msgspec

from hsm_setup.errors import HsmSetupError, explain

if TYPE_CHECKING:  # pragma: no cover - typing only
    from mypy_boto3_iam.client import IAMClient

    from hsm_setup.aws.clients import AwsSession

DEFAULT_MEMBER_ROLE = "OrganizationAccountAccessRole"
SESSION_NAME = "hsm-setup"
# Renewed this long before they expire, so a call never starts with credentials about to lapse.
RENEW_BEFORE = dt.timedelta(minutes=5)
ACCESS_PAGE = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access.html"


class MemberAccessError(HsmSetupError):
    """A member account hsm-setup cannot reach: `account_id`, the reason and the next move."""

    def __init__(self, account_id: str, cause: str, next_move: str) -> None:
        super().__init__(cause, next_move)
        self.account_id = account_id


class MemberCredentials(msgspec.Struct, frozen=True):
    access_key_id: str
    secret_access_key: str
    session_token: str
    expires: dt.datetime


class MemberAccess:
    """Credentials and calls for member accounts, through one role name and the caller's STS client."""

    def __init__(
        self,
        aws: AwsSession,
        role_name: str = DEFAULT_MEMBER_ROLE,
        *,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._aws = aws
        self.role_name = role_name
        self._now = now
        self._credentials: dict[str, MemberCredentials] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        # Idle clients by service, taken by one call at a time (see the module's docstring).
        self._idle: dict[str, list[Any]] = {}
        self._idle_lock = threading.Lock()

    def role_arn(self, account_id: str) -> str:
        return f"arn:aws:iam::{account_id}:role/{self.role_name}"

    def credentials(self, account_id: str) -> MemberCredentials:
        """The account's credentials, assumed once and reused until shortly before they expire."""
        with self._lock_for(account_id):
            held = self._credentials.get(account_id)
            if held is not None and held.expires - RENEW_BEFORE > self._now():
                return held
            try:
                response = self._aws.client("sts").assume_role(
                    RoleArn=self.role_arn(account_id), RoleSessionName=SESSION_NAME
                )
            except Exception as exc:
                raise self._refused(account_id, exc) from None
            data = response["Credentials"]
            expires = data["Expiration"]
            if isinstance(expires, dt.datetime) and expires.tzinfo is None:
                expires = expires.replace(tzinfo=dt.UTC)
            held = MemberCredentials(data["AccessKeyId"], data["SecretAccessKey"], data["SessionToken"], expires)
            self._credentials[account_id] = held
            return held

    def call(self, account_id: str, service: str, operation: str, **params: Any) -> Any:
        """One API call in the member account (operation in botocore's snake_case: get_role)."""
        with self._signed(account_id, service) as client:
            return getattr(client, operation)(**params)

    def pages(self, account_id: str, service: str, operation: str, **params: Any) -> list[Any]:
        """Every page of a paginated read in the member account, all read before the client goes back to the pool."""
        with self._signed(account_id, service) as client:
            return list(client.get_paginator(operation).paginate(**params))

    def clients(self, account_id: str) -> MemberClients:
        """The member account's IAM as a resource record reaches it (`client("iam")`), through this role."""
        return MemberClients(self, account_id)

    @contextlib.contextmanager
    def _signed(self, account_id: str, service: str) -> Iterator[Any]:
        """A pooled client, signed with the account's credentials, this caller's alone until the block ends."""
        credentials = self.credentials(account_id)
        from botocore.credentials import Credentials

        with self._idle_lock:
            idle = self._idle.setdefault(service, [])
            client = idle.pop() if idle else None
        if client is None:
            client = self._aws.new_client(service)
        try:
            client._request_signer._credentials = Credentials(
                credentials.access_key_id, credentials.secret_access_key, credentials.session_token
            )
            yield client
        finally:
            with self._idle_lock:
                self._idle[service].append(client)

    def _lock_for(self, account_id: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(account_id, threading.Lock())

    def _refused(self, account_id: str, exc: Exception) -> MemberAccessError:
        problem = explain(exc, self._aws.profile)
        error = getattr(exc, "response", None)
        error = error.get("Error", {}) if isinstance(error, dict) else {}
        if error.get("Code") in ("AccessDenied", "AccessDeniedException"):
            return MemberAccessError(
                account_id,
                f"Account {account_id}: the role {self.role_name} cannot be assumed there "
                f"(AWS: {error.get('Message') or 'AccessDenied'}). "
                "The role may be missing (an invited account has none until someone makes it), or its trust policy "
                f"does not trust this account ({ACCESS_PAGE}).",
                "Create the role in that account, set organization.member_role to the role it has "
                "(AWSControlTowerExecution in Control Tower accounts), or deploy the exported CloudFormation "
                "StackSet (hsm-setup export --format cloudformation) to it.",
            )
        return MemberAccessError(account_id, f"Account {account_id}: {problem.cause}", problem.next_move)


class MemberClients:
    """A member account's IAM client as the resource records use the connected account's (resources.base.IamSource):
    each call, and each paginated read, goes through the member role. So teardown undoes a group, a policy or the
    service-linked role in a member account with the same code as in the connected account."""

    def __init__(self, access: MemberAccess, account_id: str) -> None:
        self.access = access
        self.account_id = account_id

    def client(self, service: Literal["iam"], region: str | None = None) -> IAMClient:
        return cast("IAMClient", _MemberClient(self.access, self.account_id, service))


class _MemberClient:
    def __init__(self, access: MemberAccess, account_id: str, service: str) -> None:
        self._access, self._account_id, self._service = access, account_id, service

    def get_paginator(self, operation: str) -> _MemberPaginator:
        return _MemberPaginator(self._access, self._account_id, self._service, operation)

    def __getattr__(self, operation: str) -> Callable[..., Any]:
        if operation.startswith("_"):
            raise AttributeError(operation)
        return functools.partial(self._access.call, self._account_id, self._service, operation)


class _MemberPaginator:
    def __init__(self, access: MemberAccess, account_id: str, service: str, operation: str) -> None:
        self._access, self._account_id, self._service, self._operation = access, account_id, service, operation

    def paginate(self, **params: Any) -> list[Any]:
        return self._access.pages(self._account_id, self._service, self._operation, **params)
