"""The OS keyring wrapper: saving, listing and forgetting credentials; no backend; a hanging backend; plain-text backends refused."""

from __future__ import annotations

import threading
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail
from keyring.errors import PasswordDeleteError

from hsm_setup.cli import main as cli
from hsm_setup.secrets.store import (
    SERVICE_NAME,
    KeyringUnavailable,
    SecretStore,
    StoredCredentials,
    reset_default_store,
)

ACCOUNT = "123456789012"
OTHER = "210987654321"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
TOKEN = "FQoGZXIvYXdzEXAMPLETOKENvalue1234567890abcdef"
CREDS = StoredCredentials("AKIAIOSFODNN7EXAMPLE", SECRET, TOKEN)


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring: what the OS keyring would hold, inspectable by the test."""

    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class HangingKeyring(MemoryKeyring):
    """A keyring that never answers (a Secret Service waiting for a D-Bus session that is not there)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(30)
        return None

    set_password = get_password  # type: ignore[assignment]


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt.file.PlaintextKeyring (not installed here): same module name."""


PlaintextKeyring.__module__ = "keyrings.alt.file"


@pytest.fixture
def memory(state_dir: Path):
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    reset_default_store()
    yield backend
    reset_default_store()


def test_saved_credentials_come_back_and_are_listed_without_the_secret(memory: MemoryKeyring, state_dir: Path) -> None:
    store = SecretStore()
    store.save(ACCOUNT, CREDS, caller_arn=f"arn:aws:iam::{ACCOUNT}:root")

    assert SecretStore().load(ACCOUNT) == CREDS
    assert [e.account_id for e in SecretStore().saved()] == [ACCOUNT]
    assert (SERVICE_NAME, ACCOUNT) in memory.entries
    index = (state_dir / "saved-credentials.json").read_text()
    assert ACCOUNT in index and SECRET not in index and TOKEN not in index
    assert (state_dir / "saved-credentials.json").stat().st_mode & 0o777 == 0o600


def test_repr_of_credentials_hides_the_secret_and_token() -> None:
    text = repr(CREDS)
    assert "AKIAIOSFODNN7EXAMPLE" in text
    assert SECRET not in text and TOKEN not in text


def test_forget_one_account_leaves_the_others(memory: MemoryKeyring) -> None:
    store = SecretStore()
    store.save(ACCOUNT, CREDS)
    store.save(OTHER, CREDS)

    report = store.forget(ACCOUNT)

    assert report.deleted == [ACCOUNT]
    assert [e.account_id for e in store.saved()] == [OTHER]
    assert store.load(ACCOUNT) is None
    assert store.load(OTHER) == CREDS


def test_forget_command_deletes_every_saved_account_and_says_which(
    memory: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    SecretStore().save(ACCOUNT, CREDS)
    SecretStore().save(OTHER, CREDS)

    assert cli.main(["forget"]) == 0

    out = capsys.readouterr().out
    assert f"Deleted the saved credentials of account {ACCOUNT}" in out
    assert f"Deleted the saved credentials of account {OTHER}" in out
    assert memory.entries == {}
    assert SecretStore().saved() == []
    assert cli.main(["forget"]) == 0
    assert "No saved credentials." in capsys.readouterr().out


def test_forget_command_refuses_a_malformed_account_id(
    memory: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    SecretStore().save(ACCOUNT, CREDS)
    assert cli.main(["forget", "--account", "12345"]) == 2
    assert "--account" in capsys.readouterr().err
    assert (SERVICE_NAME, ACCOUNT) in memory.entries


def test_forget_an_entry_the_keyring_lost_drops_it_from_the_list(
    memory: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    SecretStore().save(ACCOUNT, CREDS)
    memory.entries.clear()  # deleted by hand in the desktop's keyring manager

    assert cli.main(["forget", "--account", ACCOUNT]) == 0
    assert "held no credentials" in capsys.readouterr().out
    assert SecretStore().saved() == []


def test_no_keyring_backend_is_explained() -> None:
    store = SecretStore(backend=fail.Keyring())
    problem = store.available()
    assert problem is not None and "No OS keyring is available" in problem
    with pytest.raises(KeyringUnavailable) as caught:
        store.save(ACCOUNT, CREDS)
    assert "memory" in caught.value.next_move


def test_a_hanging_keyring_times_out_and_is_not_waited_on_again() -> None:
    backend = HangingKeyring()
    store = SecretStore(backend=backend, timeout=0.2)
    try:
        with pytest.raises(KeyringUnavailable) as caught:
            store.load(ACCOUNT)
        assert "did not answer within 0.2 seconds" in caught.value.cause
        # The store is off for the rest of the run: a second call fails at once, without a second thread.
        before = threading.active_count()
        with pytest.raises(KeyringUnavailable):
            store.save(ACCOUNT, CREDS)
        assert threading.active_count() == before
        assert store.saved() == []  # nothing was noted as saved
    finally:
        backend.release.set()


def test_a_plaintext_file_backend_is_refused_loudly() -> None:
    backend = PlaintextKeyring()
    store = SecretStore(backend=backend)
    with pytest.raises(KeyringUnavailable) as caught:
        store.save(ACCOUNT, CREDS)
    assert "file on disk" in caught.value.cause and "refuses" in caught.value.cause
    assert backend.entries == {}


def test_a_chain_never_falls_through_to_a_plaintext_backend() -> None:
    secure, plain = MemoryKeyring(), PlaintextKeyring()

    class Chain(chainer.ChainerBackend):
        # The chain's own order puts the plain-text file first: it must still not be used.
        backends = [plain, secure]  # type: ignore[assignment]

    SecretStore(backend=Chain()).save(ACCOUNT, CREDS)

    assert plain.entries == {}
    assert (SERVICE_NAME, ACCOUNT) in secure.entries


def test_garbage_in_the_keyring_entry_is_treated_as_nothing_saved(memory: MemoryKeyring) -> None:
    memory.entries[(SERVICE_NAME, ACCOUNT)] = "not json"
    assert SecretStore().load(ACCOUNT) is None
