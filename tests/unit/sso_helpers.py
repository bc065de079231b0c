"""Helpers for the Identity Center step tests (moto in-process).

moto answers every Identity Center request at once and always with success, so the
tests that need IN_PROGRESS, FAILED or ConflictException change moto's answers
with client event handlers: `edit_response` rewrites a real answer after moto gave
it (moto still records the change), `replace_response` answers instead of moto.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from hsm_setup.answers.values import Answers
from hsm_setup.engine.runner import Engine
from hsm_setup.state.account import AccountState
from hsm_setup.steps import admin_user, identity_center, permission_sets

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
IC_STEPS = (identity_center.STEP, admin_user.STEP, permission_sets.STEP)


def make_management_account(aws: Any, feature_set: str = "ALL") -> str:
    """Put the account at the head of a new organization; returns the organization id."""
    return aws.client("organizations").create_organization(FeatureSet=feature_set)["Organization"]["Id"]


def moto_instances(region: str = "us-east-1", account: str = ACCOUNT) -> list[Any]:
    from moto.ssoadmin.models import ssoadmin_backends

    return ssoadmin_backends[account][region].instances


def clear_all_instances(aws: Any) -> None:
    """moto invents an instance in every Region; a 'not enabled' case must remove them all."""
    for region in aws.available_regions("sso-admin"):
        moto_instances(region).clear()


def add_instance(region: str, owner: str = ACCOUNT) -> Any:
    from moto.ssoadmin.models import Instance

    instance = Instance(owner, region)
    moto_instances(region).append(instance)
    return instance


def build_engine(
    aws: Any, answers: dict | None = None, *, sleeps: list | None = None, events: list | None = None, state: bool = True
) -> Engine:
    return Engine(
        aws,
        Answers(answers or {}),
        sandbox=True,  # moto in-process stands in for the practice account (its made-up administrator)
        state=AccountState(ACCOUNT) if state else None,
        steps=IC_STEPS,
        sleep=(sleeps.append if sleeps is not None else (lambda seconds: None)),
        on_event=(events.append if events is not None else None),
    )


def check_with_identity_center(engine: Engine, step: Any) -> tuple[Any, dict]:
    """Check identity-center, then `step` with it; returns the step's result and the results so far."""
    ic = engine.check_step(identity_center.STEP, {})
    result = engine.check_step(step, {"identity-center": ic})
    return result, {"identity-center": ic, step.id: result}


def edit_response(client: Any, operation: str, edit: Callable[[dict, int], None]) -> list[int]:
    """After moto answers `operation`, call edit(parsed, n) on the answer (n counts from 1)."""
    seen: list[int] = []

    def handler(parsed: dict, model: Any, **_: Any) -> None:
        if model.name == operation:
            seen.append(len(seen) + 1)
            edit(parsed, len(seen))

    client.meta.events.register(f"after-call.*.{operation}", handler)
    return seen


def replace_response(client: Any, operation: str, respond: Callable[[int], dict | None]) -> list[int]:
    """Answer `operation` with respond(n) instead of moto; None lets moto answer that call.

    A dict with an "Error" key becomes an HTTP 400, which botocore raises as ClientError.
    """
    seen: list[int] = []

    def handler(model: Any, **_: Any) -> Any:
        if model.name != operation:
            return None
        seen.append(len(seen) + 1)
        parsed = respond(len(seen))
        if parsed is None:
            return None
        status = 400 if "Error" in parsed else 200
        parsed.setdefault("ResponseMetadata", {"HTTPStatusCode": status})
        return SimpleNamespace(status_code=status, headers={}, content=b""), parsed

    client.meta.events.register(f"before-call.*.{operation}", handler)
    return seen


def error(code: str, message: str = "") -> dict:
    return {"Error": {"Code": code, "Message": message or code}}


def mutating(aws: Any) -> list[str]:
    return [f"{c.service}:{c.operation}" for c in aws.mutating_calls()]
