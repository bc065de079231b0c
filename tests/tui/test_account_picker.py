"""The wizard's account picker: the organization as a searchable tree, several choices, what they cover."""

from __future__ import annotations

import pytest
from textual.app import App

from hsm_setup.organizations.choices import AccountPicker, picker
from hsm_setup.organizations.targets import Caller
from hsm_setup.organizations.tree import OrgAccount, OrganizationTree, OrgUnit

from .conftest import run_async

pytestmark = pytest.mark.tui

THIS = "123456789012"


def organization(accounts: int) -> AccountPicker:
    """Root > Security, Workloads > Production > CloudHSM; every 7th account suspended."""
    root = OrgUnit("r-ab12", "Root", None)
    tree = OrganizationTree(root=root, units={root.id: root})
    parents = {
        "Security": root.id,
        "Workloads": root.id,
        "Production": "ou-ab12-workload",
        "CloudHSM": "ou-ab12-producti",
    }
    for name, parent in parents.items():
        unit = OrgUnit(f"ou-ab12-{name.lower()[:8]:<8}".replace(" ", "x"), name, parent)
        tree.units[unit.id] = unit
        tree.children.setdefault(parent, []).append(unit.id)
    leaves = [root.id, *tree.units][1:]
    for n in range(accounts):
        parent = [root.id, *leaves][n % (len(leaves) + 1)]
        account = OrgAccount(
            THIS if n == 0 else f"{200000000000 + n:012d}",
            f"workload-{n:04d}",
            "SUSPENDED" if n % 7 == 6 else "ACTIVE",
            parent,
        )
        tree.accounts[account.id] = account
        tree.members.setdefault(parent, []).append(account.id)
    return picker(tree, Caller(THIS, THIS))


class PickerApp(App[None]):
    def __init__(self, chosen: AccountPicker, current: list[str]) -> None:
        super().__init__()
        self.chosen, self.current = chosen, current
        self.result: list[str] | str | None = "not yet"

    def on_mount(self) -> None:
        from hsm_setup_screens.account_picker import AccountPickerScreen

        def keep(result: list[str] | None) -> None:
            self.result = result

        self.push_screen(AccountPickerScreen(self.chosen, "CloudHSM accounts", self.current), keep)


@run_async
async def test_search_narrows_the_tree_and_choices_are_kept_across_searches() -> None:
    from textual.widgets import SelectionList, Static

    chosen = organization(30)
    app = PickerApp(chosen, ["this"])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        listed = app.screen.query_one("#picker-list", SelectionList)
        assert listed.option_count == len(chosen.choices)
        await pilot.press(*"cloudhsm")
        await pilot.pause()
        assert [listed.get_option_at_index(i).value for i in range(listed.option_count)] == ["ou-ab12-cloudhsm"]
        listed.focus()
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        assert listed.selected == ["ou-ab12-cloudhsm"], listed.highlighted
        summary = str(app.screen.query_one("#picker-summary", Static).render())
        cloudhsm = next(c for c in chosen.choices if c.value == "ou-ab12-cloudhsm")
        assert summary.startswith(f"{cloudhsm.covers + 1} accounts chosen")
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.result == ["ou-ab12-cloudhsm", "this"]  # in tree order


@run_async
async def test_a_suspended_account_cannot_be_chosen_and_escape_changes_nothing() -> None:
    from textual.widgets import SelectionList

    app = PickerApp(organization(14), ["this"])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*"workload-0006")
        await pilot.pause()
        listed = app.screen.query_one("#picker-list", SelectionList)
        option = listed.get_option_at_index(0)
        assert option.disabled and "[suspended]" in str(option.prompt)
        await pilot.press("escape")
        await pilot.pause()
    assert app.result is None


def test_account_picker_snapshot(snap_compare) -> None:
    async def still(pilot) -> None:
        from textual.widgets import Input

        await pilot.pause()
        for widget in pilot.app.screen.query(Input):
            widget.cursor_blink = False
        await pilot.pause()

    assert snap_compare(
        PickerApp(organization(24), ["this", "ou-ab12-cloudhsm"]), terminal_size=(80, 24), run_before=still
    )
