"""Root credentials: said plainly, and once the administrator exists, the root access key in use may be deleted.

The practice account answers as the root user here (its caller "root"), reached through
AWS_ENDPOINT_URL with typed keys, as a real account would be: the offer is made only
for real credentials, never for the practice account's own sign-in.
"""

from __future__ import annotations

import io

import keyring
import pytest

from hsm_setup.aws.connection import Connection
from hsm_setup.secrets.store import SERVICE_NAME, SecretStore, StoredCredentials, reset_default_store
from hsm_setup.session.offers import OfferKind
from hsm_setup.session.session import Session
from hsm_setup_screens.plain.flow import PlainFlow
from tests.e2e.conftest import save_admin
from tests.unit.test_plain_flow import FakeQuestionary
from tests.unit.test_secrets import MemoryKeyring

ACCOUNT = "123456789012"
KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
TYPED = Connection(region="us-east-1", access_key_id=KEY_ID, secret_access_key=SECRET)


@pytest.fixture
def as_root(practice, state_dir, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", practice.endpoint_url)
    # Reached by endpoint with typed keys the account counts as real: its administrator was named before.
    save_admin(state_dir)
    practice.caller = "root"
    yield practice
    practice.caller = "user"


@pytest.fixture
def store() -> SecretStore:
    keyring.set_keyring(MemoryKeyring())
    reset_default_store()
    yield SecretStore()
    reset_default_store()


def _session(store: SecretStore) -> Session:
    return Session(store=store, sleep=lambda seconds: None)


def test_the_offer_is_made_once_the_administrator_exists_and_names_the_key(as_root, store: SecretStore) -> None:
    as_root.reset("complete")
    session = _session(store)
    session.connect(TYPED)
    session.check()

    offers = [o for o in session.offers() if o.kind is OfferKind.DELETE_ROOT_KEY]
    assert len(offers) == 1
    assert KEY_ID in offers[0].question and offers[0].danger
    assert offers[0].command == f"aws iam delete-access-key --access-key-id {KEY_ID}"
    session.close()


def test_no_offer_before_the_administrator_exists(as_root, store: SecretStore) -> None:
    as_root.reset("fresh")
    session = _session(store)
    session.connect(TYPED)
    session.check()

    assert not any(o.kind is OfferKind.DELETE_ROOT_KEY for o in session.offers())
    session.close()


def test_no_offer_for_a_caller_that_is_not_root(practice, store: SecretStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", practice.endpoint_url)
    practice.reset("complete")
    session = _session(store)
    session.connect(TYPED)
    session.check()

    assert not any(o.kind is OfferKind.DELETE_ROOT_KEY for o in session.offers())
    session.close()


def test_deleting_drops_the_saved_copy_and_says_how_to_go_on(as_root, store: SecretStore) -> None:
    as_root.reset("complete")
    store.save(ACCOUNT, StoredCredentials(KEY_ID, SECRET))
    session = _session(store)
    session.connect(TYPED)
    session.check()
    offer = next(o for o in session.offers() if o.kind is OfferKind.DELETE_ROOT_KEY)

    outcome = session.answer(offer, "delete")

    text = "\n".join(outcome.lines)
    assert f"Deleted the root user's access key {KEY_ID}" in text
    assert "Also deleted the saved copy of that key from the OS keyring" in text
    assert "Continue as the administrator ops.admin" in text and "aws configure sso" in text
    assert ACCOUNT not in {e.account_id for e in store.saved()}
    calls = [c.operation for c in session.workspace.aws.mutating_calls()]
    assert calls == ["DeleteAccessKey"]
    journal = session.workspace.state.data["journal"]
    assert any(e["action"] == "root-user:delete-root-access-key" and e["event"] == "done" for e in journal)
    # Answered: not offered again, and nothing left to delete on the summary.
    assert not session.offers() and "delete-root-key" not in {h.value for h in session.view().handoffs}
    session.close()


def test_declining_keeps_the_key_and_leaves_it_on_the_summary(as_root, store: SecretStore) -> None:
    as_root.reset("complete")
    session = _session(store)
    session.connect(TYPED)
    session.check()
    offer = next(o for o in session.offers() if o.kind is OfferKind.DELETE_ROOT_KEY)

    outcome = session.answer(offer, "keep")

    assert outcome.lines[0].startswith("Kept.")
    assert session.workspace.aws.mutating_calls() == []
    assert "delete-root-key" in {h.value for h in session.view().handoffs}
    session.check()
    assert not session.offers()  # made once: a later check does not ask again
    session.close()


def test_plain_asks_as_soon_as_the_offer_is_made_naming_the_key(
    as_root, store: SecretStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_root.reset("complete")
    fake = FakeQuestionary([("Delete the root user's access key", True)]).install(monkeypatch)
    out = io.StringIO()
    flow = PlainFlow(TYPED, out=out, store=store, wait_for_input=lambda t: "s", watch_seconds=1, sleep=lambda s: None)

    assert flow.run() == 0

    text = out.getvalue()
    asked = [m for m in fake.messages("confirm") if "Delete the root user's access key" in m]
    assert len(asked) == 1 and KEY_ID in asked[0]
    assert f"aws iam delete-access-key --access-key-id {KEY_ID}" in text
    # Asked right after the first check, before the steps are walked.
    assert text.index(f"Deleted the root user's access key {KEY_ID}") < text.index("Step 1 of 6")
    assert "You are signed in as the root user." in text
    assert (SERVICE_NAME, ACCOUNT) not in getattr(keyring.get_keyring(), "entries", {})
