"""The assignment creations a fan-out sent and has not seen through yet, so a run stopped at any point is resumed by
following each request it sent instead of sending another.

A line per event in an append-only file beside state.json (state.notes_file: each line fsync'd before `append`
returns), one file per permission set and principal, so the fan-outs of two steps never write each other's:
{"op": "sent", "account": ..., "request": <request id>} once CreateAccountAssignment answered and before the wait
for it starts, {"op": "settled", "account": ...} once it is seen through. Keeping them in state.json instead
rewrote the whole file twice an account, one thread at a time; a line costs the same for the thousandth account as
for the first. The file is read once when the fan-out starts, and rewritten with only what is still open when it
ends (usually nothing: the file is then removed).
"""

from __future__ import annotations

from pathlib import Path

from hsm_setup.state.notes_file import NotesFile


class SentRequests:
    """The open creation requests of one permission set and principal, kept in a connected account's state folder;
    with no folder (no saved state), nothing is kept."""

    def __init__(self, folder: Path | None, permission_set_arn: str, principal_id: str) -> None:
        name = f"assignment-requests-{permission_set_arn.rsplit('/', 1)[-1]}-{principal_id}.jsonl"
        self.file = NotesFile(folder / name) if folder is not None else None
        self._open: dict[str, str] = _standing(self.file.notes()) if self.file is not None else {}

    def request(self, account: str) -> str | None:
        """The request an earlier run sent for `account` and never saw through, if any."""
        return self._open.get(account)

    def sent(self, account: str, request_id: str) -> None:
        """Note, durably, the request just sent for `account` (call before waiting for it)."""
        if self.file is not None and request_id:
            self.file.append({"op": "sent", "account": account, "request": request_id})

    def settled(self, account: str) -> None:
        """Note that the request for `account` is seen through (it succeeded, or the assignment was found)."""
        if self.file is not None:
            self.file.append({"op": "settled", "account": account})

    def settle(self, accounts: set[str]) -> None:
        """Settle the open requests of `accounts` (their assignment is there) and drop them from the file."""
        finished = [account for account in self._open if account in accounts]
        if finished and self.file is not None:
            for account in finished:
                del self._open[account]
            # One rewrite with what is still open, not a settled line per account and then a rewrite.
            self._rewrite(self._open)

    def compact(self) -> None:
        """Rewrite the file with only the requests still open (none: the file is removed)."""
        if self.file is not None:
            self._rewrite(_standing(self.file.notes()))

    def _rewrite(self, standing: dict[str, str]) -> None:
        if self.file is not None:
            self.file.rewrite({"op": "sent", "account": a, "request": request} for a, request in standing.items())


def _standing(lines: list[dict[str, object]]) -> dict[str, str]:
    standing: dict[str, str] = {}
    for line in lines:
        account, op, request = line.get("account"), line.get("op"), line.get("request")
        if not isinstance(account, str):
            continue
        if op == "sent" and isinstance(request, str) and request:
            standing[account] = request
        elif op == "settled":
            standing.pop(account, None)
    return standing
