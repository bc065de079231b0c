"""What hsm-setup created in member accounts, removed account by account through the member role.

Read from the member notes file (organizations/member_notes.py), not from state.json: one teardown item for all
the member accounts, whose undoing goes through every noted account at once (organizations.fanout), each in
undoing order: the policy attachment, the group, the policy with its older versions, the service-linked role.
Each is the connected account's own kind (resources.iam_groups, iam_policies, service_linked_role) undone through
the member account's clients (MemberAccess.clients), so the same reads-first rules hold: what is already gone is
done, a policy without hsm-setup's tag is left.

An account the member role cannot reach is named with the reason, and the others go. What an account had removed
is dropped from the notes as soon as it is gone; what was not stays noted, so the next teardown finishes the job.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from hsm_setup.aws.clients import AwsSession
from hsm_setup.errors import HsmSetupError
from hsm_setup.organizations.member_notes import AccountNotes, MemberNotes, MemberRecord
from hsm_setup.resources.base import Record, Sleep

# Accounts named in a summary line before "and N more".
NAMED = 5


class InMemberAccounts(Record, frozen=True, kw_only=True):
    """Everything the member notes hold (the service-linked roles left out unless asked), by account."""

    kind: ClassVar[str] = "member-account-resources"
    what: ClassVar[str] = "Resources in member accounts"

    # The state folder the notes are in (so undoing drops what it removed).
    folder: str
    accounts: tuple[AccountNotes, ...]

    @property
    def ident(self) -> str:
        return "member-accounts"

    @property
    def account_ids(self) -> list[str]:
        return [a.account for a in self.accounts]

    def exists(self, aws: AwsSession) -> bool:
        return any(a.records for a in self.accounts)

    def undo(self, aws: AwsSession, sleep: Sleep) -> str:
        from hsm_setup.organizations.fanout import across_accounts
        from hsm_setup.organizations.member_access import MemberAccess

        notes = MemberNotes(Path(self.folder))
        by_account = {a.account: a for a in self.accounts}
        access = {role: MemberAccess(aws, role) for role in {a.role for a in self.accounts}}

        def clean(account: str) -> str:
            entry = by_account[account]
            clients = access[entry.role].clients(account)
            removed: list[MemberRecord] = []
            try:
                for record in entry.records:
                    record.undo(clients, sleep)
                    removed.append(record)
            finally:
                # Dropped as soon as they are gone, whatever happens next: a later teardown skips only these.
                notes.dropped(account, removed, "removed")
            return f"{len(removed)} removed"

        outcome = across_accounts(self.account_ids, clean)
        notes.compact()
        if outcome.failures:
            raise HsmSetupError(
                f"{len(outcome.failures)} of {len(self.accounts)} member accounts still hold what hsm-setup made "
                f"there ({outcome.failures_named(3)}); the others are cleaned up.",
                "Fix what each names and run teardown again: it removes only what its notes still list.",
            )
        return f"removed in {len(self.accounts)} member account(s)"

    def undo_summary(self) -> str:
        roles = ", ".join(sorted({a.role for a in self.accounts}))
        return (
            f"Remove what hsm-setup created in {len(self.accounts)} member account(s) ({named(self.account_ids)}), "
            f"through the member role {roles}: per account below"
        )

    def undo_commands(self) -> list[str]:
        lines: list[str] = []
        for entry in self.accounts:
            # Each account's commands run with its member role's credentials (aws sts assume-role, or a profile).
            lines.append(f"# In account {entry.account}, as its role {entry.role}:")
            lines.extend(command for record in entry.records for command in record.undo_commands())
        return lines


def named(accounts: list[str]) -> str:
    """The first few account ids, and how many more: for one line of a plan."""
    more = len(accounts) - NAMED
    return ", ".join(accounts[:NAMED]) + (f" and {more} more" if more > 0 else "")
