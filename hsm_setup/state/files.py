"""Files hsm-setup keeps: where they live, written atomically, and the per-account lock.

Portable on purpose (Linux, macOS, Windows): the lock is filelock's, not fcntl's,
and nothing here needs a Unix-only module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hsm_setup.errors import AccountBusyError

LOCK_FILE = "lock"
# Who holds the lock, for the message a second run shows. A file of its own: the lock
# file itself is truncated by whoever tries to take it.
HOLDER_FILE = "lock.holder"


def state_root() -> Path:
    override = os.environ.get("HSM_SETUP_STATE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_state_dir("hsm-setup", appauthor=False))


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def private_folder(folder: Path) -> None:
    """Create `folder` readable by its owner only (0700 where the system has modes)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o700)


def atomic_write(path: Path, text: str) -> None:
    """Write `text` so a crash leaves the old file or the new one, never half; mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # mkstemp creates the file 0600 on POSIX; on Windows the user's profile ACLs apply.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def account_lock(folder: Path, account_id: str) -> Iterator[None]:
    """Hold the account's lock, or raise AccountBusyError naming who holds it.

    The operating system releases it when the process ends, however it ends, so a
    crashed run never leaves the account locked.
    """
    from filelock import FileLock, Timeout

    private_folder(folder)
    # One lock object per file in this process, shared by its threads: a run that holds the
    # account (plain prompts, headless apply) may apply again inside without locking itself out.
    lock = FileLock(folder / LOCK_FILE, timeout=0, mode=0o600, is_singleton=True, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        holder = _read_holder(folder) or "another process"
        raise AccountBusyError(
            f"Account {account_id} is busy: hsm-setup is already changing it ({holder}).",
            "Wait for that run to finish, then run again.",
        ) from None
    outermost = lock.lock_counter == 1
    try:
        if outermost:
            atomic_write(folder / HOLDER_FILE, f"pid {os.getpid()} since {now_iso()}\n")
        yield
    finally:
        if outermost:
            with contextlib.suppress(OSError):
                (folder / HOLDER_FILE).unlink()
        lock.release()


def _read_holder(folder: Path) -> str:
    try:
        return (folder / HOLDER_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return ""
