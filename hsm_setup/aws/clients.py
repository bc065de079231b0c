"""One botocore Session, its clients made once and shared, retries, the endpoint, call counting.

A botocore Session is not thread-safe but its clients are: every client is created
under one lock from the one Session and then shared by the check threads.
botocore is imported only when the first AwsSession is built, so front ends can draw
before paying for it.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, overload

import msgspec

from hsm_setup.answers.region import region as region_problem
from hsm_setup.aws import config_files
from hsm_setup.aws.connection import Connection
from hsm_setup.errors import CredentialsError, explain

if TYPE_CHECKING:  # the boto3 service stubs type the clients; they are never needed at run time
    from botocore.client import BaseClient
    from botocore.loaders import Loader
    from botocore.model import OperationModel
    from mypy_boto3_iam.client import IAMClient
    from mypy_boto3_identitystore.client import IdentityStoreClient
    from mypy_boto3_organizations.client import OrganizationsClient
    from mypy_boto3_sso.client import SSOClient
    from mypy_boto3_sso_admin.client import SSOAdminClient
    from mypy_boto3_sso_oidc.client import SSOOIDCClient
    from mypy_boto3_sts.client import STSClient

# The services the steps call. Clients for these are made up front in the Region
# Identity Center lives in; other Regions' clients are made on demand.
SERVICES = ("sts", "iam", "organizations", "sso-admin", "identitystore")
# IAM, STS (global endpoint), and Organizations are global services.
GLOBAL_SERVICES = {"iam": "us-east-1", "organizations": "us-east-1"}

# Request parameters that carry a secret (CreateLoginProfile, UpdateLoginProfile, ChangePassword).
SECRET_PARAMS = frozenset({"Password", "OldPassword", "NewPassword"})

# Operations that change an account. Used for counting mutating calls (crash tests,
# least-privilege records) and to keep check strictly read-only.
READ_PREFIXES = ("Get", "List", "Describe", "Generate", "Simulate")


def is_mutating(operation: str) -> bool:
    # GenerateCredentialReport only asks IAM to build a report, SimulatePrincipalPolicy only evaluates
    # policies: neither changes anything.
    # sts AssumeRole (reaching a member account) hands out credentials and changes no account either.
    return not operation.startswith(READ_PREFIXES) and operation != "AssumeRole"


class CallRecord(msgspec.Struct, frozen=True):
    service: str
    operation: str
    region: str
    params: dict[str, object]


class AwsSession:
    """Clients for one account, made from one botocore Session, with call counting."""

    def __init__(self, connection: Connection, *, max_attempts: int = 6, data_loader: Loader | None = None) -> None:
        """`data_loader`: botocore's data loader to parse with; hsm-setup's shared one unless given
        (the practice account's own process passes the one its moto uses)."""
        # botocore's Session, not boto3's: the clients are the same botocore clients, and
        # boto3 adds ~0.1 s of imports (s3transfer, resources) that no step uses.
        import botocore.session
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError

        from hsm_setup.aws.data_loader import shared_loader

        self.connection = connection
        if connection.sandbox:
            # The practice account brings its own endpoint and keys: the person's AWS config files
            # and AWS_PROFILE (perhaps broken, perhaps naming another Region) play no part in it.
            session = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
            session.set_config_variable("config_file", os.devnull)
            session.set_config_variable("credentials_file", os.devnull)
        else:
            session = botocore.session.Session(profile=connection.profile or None)
            config_files.check()
        try:
            if not session.get_config_variable("data_path"):
                session.register_component("data_loader", data_loader or shared_loader())
            if connection.access_key_id and connection.secret_access_key:
                session.set_credentials(
                    connection.access_key_id, connection.secret_access_key, connection.session_token
                )
            # Read the config now: an unknown profile (ProfileNotFound) or a malformed file
            # (ConfigParseError) is explained here, before any call, not in the middle of a check.
            session.get_scoped_config()
            configured = session.get_config_variable("region")
        except BotoCoreError as exc:
            problem = explain(exc, connection.profile)
            raise CredentialsError(problem.cause, problem.next_move) from None
        self.region = connection.region or configured or "us-east-1"
        if not connection.region and configured and (wrong := region_problem(configured)):
            # botocore checks a Region's form only when it builds an endpoint itself: --endpoint-url
            # or AWS_ENDPOINT_URL would carry a profile's mistyped Region into every signature.
            who = f"the profile `{connection.profile}`" if connection.profile else "the default profile"
            raise CredentialsError(
                f"The region of {who}: {wrong}.",
                "Fix `region` in the AWS config file (for example us-east-1), or pass --region.",
            )
        # True when neither --region, AWS_REGION nor the profile named a Region (us-east-1 is used).
        self.region_defaulted = not (connection.region or configured)
        self._session = session
        from hsm_setup.aws.signin.credentials import equip

        equip(session, connection, self.region)  # the AWS CLI's caches, MFA asked through hsm-setup
        # Standard mode retries throttling and transient 5xx with jittered backoff;
        # six attempts survive a burst without hanging for long.
        self._config = Config(
            retries={"mode": "standard", "max_attempts": max_attempts},
            max_pool_connections=32,
            connect_timeout=5,
            read_timeout=30,
            user_agent_extra="hsm-setup",
        )
        self._clients: dict[tuple[str, str], BaseClient] = {}
        self._lock = threading.Lock()
        self.calls: list[CallRecord] = []
        self._calls_lock = threading.Lock()
        self._listeners: list[Callable[[CallRecord], None]] = []

    # -- clients -----------------------------------------------------------------
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
    def client(self, service: Literal["sso-oidc"], region: str | None = None) -> SSOOIDCClient: ...
    @overload
    def client(self, service: Literal["sso"], region: str | None = None) -> SSOClient: ...
    @overload
    def client(self, service: str, region: str | None = None) -> BaseClient: ...
    def client(self, service: str, region: str | None = None) -> BaseClient:
        region = GLOBAL_SERVICES.get(service) or region or self.region
        key = (service, region)
        client = self._clients.get(key)
        if client is not None:
            return client
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._make_client(service, region)
                self._clients[key] = client
        return client

    def new_client(self, service: str, region: str | None = None) -> Any:
        """A client of its own, not shared: a member account's (re-signed per call), or one with hooks of its own
        (identity_center/pace.py paces every request its client sends)."""
        region = GLOBAL_SERVICES.get(service) or region or self.region
        with self._lock:
            return self._make_client(service, region)

    def warm_up(self) -> None:
        """Create the usual clients now (in one thread), so checks never wait on it."""
        for service in SERVICES:
            self.client(service)

    def _make_client(self, service: str, region: str) -> BaseClient:
        from hsm_setup.aws.data_loader import check_service

        check_service(service)
        kwargs: dict[str, Any] = {"region_name": region, "config": self._config}
        # An explicit endpoint (the practice account, a proxy) overrides everything;
        # otherwise botocore honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>.
        if self.connection.endpoint_url:
            kwargs["endpoint_url"] = self.connection.endpoint_url
        client = self._session.create_client(service, **kwargs)
        client.meta.events.register("provide-client-params.*.*", self._record_call)
        # First, so it can stop botocore's retry handler before it schedules a retry.
        client.meta.events.register_first("needs-retry.*.*", _no_blind_retry_of_changes)
        client.meta.events.register("after-call.*.*", _name_the_service)
        return client

    def _record_call(
        self, params: dict[str, object], model: OperationModel, context: dict[str, Any], **_: object
    ) -> None:
        service = model.service_model.service_name
        # Recorded calls feed counts and listeners: a password sent to IAM is kept out of them.
        recorded = {k: ("(hidden)" if k in SECRET_PARAMS else v) for k, v in params.items()}
        record = CallRecord(service, model.name, context.get("client_region", ""), recorded)
        with self._calls_lock:
            self.calls.append(record)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(record)

    def add_listener(self, listener: Callable[[CallRecord], None]) -> None:
        with self._calls_lock:
            self._listeners.append(listener)

    # -- helpers -----------------------------------------------------------------
    def call_counts(self) -> Counter[str]:
        with self._calls_lock:
            return Counter(f"{c.service}:{c.operation}" for c in self.calls)

    def mutating_calls(self) -> list[CallRecord]:
        with self._calls_lock:
            return [c for c in self.calls if is_mutating(c.operation)]

    def available_regions(self, service: str) -> list[str]:
        return sorted(self._session.get_available_regions(service))

    def access_key_id(self) -> str | None:
        """The access key id the session signs with (not a secret), or None without credentials."""
        try:
            credentials = self._session.get_credentials()
        except Exception:  # an unusable profile is reported by the first AWS call, not here
            return None
        return getattr(credentials, "access_key", None) if credentials else None

    def sign_in(self) -> None:
        """Get the credentials now, in this thread: an MFA code or a role is asked for here, not mid-check."""
        credentials = self._session.get_credentials()
        if credentials is not None:
            credentials.get_frozen_credentials()

    @property
    def profile(self) -> str | None:
        return self.connection.profile or os.environ.get("AWS_PROFILE")


def is_ambiguous_failure(exc: BaseException | None, status: int | None = None) -> bool:
    """True when a request may have reached AWS and been carried out although no answer came back.

    A connection lost after sending, a read timeout, or a 500 from the service: the change
    may have happened. A refused connection, throttling or a 503 means it did not.
    """
    if exc is not None:
        import botocore.exceptions as bex

        if isinstance(exc, bex.ConnectionError):  # never connected: nothing was sent
            return False
        if isinstance(exc, bex.HTTPClientError):
            return True
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status in (500, 502, 504)


# Key added to a failed call's response: IAM and Identity Center both have CreateGroup and
# ListGroups, so an error message needs the service to name the right IAM action.
SERVICE_KEY = "HsmSetupService"


def _name_the_service(parsed: object = None, model: OperationModel | None = None, **_: object) -> None:
    if isinstance(parsed, dict) and "Error" in parsed and model is not None:
        parsed[SERVICE_KEY] = model.service_model.service_name


def _no_blind_retry_of_changes(
    response: Any = None,
    caught_exception: Exception | None = None,
    operation: OperationModel | None = None,
    **_: object,
) -> None:
    """Keep botocore from re-sending a change whose first attempt may have been carried out.

    Sent again, CreatePolicyVersion or CreateGroupMembership would make a second
    version or membership. Raising here ends the call with that failure; the
    engine then runs the whole action again, and every action re-reads what
    exists before changing it, so a change that did happen is adopted.
    Reads, throttling, 503 and refused connections are retried by botocore as usual.
    """
    if operation is None or not is_mutating(operation.name):
        return
    if caught_exception is not None:
        if is_ambiguous_failure(caught_exception):
            raise caught_exception
        return
    if response is None:
        return
    http, parsed = response
    if is_ambiguous_failure(None, getattr(http, "status_code", None)):
        from botocore.exceptions import ClientError

        raise ClientError(parsed, operation.name)
