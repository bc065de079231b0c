"""Target accounts: what admin.accounts and cloudhsm.accounts name, resolved against the organization.

An item is "this" (the connected account), a 12-digit account id, an OU id (every account in it and the OUs
below it) or the root id (every account). A bad item is named with why: not an account or OU of this
organization, a suspended account, the management account seen from a delegated administrator.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from hsm_setup.answers.validators import ACCOUNT_ID_FORM, OU_ID_FORM, ROOT_ID_FORM, THIS_ACCOUNT
from hsm_setup.errors import HsmSetupError
from hsm_setup.organizations.tree import OrganizationTree

# What a delegated administrator of Identity Center cannot do (AWS's page says so; hsm-setup says it first).
DELEGATED_ADMIN_PAGE = "https://docs.aws.amazon.com/singlesignon/latest/userguide/delegated-admin.html"
SUSPENDED_PAGE = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_close.html"


class Caller(msgspec.Struct, frozen=True):
    """Where hsm-setup runs: the connected account, and the organization's management account (None without one)."""

    account_id: str
    management_account_id: str | None

    @property
    def delegated(self) -> bool:
        """A member account managing Identity Center as its delegated administrator."""
        return self.management_account_id is not None and self.management_account_id != self.account_id


class Targets(msgspec.Struct, frozen=True):
    key: str
    accounts: tuple[str, ...]  # every target, once, in the order named
    # Accounts an OU or the root covers but that cannot take access, with why (suspended, management account).
    left_out: tuple[tuple[str, str], ...] = ()

    @property
    def only_this(self) -> bool:
        return len(self.accounts) == 1 and not self.left_out


class TargetsError(HsmSetupError):
    """Items that name no usable account: one line each in `problems`, naming the key, the item and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            "; ".join(problems),
            "Change the listed items (hsm-setup check shows the organization's accounts and OUs), then run again.",
        )
        self.problems = problems


def resolve(key: str, items: Sequence[str], tree: OrganizationTree | None, caller: Caller) -> Targets:
    """The accounts `items` name; TargetsError lists every bad item at once. Without an organization
    (`tree` None) only "this" and the connected account's own id are targets."""
    accounts: dict[str, None] = {}
    left_out: dict[str, str] = {}
    problems: list[str] = []
    for index, item in enumerate(items, start=1):
        where = f"{key}: entry {index} {item!r}"
        if item in (THIS_ACCOUNT, caller.account_id):
            problem = _management_problem(caller.account_id, caller)
            if problem:
                problems.append(f"{where} {problem}")
            else:
                accounts[caller.account_id] = None
            continue
        if tree is None:
            problems.append(
                f"{where} names another account, and this account is in no organization hsm-setup can read: "
                'only "this" works here'
            )
        elif ACCOUNT_ID_FORM.match(item):
            problem = _account_problem(item, tree, caller)
            if problem:
                problems.append(f"{where} {problem}")
            else:
                accounts[item] = None
        elif OU_ID_FORM.match(item) or ROOT_ID_FORM.match(item):
            if item not in tree.units:
                what = "an OU" if item.startswith("ou-") else "the root"
                problems.append(
                    f"{where} is not {what} of this organization (its root is {tree.root.id}); check the id in "
                    "the AWS Organizations console"
                )
                continue
            for account_id in tree.accounts_under(item):
                reason = _account_problem(account_id, tree, caller)
                if reason:
                    left_out[account_id] = reason
                else:
                    accounts[account_id] = None
        else:
            problems.append(f'{where} is not "this", an account id, an OU id or a root id')
    if problems:
        raise TargetsError(problems)
    return Targets(key, tuple(accounts), tuple((a, r) for a, r in left_out.items() if a not in accounts))


def _account_problem(account_id: str, tree: OrganizationTree, caller: Caller) -> str | None:
    account = tree.accounts.get(account_id)
    if account is None:
        return "is not an account of this organization (unknown, or in another organization)"
    if account.suspended:
        return (
            f"({account.name}) is {account.status.lower()}: a closed account cannot be given access "
            f"(AWS Organizations, {SUSPENDED_PAGE})"
        )
    return _management_problem(account_id, caller)


def _management_problem(account_id: str, caller: Caller) -> str | None:
    if caller.delegated and account_id == caller.management_account_id:
        return (
            "is the management account: a delegated administrator of IAM Identity Center cannot assign access "
            f"in it nor change permission sets provisioned to it ({DELEGATED_ADMIN_PAGE}); run hsm-setup from the "
            "management account for it"
        )
    return None
