"""Typed-in AWS credentials kept in the OS keyring, if the person agrees.

- One keyring entry per account: service `hsm-setup`, username = the account id,
  value = JSON of the key pair. Nothing secret is ever written to a file or a log.
- Keyring has no listing API, so a small index of the account ids that have saved
  credentials lives in the state directory. It holds ids and caller ARNs only.
- An IAM administrator's new console password may be kept too, if the person
  agrees, until they mark it handed over: username `<account>:<user>:console-password`;
  the index lists the account and user name, never the password.
- Every keyring call runs in a daemon thread with a timeout: a Secret Service with
  no D-Bus session can block forever, and a stuck prompt must not freeze setup.
  After one timeout the store stays off for the rest of the run.
- A backend that would write the secret to a plain file (keyrings.alt's file
  backends) is refused, never used silently.

Every function here blocks (for up to `timeout` seconds): front ends call them
from a worker thread or before their event loop starts.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from hsm_setup.errors import HsmSetupError
from hsm_setup.state.files import atomic_write, state_root

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE_NAME = "hsm-setup"
INDEX_FILE = "saved-credentials.json"
TIMEOUT_SECONDS = 3.0
# Backends whose "keyring" is a file on disk in plain text (or one that asks for a
# master password on the terminal, which would hang a worker thread).
INSECURE_MODULE_PREFIXES = ("keyrings.alt",)

T = TypeVar("T")


class KeyringUnavailable(HsmSetupError):
    """The OS keyring cannot be used; credentials stay in memory for this run."""


@dataclass(frozen=True)
class StoredCredentials:
    """An access key pair (and session token) as kept in the keyring. The secret parts never appear in repr."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    def to_secret_json(self) -> str:
        return json.dumps(
            {
                "aws_access_key_id": self.access_key_id,
                "aws_secret_access_key": self.secret_access_key,
                "aws_session_token": self.session_token,
            }
        )

    @classmethod
    def from_secret_json(cls, text: str) -> StoredCredentials | None:
        try:
            data = json.loads(text)
            key_id, secret = data["aws_access_key_id"], data["aws_secret_access_key"]
        except (ValueError, TypeError, KeyError):
            return None
        if not isinstance(key_id, str) or not isinstance(secret, str) or not key_id or not secret:
            return None
        token = data.get("aws_session_token")
        return cls(key_id, secret, token if isinstance(token, str) and token else None)


class SavedEntry(msgspec.Struct, frozen=True):
    """One account with saved credentials, from the index (no secret)."""

    account_id: str
    caller_arn: str = ""
    saved_at: str = ""

    def describe(self) -> str:
        who = f" as {self.caller_arn}" if self.caller_arn else ""
        return f"account {self.account_id}{who}"


class PendingPassword(msgspec.Struct, frozen=True):
    """A console password kept in the keyring until its user has it (from the index: no secret)."""

    account_id: str
    user_name: str
    kept_at: str = ""

    @property
    def keyring_username(self) -> str:
        return console_password_username(self.account_id, self.user_name)


def console_password_username(account_id: str, user_name: str) -> str:
    """The keyring username of an IAM user's console password waiting to be handed over."""
    return f"{account_id}:{user_name}:console-password"


class ForgetReport(msgspec.Struct):
    deleted: list[str] = msgspec.field(default_factory=list)
    # account id -> why it could not be deleted
    failed: dict[str, str] = msgspec.field(default_factory=dict)
    # Listed in the index but already gone from the keyring: the index entry was dropped.
    missing: list[str] = msgspec.field(default_factory=list)
    # Console passwords waiting to be handed over that were deleted ("account:user").
    passwords_deleted: list[str] = msgspec.field(default_factory=list)


def backend_problem(backend: KeyringBackend) -> str | None:
    """Why this keyring backend must not hold credentials, or None when it is fine."""
    from keyring.backends import chainer, fail

    if isinstance(backend, fail.Keyring):
        return "No OS keyring is available on this system (no Secret Service, KWallet, macOS Keychain or Windows Credential Locker was found)."
    module = type(backend).__module__
    if module.startswith("keyring.backends.null"):
        return "The keyring is switched off (keyring's null backend is configured)."
    if module.startswith(INSECURE_MODULE_PREFIXES):
        return (
            f"The configured keyring ({type(backend).__module__}.{type(backend).__name__}) keeps secrets in a file "
            "on disk, not in the OS keyring; hsm-setup refuses to store AWS credentials there."
        )
    if isinstance(backend, chainer.ChainerBackend):
        usable = [b for b in backend.backends if backend_problem(b) is None]
        if not usable:
            return backend_problem(fail.Keyring())
    return None


def _secure_backend(backend: KeyringBackend) -> KeyringBackend:
    """The backend to use: for a chain, its best backend that is not a plain-text file."""
    from keyring.backends import chainer

    if isinstance(backend, chainer.ChainerBackend):
        # The chain would fall through to a lower-priority backend (possibly a plain
        # file) when the first one fails; pinning the best secure one prevents that.
        for candidate in backend.backends:
            if backend_problem(candidate) is None:
                return candidate
    return backend


class SecretStore:
    """The OS keyring, with a timeout, a refusal of plain-text backends, and an index of saved accounts."""

    def __init__(self, *, timeout: float = TIMEOUT_SECONDS, root: Path | None = None, backend: Any = None) -> None:
        self.timeout = timeout
        self._root = root
        self._backend = backend
        self._resolved = False
        # Set once the keyring has proved unusable, so later calls fail at once.
        self._broken: KeyringUnavailable | None = None
        self._lock = threading.Lock()

    # -- the backend ------------------------------------------------------------------
    def _call(self, what: str, function: Callable[[], T]) -> T:
        """Run a keyring call in a daemon thread; a call that does not answer in time is abandoned."""
        if self._broken is not None:
            raise self._broken
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["value"] = function()
            except BaseException as exc:  # handed back to the caller's thread
                box["error"] = exc

        worker = threading.Thread(target=target, name=f"hsm-setup-keyring-{what}", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            self._broken = KeyringUnavailable(
                f"The OS keyring did not answer within {self.timeout:g} seconds (it may be locked, "
                "or waiting for a desktop session that is not there).",
                "Credentials stay in memory for this run only. Unlock the keyring, or use an AWS profile.",
            )
            raise self._broken
        error = box.get("error")
        if error is not None:
            raise self._explain(error) from None
        return box["value"]

    def _explain(self, exc: BaseException) -> KeyringUnavailable:
        from keyring import errors

        if isinstance(exc, KeyringUnavailable):
            return exc
        if isinstance(exc, errors.NoKeyringError):
            problem = backend_problem(_fail_backend())
        elif isinstance(exc, errors.KeyringLocked):
            problem = "The OS keyring is locked."
        else:
            problem = f"The OS keyring failed: {type(exc).__name__}: {exc}"
        return KeyringUnavailable(str(problem), "Credentials stay in memory for this run only.")

    def backend(self) -> KeyringBackend:
        """The keyring backend to use. Raises KeyringUnavailable with the reason when there is none."""
        if self._broken is not None:
            raise self._broken
        with self._lock:
            if not self._resolved:
                if self._backend is None:
                    import keyring

                    # Finding the backend can itself talk to D-Bus: it runs under the timeout too.
                    self._backend = self._call("init", keyring.get_keyring)
                self._backend = _secure_backend(self._backend)
                self._resolved = True
            backend = self._backend
        problem = backend_problem(backend)
        if problem:
            raise KeyringUnavailable(problem, "Credentials stay in memory for this run only.")
        return backend

    def available(self) -> str | None:
        """None when the keyring can be used, else the reason it cannot (a sentence a person can read)."""
        try:
            self.backend()
        except KeyringUnavailable as exc:
            return str(exc)
        return None

    # -- credentials --------------------------------------------------------------------
    def save(self, account_id: str, credentials: StoredCredentials, *, caller_arn: str = "") -> None:
        """Keep the credentials in the keyring and note the account in the index. Raises KeyringUnavailable."""
        backend = self.backend()
        value = credentials.to_secret_json()
        self._call("save", lambda: backend.set_password(SERVICE_NAME, account_id, value))
        self._index_add(SavedEntry(account_id, caller_arn, _now()))

    def load(self, account_id: str) -> StoredCredentials | None:
        """The saved credentials of an account, or None. Raises KeyringUnavailable."""
        backend = self.backend()
        text = self._call("load", lambda: backend.get_password(SERVICE_NAME, account_id))
        return StoredCredentials.from_secret_json(text) if text else None

    def delete(self, account_id: str) -> bool:
        """Delete one account's saved credentials. True if the keyring had them. Raises KeyringUnavailable."""
        from keyring.errors import PasswordDeleteError

        backend = self.backend()

        def remove() -> bool:
            try:
                backend.delete_password(SERVICE_NAME, account_id)
            except PasswordDeleteError:
                return False
            return True

        existed = self._call("delete", remove)
        self._index_remove(account_id)
        return existed

    def saved(self) -> list[SavedEntry]:
        """Accounts with saved credentials, from the index (no keyring call)."""
        return sorted(self._index_read().values(), key=lambda entry: entry.account_id)

    def forget(self, account_id: str | None = None) -> ForgetReport:
        """Delete one account's saved credentials (and console passwords waiting to be handed over),
        or every saved account's. Never raises for the keyring."""
        report = ForgetReport()
        targets = [account_id] if account_id else [entry.account_id for entry in self.saved()]
        for target in targets:
            try:
                existed = self.delete(target)
            except KeyringUnavailable as exc:
                report.failed[target] = exc.cause
                continue
            (report.deleted if existed else report.missing).append(target)
        for pending in self.pending_passwords(account_id):
            try:
                self.handed_over(pending.account_id, pending.user_name)
            except KeyringUnavailable as exc:
                report.failed[pending.account_id] = exc.cause
                continue
            report.passwords_deleted.append(f"{pending.account_id}:{pending.user_name}")
        return report

    # -- console passwords waiting to be handed over --------------------------------------
    def keep_password(self, account_id: str, user_name: str, password: str) -> None:
        """Keep an IAM user's new console password until it is marked handed over. Raises KeyringUnavailable."""
        backend = self.backend()
        username = console_password_username(account_id, user_name)
        self._call("save", lambda: backend.set_password(SERVICE_NAME, username, password))
        raw = self._index_raw()
        entries = [
            e
            for e in raw.get("console_passwords", [])
            if isinstance(e, dict) and (e.get("account_id"), e.get("user_name")) != (account_id, user_name)
        ]
        entries.append({"account_id": account_id, "user_name": user_name, "kept_at": _now()})
        raw["console_passwords"] = entries
        self._index_save(raw)

    def kept_password(self, account_id: str, user_name: str) -> str | None:
        """The console password kept for an IAM user, or None. Raises KeyringUnavailable."""
        backend = self.backend()
        username = console_password_username(account_id, user_name)
        return self._call("load", lambda: backend.get_password(SERVICE_NAME, username))

    def handed_over(self, account_id: str, user_name: str) -> bool:
        """The user has the password: delete it from the keyring. True if the keyring had it. Raises KeyringUnavailable."""
        from keyring.errors import PasswordDeleteError

        backend = self.backend()
        username = console_password_username(account_id, user_name)

        def remove() -> bool:
            try:
                backend.delete_password(SERVICE_NAME, username)
            except PasswordDeleteError:
                return False
            return True

        existed = self._call("delete", remove)
        raw = self._index_raw()
        entries = raw.get("console_passwords", [])
        kept = [
            e
            for e in entries
            if isinstance(e, dict) and (e.get("account_id"), e.get("user_name")) != (account_id, user_name)
        ]
        if len(kept) != len(entries):
            raw["console_passwords"] = kept
            self._index_save(raw)
        return existed

    def pending_passwords(self, account_id: str | None = None) -> list[PendingPassword]:
        """Console passwords kept until handed over, from the index (no keyring call)."""
        found = []
        for entry in self._index_raw().get("console_passwords", []):
            if not isinstance(entry, dict) or not entry.get("account_id") or not entry.get("user_name"):
                continue
            if account_id is None or entry["account_id"] == account_id:
                found.append(
                    PendingPassword(str(entry["account_id"]), str(entry["user_name"]), str(entry.get("kept_at", "")))
                )
        return found

    # -- the index: account ids only, never a secret ------------------------------------
    @property
    def index_path(self) -> Path:
        return (self._root or state_root()) / INDEX_FILE

    def _index_raw(self) -> dict[str, Any]:
        try:
            data = json.loads(self.index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _index_save(self, raw: dict[str, Any]) -> None:
        atomic_write(self.index_path, json.dumps(raw, indent=2, sort_keys=True) + "\n")

    def _index_read(self) -> dict[str, SavedEntry]:
        data = self._index_raw()
        accounts = data.get("accounts")
        if not isinstance(accounts, dict):
            return {}
        entries: dict[str, SavedEntry] = {}
        for account_id, meta in accounts.items():
            meta = meta if isinstance(meta, dict) else {}
            entries[str(account_id)] = SavedEntry(
                str(account_id), str(meta.get("caller_arn", "")), str(meta.get("saved_at", ""))
            )
        return entries

    def _index_write(self, entries: dict[str, SavedEntry]) -> None:
        payload = self._index_raw()  # keeps the list of console passwords beside the accounts
        payload["accounts"] = {
            e.account_id: {"caller_arn": e.caller_arn, "saved_at": e.saved_at} for e in entries.values()
        }
        self._index_save(payload)

    def _index_add(self, entry: SavedEntry) -> None:
        entries = self._index_read()
        entries[entry.account_id] = entry
        self._index_write(entries)

    def _index_remove(self, account_id: str) -> None:
        entries = self._index_read()
        if entries.pop(account_id, None) is not None:
            self._index_write(entries)


def _fail_backend() -> KeyringBackend:
    from keyring.backends import fail

    return fail.Keyring()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


_default: SecretStore | None = None
_default_lock = threading.Lock()


def default_store() -> SecretStore:
    """The store every front end shares in one run (so a keyring that timed out is not waited on again)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = SecretStore()
        return _default


def reset_default_store() -> None:
    """Forget the shared store (tests that swap the keyring backend)."""
    global _default
    with _default_lock:
        _default = None
