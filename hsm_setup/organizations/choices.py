"""The organization as a list to choose target accounts from: what each front end draws (the wizard's tree, the
plain prompts' checkbox list), with how many accounts a choice covers and which are suspended."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import msgspec

from hsm_setup.answers.validators import THIS_ACCOUNT
from hsm_setup.organizations.targets import Caller, resolve
from hsm_setup.organizations.tree import OrganizationTree, OrgUnit

ChoiceKind = Literal["root", "ou", "account"]


class AccountChoice(msgspec.Struct, frozen=True):
    value: str  # what the answer holds: a root, OU or account id
    name: str
    kind: ChoiceKind
    depth: int  # 0 for the root
    covers: int  # the active accounts choosing it gives access in
    suspended: bool = False
    # Why it cannot be chosen (a suspended account), shown greyed beside it.
    disabled: str | None = None

    @property
    def label(self) -> str:
        indent = "  " * self.depth
        if self.kind == "account":
            state = f"  [{self.disabled}]" if self.disabled else ""
            return f"{indent}{self.name} ({self.value}){state}"
        return f"{indent}{self.name} ({self.value}): {self.covers} account{'s' if self.covers != 1 else ''}"


def account_choices(tree: OrganizationTree) -> list[AccountChoice]:
    """The root, every OU and every account, in tree order."""
    choices: list[AccountChoice] = []
    for depth, node in tree.walk():
        if isinstance(node, OrgUnit):
            active = sum(1 for a in tree.accounts_under(node.id) if not tree.accounts[a].suspended)
            kind: ChoiceKind = "root" if node.parent_id is None else "ou"
            choices.append(AccountChoice(node.id, node.name, kind, depth, active))
        else:
            reason = node.status.lower() if node.suspended else None
            choices.append(
                AccountChoice(node.id, node.name, "account", depth, 0 if reason else 1, node.suspended, reason)
            )
    return choices


def matching(choices: Sequence[AccountChoice], text: str) -> list[AccountChoice]:
    """The choices whose name or id contains `text` (any case); all of them for an empty search."""
    needle = text.strip().lower()
    if not needle:
        return list(choices)
    return [c for c in choices if needle in c.name.lower() or needle in c.value.lower()]


def coverage(tree: OrganizationTree, selected: Iterable[str], caller: Caller) -> tuple[int, int]:
    """(accounts the selection gives access in, accounts it covers but leaves out: suspended, ...)."""
    items = [THIS_ACCOUNT if s == caller.account_id else s for s in selected]
    if not items:
        return 0, 0
    targets = resolve("accounts", items, tree, caller)
    return len(targets.accounts), len(targets.left_out)


class AccountPicker(msgspec.Struct, frozen=True):
    """What a front end needs to let a person choose target accounts."""

    tree: OrganizationTree
    caller: Caller
    choices: tuple[AccountChoice, ...]

    def matching(self, text: str) -> list[AccountChoice]:
        return matching(self.choices, text)

    def coverage(self, selected: Iterable[str]) -> tuple[int, int]:
        return coverage(self.tree, selected, self.caller)

    def summary(self, selected: Iterable[str]) -> str:
        """ "120 accounts chosen (3 suspended left out)", or why the selection is not usable."""
        from hsm_setup.organizations.targets import TargetsError

        try:
            count, left_out = self.coverage(selected)
        except TargetsError as exc:
            return exc.problems[0]
        extra = f" ({left_out} suspended or out of reach, left out)" if left_out else ""
        return f"{count} account{'s' if count != 1 else ''} chosen{extra}"


def picker(tree: OrganizationTree, caller: Caller) -> AccountPicker:
    return AccountPicker(tree, caller, tuple(account_choices(tree)))
