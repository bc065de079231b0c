"""An append-only file of notes, one JSON object a line, each durable before `append` returns.

For notes written often and concurrently (one per member account of an organization): appending a line costs
the same however many notes the file holds, where rewriting state.json whole after each note grows with them.

- `append` writes one whole line and fsyncs it before returning, so a change made after it is never unnoted.
- A crash mid-append leaves at most a torn last line. Reading skips a line that is not a JSON object, and the
  next append first ends the torn line, so what follows it is read whole. A torn line is never a lost note: the
  change it announced is made only after the append returned.
- `rewrite` replaces the file atomically (state.files.atomic_write), for compacting it.
- The file is mode 0600 in the account's private folder, like state.json, and is written only by the run that
  holds the account's lock (state.files.account_lock); a lock of its own orders the threads of that run.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hsm_setup.state.files import atomic_write, private_folder


class NotesFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        # Whether this object has checked the file's end (a torn line left by a crash) since it last wrote it whole.
        self._checked_end = False

    def append(self, note: Mapping[str, object]) -> None:
        """Add one note, durably: it is on disk when this returns."""
        line = (json.dumps(note, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")
        with self._lock:
            created = not self.path.exists()
            if created:
                private_folder(self.path.parent)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
            try:
                if not self._checked_end:
                    if not created and not _ends_a_line(self.path):
                        line = b"\n" + line  # end the torn line a crash left, so this note reads whole
                    self._checked_end = True
                os.write(fd, line)
            except BaseException:
                os.close(fd)
                raise
            if created:
                _sync_folder(self.path.parent)
        # Synced outside the lock, so threads noting at once share the disk's flushes instead of queueing for
        # them. A sync flushes every line written before it, so a note that is durable has every earlier one so too.
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def notes(self) -> list[dict[str, Any]]:
        """Every whole note, oldest first; a torn line (a crash mid-append) is skipped."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        notes: list[dict[str, Any]] = []
        for line in text.splitlines():
            try:
                note = json.loads(line)
            except ValueError:
                continue
            if isinstance(note, dict):
                notes.append(note)
        return notes

    def rewrite(self, notes: Iterable[Mapping[str, object]]) -> None:
        """Replace the file with `notes` atomically; an empty list removes it."""
        lines = [json.dumps(note, sort_keys=True, separators=(",", ":")) + "\n" for note in notes]
        with self._lock:
            if lines:
                atomic_write(self.path, "".join(lines))
            else:
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
            self._checked_end = True


def _ends_a_line(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            return True
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _sync_folder(folder: Path) -> None:
    """Make a new file's name durable too (POSIX; Windows cannot open a folder and needs no such step)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
