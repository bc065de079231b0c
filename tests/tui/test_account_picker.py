"""The wizard's account picker: the organization as a searchable tree, several choices, what they cover."""

from __future__ import annotations

import pytest
from textual.app import App

from hsm_setup.organizations.choices import AccountPicker, picker
from hsm_setup.organizations.targets import Caller
from hsm_setup.organizations.tree import OrgAccount, OrganizationTree, OrgUnit

from .conftest import run_async, visible_text, wait_for, wait_for_screen, wait_settled

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


# -- from the wizard, on the practice account's organization -------------------------------------------
async def _cloudhsm_accounts_field(pilot):
    """The permission-sets step, once the organization is read and its CloudHSM accounts field is there."""
    from textual.widgets import Input

    from hsm_setup_screens import messages as m

    app = pilot.app
    await wait_settled(pilot)
    app.post_message(m.StepRequested("permission-sets"))
    await wait_for(pilot, lambda: app.screen.query("#field-cloudhsm-accounts"), "the CloudHSM accounts field")
    await pilot.pause()
    return app.screen.query_one("#field-cloudhsm-accounts", Input)


@run_async
async def test_the_wizard_picks_target_accounts_from_the_organization_and_checks_again(practice_app) -> None:
    from textual.widgets import SelectionList, Static

    from hsm_setup_screens.account_picker import AccountPickerScreen

    app = practice_app("org")
    async with app.run_test(size=(80, 24)) as pilot:
        field = await _cloudhsm_accounts_field(pilot)
        assert field.value == "this"
        session = app.controller.session
        seeded = session.practice.organization
        cloudhsm_ou = seeded.ou_ids["CloudHSM"]
        # By mouse: the field's Choose button opens the picker; Escape leaves the answer as it was.
        choose = app.screen.query_one("#field-cloudhsm-accounts-choose")
        choose.scroll_visible(animate=False)
        await pilot.pause()
        await pilot.click(choose)
        await wait_for_screen(pilot, AccountPickerScreen, "the account picker (clicked)")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not app.screen.is_modal, "the picker to close")
        assert field.value == "this"
        # By key: Enter in the field opens it on the current answer, the connected account chosen.
        field.focus()
        await pilot.press("enter")
        picker = await wait_for_screen(pilot, AccountPickerScreen, "the account picker")
        listed = picker.query_one("#picker-list", SelectionList)
        this = session.identity.account_id
        assert listed.selected == [this]
        await pilot.press(*"cloudhsm", "tab", "space")
        await wait_for(pilot, lambda: cloudhsm_ou in listed.selected, "the CloudHSM OU chosen")
        covered = str(picker.query_one("#picker-summary", Static).render())
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not app.screen.is_modal, "the picker to close")
        # Saved as plain mode saves it (the session's answers, kept for the next run), then checked again.
        assert set(field.value.split(", ")) == {"this", cloudhsm_ou}
        await wait_for(
            pilot,
            lambda: set(session.workspace.answers["cloudhsm.accounts"]) == {"this", cloudhsm_ou},
            "the answer saved",
        )
        await wait_settled(pilot, "the steps to be checked against the new targets")
        saved = session.workspace.load_state().answers["cloudhsm.accounts"]
        assert set(saved) == {"this", cloudhsm_ou}
        in_ou = {a for a in seeded.member_ids if a not in seeded.suspended and _under(session, a, cloudhsm_ou)}
        assert in_ou and covered.startswith(f"{len(in_ou) + 1} accounts chosen")
        view = app.view()
        for step_id in ("permission-sets", "cloudhsm-group", "service-linked-role"):
            assert set(view.step(step_id).result.accounts) == {this, *in_ou}, step_id
        plan = visible_text(app.screen.query_one("#plan"))
        assert f"Assign the CloudHSM group's permission set in {len(in_ou)} more target account(s)" in plan


def _under(session, account_id: str, ou_id: str) -> bool:
    tree, _ = session.engine.organization.organization(session.identity.account_id)
    return account_id in tree.accounts_under(ou_id)
