"""Root credentials: said plainly, and once the administrator exists, the root access key in use may be deleted."""

from __future__ import annotations

import io

import keyring
import pytest

from hsm_setup.aws.connection import Connection
from hsm_setup.aws.identity import Identity
from hsm_setup.session.root_key import root_key_offer
from hsm_setup.model import Status, StepResult
from hsm_setup.secrets.store import SERVICE_NAME, SecretStore, StoredCredentials, reset_default_store
from hsm_setup.session.workspace import open_workspace
from hsm_setup_screens.plain.flow import PlainFlow
from tests.unit.test_plain_flow import FakeQuestionary
from tests.unit.test_secrets import MemoryKeyring

ACCOUNT = "123456789012"
ROOT = Identity(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT)
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"


@pytest.fixture
def root_key(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """A real key in the in-process account; moto cannot sign in as root, so sts answers as root here."""
    import boto3

    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="stands-in-for-root")
    key_id = iam.create_access_key(UserName="stands-in-for-root")["AccessKey"]["AccessKeyId"]
    monkeypatch.setattr("hsm_setup.engine.runner.get_identity", lambda aws: ROOT)
    return key_id


def results(admin: Status) -> dict[str, StepResult]:
    portal = "https://d-1234567890.awsapps.com/start"
    return {
        "identity-center": StepResult("identity-center", Status.DONE, facts={"portal_url": portal, "region": "us-east-1"}),
        "admin-user": StepResult("admin-user", admin),
    }


def flow_for(key_id: str) -> tuple[PlainFlow, io.StringIO]:
    out = io.StringIO()
    flow = PlainFlow(None, out=out, store=SecretStore())
    connection = Connection(region="us-east-1", access_key_id=key_id, secret_access_key=SECRET)
    flow.workspace = open_workspace(connection)
    flow.workspace.load_state()
    return flow, out


def test_no_offer_before_the_administrator_exists_or_for_other_callers(root_key: str) -> None:
    flow, _ = flow_for(root_key)
    aws = flow.workspace.aws
    assert root_key_offer(ROOT, aws, results(Status.INCOMPLETE)) is None
    user = Identity(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/ops", "AIDA")
    assert root_key_offer(user, aws, results(Status.DONE)) is None
    assert root_key_offer(ROOT, aws, results(Status.DONE)).access_key_id == root_key


def test_root_key_deleted_after_a_confirmation_naming_it(root_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    reset_default_store()
    SecretStore().save(ACCOUNT, StoredCredentials(root_key, SECRET))
    fake = FakeQuestionary([("Delete the root user's access key", True)]).install(monkeypatch)
    flow, out = flow_for(root_key)
    flow.results = results(Status.DONE)

    flow.offer_root_key_deletion()

    assert fake.messages("confirm") == [f"Delete the root user's access key {root_key} now?"]
    text = out.getvalue()
    assert f"aws iam delete-access-key --access-key-id {root_key}" in text
    assert "Continue as the administrator ops.admin" in text
    assert "https://d-1234567890.awsapps.com/start" in text and "aws configure sso" in text
    import boto3

    assert boto3.client("iam", region_name="us-east-1").list_access_keys(UserName="stands-in-for-root")["AccessKeyMetadata"] == []
    # The dead key is gone from the keyring too, and the deletion is in the journal.
    assert (SERVICE_NAME, ACCOUNT) not in backend.entries
    assert any(e["action"] == "root-user:delete-root-access-key" and e["event"] == "done" for e in flow.workspace.state.data["journal"])
    reset_default_store()


def test_declining_keeps_the_key(root_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    FakeQuestionary([("Delete the root user's access key", False)]).install(monkeypatch)
    flow, out = flow_for(root_key)
    flow.results = results(Status.DONE)

    flow.offer_root_key_deletion()

    import boto3

    assert len(boto3.client("iam", region_name="us-east-1").list_access_keys(UserName="stands-in-for-root")["AccessKeyMetadata"]) == 1
    assert "Kept." in out.getvalue()


def test_root_credentials_are_named_plainly(root_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    FakeQuestionary([("Apply", False)]).install(monkeypatch)
    out = io.StringIO()
    connection = Connection(region="us-east-1", access_key_id=root_key, secret_access_key=SECRET)
    flow = PlainFlow(connection, out=out, store=SecretStore(), wait_for_input=lambda t: "s", watch_seconds=1, sleep=lambda s: None)

    flow.run()

    assert "You are signed in as the root user." in out.getvalue()
