"""Doing one thing in many accounts at once: bounded concurrency, a failure kept to its account, progress.

A failure in one account is recorded with its account id and the others go on. Progress is reported at each
hundredth of the accounts (a progress bar moves smoothly, even over nine accounts), after every `every` accounts
(headless mode prints a line per hundred) and at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Generic, TypeVar

import msgspec

from hsm_setup.errors import HsmSetupError, explain

T = TypeVar("T")
# The clients' connection pools hold 32 connections (hsm_setup.aws.clients).
WORKERS = 32
PROGRESS_EVERY = 100


class FanOut(msgspec.Struct, Generic[T]):
    results: dict[str, T] = msgspec.field(default_factory=dict)
    failures: dict[str, str] = msgspec.field(default_factory=dict)  # account id -> cause and next move, one line

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, account: str, exc: Exception) -> None:
        """Record why `account` failed, its id first; the cause and the next move in one line."""
        self.results.pop(account, None)
        if isinstance(exc, HsmSetupError):
            self.failures[account] = _named(account, str(exc))
        else:  # an AWS error in one account: explained, and the others go on
            problem = explain(exc)
            self.failures[account] = _named(account, f"{problem.cause} {problem.next_move}".strip())

    def failures_named(self, at_most: int) -> str:
        """The first failures by account id, "; "-joined, and how many more: for one line of a message."""
        failed = sorted(self.failures.items())
        shown = "; ".join(message for _, message in failed[:at_most])
        return shown + (f" and {len(failed) - at_most} more" if len(failed) > at_most else "")


def across_accounts(
    accounts: Sequence[str],
    work: Callable[[str], T],
    *,
    progress: Callable[[int, int], None] | None = None,
    every: int = PROGRESS_EVERY,
    workers: int = WORKERS,
) -> FanOut[T]:
    """Run `work(account_id)` for every account concurrently; progress(done, total) at each hundredth of them,
    every `every` accounts and at the end."""
    outcome: FanOut[T] = FanOut()
    total = len(accounts)
    if not total:
        return outcome
    hundredth = max(1, total // 100)
    with ThreadPoolExecutor(max_workers=min(workers, total), thread_name_prefix="accounts") as pool:
        futures = {pool.submit(work, account): account for account in accounts}
        for done, future in enumerate(as_completed(futures), start=1):
            account = futures[future]
            try:
                outcome.results[account] = future.result()
            except Exception as exc:  # an AWS error in one account: explained, and the others go on
                outcome.fail(account, exc)
            if progress is not None and (done % hundredth == 0 or done % every == 0 or done == total):
                progress(done, total)
    return outcome


class Gate:
    """At most `limit()` callers inside at once, where the limit may change while they run: a caller waits to enter
    until fewer are inside than it allows (those inside finish what they do), and `changed()` wakes the waiters."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._inside = 0
        self._turn = threading.Condition()

    @contextmanager
    def entered(self) -> Iterator[None]:
        with self._turn:
            self._turn.wait_for(lambda: self._inside < self._limit())
            self._inside += 1
        try:
            yield
        finally:
            with self._turn:
                self._inside -= 1
                self._turn.notify()

    def changed(self) -> None:
        with self._turn:
            self._turn.notify_all()

    def gated(self, work: Callable[[str], T]) -> Callable[[str], T]:
        """`work`, entering the gate for each call."""

        def through_gate(account: str) -> T:
            with self.entered():
                return work(account)

        return through_gate


def _named(account: str, message: str) -> str:
    # Named at the start, once: a message that only mentions the account (in an ARN) still gets the prefix.
    return message if message.startswith(f"Account {account}") else f"Account {account}: {message}"
