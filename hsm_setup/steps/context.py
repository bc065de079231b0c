"""What a step's check, plan and actions get to work with."""

from __future__ import annotations

import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable

from hsm_setup.answers.values import Answers
from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.identity import Identity
from hsm_setup.model import StepResult
from hsm_setup.state.account import AccountState


@dataclass
class StepContext:
    aws: AwsSession
    answers: Answers
    identity_future: "Future[Identity]"
    state: AccountState | None = None
    # Results of the steps this one depends on (and, during apply, of every step so far).
    deps: dict[str, StepResult] = field(default_factory=dict)
    sandbox: bool = False
    # Progress lines for long waits (assignment provisioning, the credential report).
    progress: Callable[[str], None] = lambda message: None
    # Hands a secret (events.SecretIssued) to the person through the front end; True once it was shown.
    # The default shows nothing, so a secret issued without a front end counts as never shown.
    reveal: Callable[[Any], bool] = lambda secret: False
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

    def client(self, service: str, region: str | None = None) -> Any:
        return self.aws.client(service, region or self.region)

    def saved(self, key: str) -> Any:
        return self.state.resource(key) if self.state else None

    def remember(self, **resources: Any) -> None:
        if self.state:
            self.state.remember(**resources)

    def record_created(self, kind: str, ident: str, **details: Any) -> None:
        """Note that this run created (not adopted) a resource: teardown removes only these."""
        if self.state:
            self.state.record_created(kind, ident, **details)

    def forget(self, key: str) -> None:
        if self.state:
            self.state.forget_resource(key)

    def fact(self, step_id: str, key: str, default: Any = None) -> Any:
        result = self.deps.get(step_id)
        return result.facts.get(key, default) if result else default
