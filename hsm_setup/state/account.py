"""Saved answers and progress, one folder per account in the user's state directory.

- Writes are atomic (a temporary file in the same folder, fsync, rename), so a
  crash leaves either the old file or the new one, never half of one.
- Files are mode 0600 and folders 0700: the state names resources, which is
  nobody else's business. It never holds a secret: only names, ids and ARNs.
- A lock (state.files.account_lock) keeps two runs from changing the same account
  at once. The OS drops it when the process dies, so a crashed run never leaves
  the account locked.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hsm_setup.state.files import account_lock, atomic_write, now_iso, private_folder, state_root

STATE_FILE = "state.json"


class AccountState:
    """The saved answers, resources and journal of one account."""

    def __init__(self, account_id: str, *, sandbox: bool = False, root: Path | None = None) -> None:
        self.account_id = account_id
        folder = f"sandbox-{account_id}" if sandbox else account_id
        self.folder = (root or state_root()) / folder
        self.path = self.folder / STATE_FILE
        self._lock_handle: Any = None
        # Checks run in threads and may remember ids at the same moment: serialise changes and saves.
        self._mutex = threading.RLock()
        self.data: dict[str, Any] = self._read()

    # -- persistence ---------------------------------------------------------------
    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return self._empty()
        except (OSError, ValueError):
            # A damaged file is set aside, not trusted and not silently lost.
            with contextlib.suppress(OSError):
                self.path.replace(self.path.with_suffix(".damaged"))
            return self._empty()
        if not isinstance(data, dict):
            return self._empty()
        for key, default in self._empty().items():
            if not isinstance(data.get(key), type(default)):
                data[key] = default
        return data

    def _empty(self) -> dict[str, Any]:
        return {"version": 1, "answers": {}, "resources": {}, "steps": {}, "journal": [], "created": []}

    def save(self) -> None:
        with self._mutex:
            private_folder(self.folder)
            self.data["updated"] = now_iso()
            atomic_write(self.path, json.dumps(self.data, indent=2, sort_keys=True) + "\n")

    # -- answers -------------------------------------------------------------------
    @property
    def answers(self) -> dict[str, Any]:
        return dict(self.data["answers"])

    def save_answers(self, flat: dict[str, Any]) -> None:
        self.data["answers"] = dict(flat)
        self.save()

    # -- resources: what hsm-setup created or adopted, by role -----------------------
    def resource(self, key: str) -> object:
        return self.data["resources"].get(key)

    def remember(self, **resources: object) -> None:
        with self._mutex:
            changed = False
            for key, value in resources.items():
                if value is not None and self.data["resources"].get(key) != value:
                    self.data["resources"][key] = value
                    changed = True
            if changed:
                self.save()

    def forget_resource(self, *keys: str) -> None:
        """Drop saved ids; one write for all of them."""
        with self._mutex:
            dropped = [self.data["resources"].pop(key, None) for key in keys]
            if any(value is not None for value in dropped):
                self.save()

    # -- what hsm-setup created (not adopted): the only things teardown removes -------
    def record_created(self, kind: str, ident: str, **details: object) -> None:
        """Note a resource this tool created; `ident` is unique within `kind` (an ARN, an id)."""
        with self._mutex:
            if any(e.get("kind") == kind and e.get("id") == ident for e in self.data["created"]):
                return
            entry: dict[str, object] = {"kind": kind, "id": ident, "time": now_iso()}
            entry.update({k: v for k, v in details.items() if v is not None})
            self.data["created"].append(entry)
            self.save()

    def created(self) -> list[dict[str, Any]]:
        return [dict(e) for e in self.data["created"] if isinstance(e, dict)]

    def forget_created(self, kind: str, ident: str) -> None:
        with self._mutex:
            before = len(self.data["created"])
            self.data["created"] = [
                e for e in self.data["created"] if not (e.get("kind") == kind and e.get("id") == ident)
            ]
            if len(self.data["created"]) != before:
                self.save()

    # -- progress -----------------------------------------------------------------
    def record_status(self, statuses: dict[str, str]) -> None:
        self.data["steps"] = dict(statuses)
        self.save()

    def journal(self, action_key: str, event: str, detail: str = "") -> None:
        """Note an action starting or ending. Written before the call, so a crash shows what was in flight."""
        entry = {"time": now_iso(), "action": action_key, "event": event}
        if detail:
            entry["detail"] = detail
        # Apply journals from more than one thread (a fan-out to other accounts runs beside the steps after it).
        with self._mutex:
            self.data["journal"].append(entry)
            # Keep the journal bounded: the last few hundred events tell the story.
            del self.data["journal"][:-500]
            self.save()

    def in_flight(self) -> list[str]:
        """Actions that started but never recorded an end: an interrupted run."""
        return self.open_in(self.data["journal"])

    @staticmethod
    def open_in(journal: list[dict[str, Any]]) -> list[str]:
        """The actions of `journal` that started and never recorded an end, in the order they started."""
        open_actions: dict[str, bool] = {}
        for entry in journal:
            if entry.get("event") == "start":
                open_actions[entry["action"]] = True
            elif entry.get("event") in ("done", "failed"):
                open_actions.pop(entry.get("action", ""), None)
        return list(open_actions)

    # -- lock -----------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[AccountState]:
        """Hold the account's lock for the duration; AccountBusyError if another run has it."""
        with account_lock(self.folder, self.account_id):
            # Re-read what another run may have written before we got the lock.
            self.data = self._read()
            yield self
