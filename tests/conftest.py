"""Shared fixtures.

Unit tests run moto in-process (mock_aws); end-to-end tests run the real program
against the practice account's moto server over HTTP.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ACCOUNT_ID = "123456789012"


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may see the developer's AWS config, credentials or saved state."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "HSM_SETUP_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("HSM_SETUP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("NO_COLOR", "1")
    # Never let botocore look for credentials on the instance metadata endpoint.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def mocked_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in-process, with fake credentials so nothing can reach a real account."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    from moto import mock_aws
    from moto.iam.exceptions import IAMException
    from moto.iam.responses import IamResponse

    class OrganizationNotFound(IAMException):
        code = "OrganizationNotFoundException"

    def list_organizations_features(self: IamResponse) -> str:
        # Not in moto. The in-process account is standalone, and AWS answers a standalone account so.
        raise OrganizationNotFound("The request was rejected because no organization is associated with your account.")

    monkeypatch.setattr(IamResponse, "list_organizations_features", list_organizations_features, raising=False)
    with mock_aws():
        yield


@pytest.fixture
def aws(mocked_aws: None):
    """An AwsSession on the in-process moto account."""
    from hsm_setup.aws.clients import AwsSession
    from hsm_setup.aws.connection import Connection

    return AwsSession(Connection(region="us-east-1"))


@pytest.fixture
def make_engine(aws):
    """Build an Engine on the in-process account; sleeps are skipped so polling tests are fast."""
    from hsm_setup.answers.values import Answers
    from hsm_setup.engine.runner import Engine
    from hsm_setup.state.account import AccountState

    def build(answers: dict | None = None, **kwargs):
        state = AccountState(ACCOUNT_ID)
        # moto in-process stands in for the practice account: its made-up administrator is the default.
        kwargs.setdefault("sandbox", True)
        return Engine(aws, Answers(answers or {}), state=state, sleep=lambda seconds: None, **kwargs)

    return build


def _deny_handler(operations: set[str], code: str):
    from botocore.exceptions import ClientError

    def handler(model, params, **_):
        if model.name in operations:
            raise ClientError(
                {"Error": {"Code": code, "Message": f"User is not authorized to perform {model.name}"}},
                model.name,
            )

    return handler


@pytest.fixture
def deny(aws):
    """deny("GetRole", ...) makes those operations fail with AccessDenied on every client of `aws`.

    Raised before the request is sent, the way a denied call reaches the code.
    """

    def apply(*operations: str, code: str = "AccessDenied") -> None:
        handler = _deny_handler(set(operations), code)
        from hsm_setup.aws.clients import SERVICES

        for service in SERVICES:
            aws.client(service).meta.events.register("before-parameter-build.*.*", handler)

    return apply


# -- the practice account over HTTP (end-to-end and reliability tests) ------------------------
@pytest.fixture(scope="module")
def _server():
    from hsm_setup.sandbox import PracticeAccount

    practice = PracticeAccount(scenario="fresh")
    practice.start()
    yield practice
    practice.stop()


@pytest.fixture
def practice(_server):
    """A fresh practice account (the server is shared by a module, its state reset per test)."""
    _server.reset("fresh")
    return _server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with the longest tests first, so that `-n auto --dist loadfile` (one file to a worker
    at a time, in this order) starts them at once instead of leaving one to run alone at the end."""

    def weight(item: pytest.Item) -> int:
        if item.get_closest_marker("long"):
            return 2
        return 1 if item.get_closest_marker("slow") else 0

    heaviest: dict[str, int] = {}
    for item in items:
        path = str(item.path)
        heaviest[path] = max(heaviest.get(path, 0), weight(item))
    items.sort(key=lambda item: -heaviest[str(item.path)])  # stable: the order within a file stays
