"""Where IAM Identity Center is, and what its helpers need from the step that calls them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from hsm_setup.resources.base import Record

if TYPE_CHECKING:
    from mypy_boto3_identitystore.client import IdentityStoreClient
    from mypy_boto3_sso_admin.client import SSOAdminClient


class StepWork(Protocol):
    """What the Identity Center helpers use of the step's context (hsm_setup.steps.context.StepContext).

    A protocol, not an import: this package sits below the steps, which record what
    they create through the resource declarations that also read through this package.
    """

    # Progress lines for long waits, and the wait itself (tests of polling do not really wait).
    @property
    def progress(self) -> Callable[[str], None]: ...

    @property
    def sleep(self) -> Callable[[float], None]: ...

    @property
    def account_id(self) -> str: ...

    def client(self, service: str, region: str | None = None) -> Any: ...

    def saved(self, key: str) -> str | None: ...

    def remember(self, **resources: str | None) -> None: ...

    def forget(self, key: str) -> None: ...

    def record_created(self, record: Record) -> None: ...

    def record_if_resuming(self, record: Record) -> None: ...

    def recorded(self, record: Record) -> bool: ...

    def forget_record(self, record: Record) -> None: ...


class IdentityCenter(msgspec.Struct, frozen=True):
    """The organization instance the identity-center step found, as its dependents use it."""

    instance_arn: str
    identity_store_id: str
    # The primary Region: every write goes there.
    region: str
    # identity_center.portal_url when given (no AWS API returns the URL).
    given_portal_url: str | None = None

    @property
    def portal_url(self) -> str:
        return self.given_portal_url or portal_url(self.identity_store_id)

    def sso(self, work: StepWork) -> SSOAdminClient:
        return work.client("sso-admin", self.region)

    def store(self, work: StepWork) -> IdentityStoreClient:
        return work.client("identitystore", self.region)


def portal_url(identity_store_id: str) -> str:
    return f"https://{identity_store_id}.awsapps.com/start"


def console_url(region: str, fragment: str = "") -> str:
    return f"https://console.aws.amazon.com/singlesignon/home?region={region}#/{fragment}"
