"""What a step's check, plan and actions get to work with."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Literal, Protocol, overload

import msgspec

from hsm_setup.answers.values import Answers
from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.identity import Identity
from hsm_setup.model import SecretIssued, StepFacts, StepResult, WantedT
from hsm_setup.resources.base import Record
from hsm_setup.state.account import AccountState

if TYPE_CHECKING:  # the boto3 service stubs type the clients; they are never needed at run time
    from botocore.client import BaseClient
    from mypy_boto3_iam.client import IAMClient
    from mypy_boto3_identitystore.client import IdentityStoreClient
    from mypy_boto3_organizations.client import OrganizationsClient
    from mypy_boto3_sso_admin.client import SSOAdminClient
    from mypy_boto3_sts.client import STSClient

    from hsm_setup.engine.events import Count


class ProgressReport(Protocol):
    """Reports how a long piece of work is going: a line of words, and for work over many items its count."""

    def __call__(self, message: str, count: Count | None = None) -> None: ...


def _no_progress(message: str, count: Count | None = None) -> None:
    """Progress nobody listens to."""


class StepContext(msgspec.Struct):
    aws: AwsSession
    answers: Answers
    identity_future: Future[Identity]
    state: AccountState | None = None
    # Results of the steps this one depends on (and, during apply, of every step so far).
    deps: dict[str, StepResult[StepFacts]] = msgspec.field(default_factory=dict)
    sandbox: bool = False
    # Progress lines for long waits (assignment provisioning, the credential report), with a count for
    # work across many accounts.
    progress: ProgressReport = _no_progress
    # Hands a secret (events.SecretIssued) to the person through the front end; True once it was shown.
    # The default shows nothing, so a secret issued without a front end counts as never shown.
    reveal: Callable[[SecretIssued], bool] = lambda secret: False
    # True while apply runs an action an earlier run started and never finished (killed mid-way): what that
    # action's create finds already there is then most likely what the killed run made, and is noted as hsm-setup's.
    resuming: bool = False
    # Injected so tests of polling and backoff do not really wait.
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    @property
    def identity(self) -> Identity:
        """Who is calling. Blocks until sts GetCallerIdentity answered (it runs beside the checks)."""
        return self.identity_future.result()

    @property
    def account_id(self) -> str:
        return self.identity.account_id

    @property
    def region(self) -> str:
        return str(self.answers["region"])

    @overload
    def client(self, service: Literal["iam"], region: str | None = None) -> IAMClient: ...
    @overload
    def client(self, service: Literal["sts"], region: str | None = None) -> STSClient: ...
    @overload
    def client(self, service: Literal["sso-admin"], region: str | None = None) -> SSOAdminClient: ...
    @overload
    def client(self, service: Literal["identitystore"], region: str | None = None) -> IdentityStoreClient: ...
    @overload
    def client(self, service: Literal["organizations"], region: str | None = None) -> OrganizationsClient: ...
    @overload
    def client(self, service: str, region: str | None = None) -> BaseClient: ...
    def client(self, service: str, region: str | None = None) -> BaseClient:
        return self.aws.client(service, region or self.region)

    def saved(self, key: str) -> str | None:
        """An id or name an earlier run saved (state.json "resources")."""
        value = self.state.resource(key) if self.state else None
        return str(value) if value is not None else None

    def remember(self, **resources: str | None) -> None:
        if self.state:
            self.state.remember(**resources)

    def record_created(self, record: Record) -> None:
        """Note that this run created (not adopted) a resource, or changed one: teardown undoes only these."""
        if self.state:
            self.state.record_created(record.kind, record.ident, **record.details())

    def recorded(self, record: Record) -> bool:
        """Whether the saved notes already hold this record (an earlier, maybe interrupted, run wrote it)."""
        return self.created_here(record.kind, record.ident)

    def created_here(self, kind: str, ident: str) -> bool:
        """Whether hsm-setup's notes say it made (or changed) this resource; else it existed before hsm-setup."""
        if not self.state:
            return False
        return any(note.get("kind") == kind and note.get("id") == ident for note in self.state.created())

    def interrupted(self, action_key: str) -> bool:
        """Whether a run started this action ("step:key") and never finished it: it was killed mid-way."""
        return bool(self.state) and action_key in self.state.in_flight()  # type: ignore[union-attr]

    def record_if_resuming(self, record: Record) -> None:
        """Note as hsm-setup's a resource a create found already there, when an interrupted run was making it."""
        if self.resuming:
            self.record_created(record)

    def forget_record(self, record: Record) -> None:
        """Drop a note written ahead of a change that turned out not to be hsm-setup's to make."""
        if self.state:
            self.state.forget_created(record.kind, record.ident)

    def forget(self, *keys: str) -> None:
        if self.state:
            self.state.forget_resource(*keys)

    def facts_of(self, step_id: str, kind: type[WantedT]) -> WantedT | None:
        """The facts a dependency's check found, typed; None when it has not been checked (or found nothing)."""
        result = self.deps.get(step_id)
        return result.facts_as(kind) if result is not None else None
