"""What each screen looks like at 80x24, compared with the stored SVG snapshots.

The scenes are chosen so nothing random or time-dependent is drawn: the practice
account's id and caller are fixed, and the steps shown carry no generated ids or
report times. The countdown that watches the account is off (watch_interval=None).
"""

from __future__ import annotations

import pytest

from .conftest import NINE_MEMBERS, wait_for, wait_for_screen, wait_settled

pytestmark = pytest.mark.tui

SIZE = (80, 24)


def _still(app) -> None:
    from textual.widgets import Input

    for widget in app.screen.query(Input):
        widget.cursor_blink = False


async def _at_step(pilot, step_id: str) -> None:
    await wait_settled(pilot)
    pilot.app.show_step(step_id)
    await wait_for(pilot, lambda: pilot.app.screen.step_id == step_id, step_id)
    await pilot.pause()
    _still(pilot.app)


def test_connect_screen(snap_compare):
    from hsm_setup_screens.app import make_app

    async def loaded(pilot):
        from textual.widgets import OptionList

        options = pilot.app.screen.query_one("#connections", OptionList)
        await wait_for(
            pilot, lambda: options.get_option_at_index(options.option_count - 1).id == "access-keys", "profiles"
        )
        _still(pilot.app)

    assert snap_compare(make_app(None, watch_interval=None), terminal_size=SIZE, run_before=loaded)


def test_step_with_a_plan(snap_compare, practice_app):
    assert snap_compare(
        practice_app("fresh"), terminal_size=SIZE, run_before=lambda p: _at_step(p, "service-linked-role")
    )


def test_step_with_an_invalid_input(snap_compare, practice_app):
    async def typed(pilot):
        from textual.widgets import Input

        await _at_step(pilot, "cloudhsm-group")
        field = pilot.app.screen.query_one("#field-cloudhsm-iam_group", Input)
        field.value = "bad name!"
        await pilot.pause()
        pilot.app.screen.query_one("#steps").focus()
        await pilot.pause()
        pilot.app.screen.query_one("#step-body").scroll_to_widget(field, animate=False)
        await pilot.pause()

    assert snap_compare(practice_app("fresh"), terminal_size=SIZE, run_before=typed)


def test_confirm_dialog(snap_compare, practice_app):
    async def confirm(pilot):
        from hsm_setup_screens.confirm import ConfirmApply

        await _at_step(pilot, "service-linked-role")
        await pilot.press("a")
        # IAM is asked first (the pre-flight), then the dialog opens with its answer.
        await wait_for_screen(pilot, ConfirmApply, "the confirmation dialog")
        await pilot.pause()

    assert snap_compare(practice_app("fresh"), terminal_size=SIZE, run_before=confirm)


def test_error_dialog(snap_compare, practice_app):
    async def denied(pilot):
        from hsm_setup_screens.error_dialog import ErrorDialog

        await _at_step(pilot, "service-linked-role")
        pilot.app.controller.session.practice.deny("iam:GetRole")
        await pilot.press("ctrl+r")
        await wait_for_screen(pilot, ErrorDialog, "the error dialog")
        await pilot.pause()

    assert snap_compare(practice_app("fresh"), terminal_size=SIZE, run_before=denied)


def test_help_screen(snap_compare, practice_app):
    async def help_open(pilot):
        await _at_step(pilot, "service-linked-role")
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(practice_app("fresh"), terminal_size=SIZE, run_before=help_open)


def test_summary_screen(snap_compare, practice_app):
    async def summary(pilot):
        await _at_step(pilot, "service-linked-role")
        await pilot.press("u")
        await pilot.pause()

    assert snap_compare(practice_app("fresh"), terminal_size=SIZE, run_before=summary)


def test_connect_screen_with_typed_keys(snap_compare):
    """The key pair form: the secret is masked."""
    from hsm_setup_screens.app import make_app

    async def typed(pilot):
        from textual.widgets import Input, OptionList

        options = pilot.app.screen.query_one("#connections", OptionList)
        await wait_for(
            pilot, lambda: options.get_option_at_index(options.option_count - 1).id == "access-keys", "profiles"
        )
        options.highlighted = options.option_count - 1
        await pilot.pause()
        pilot.app.screen.query_one("#key-aws-access-key-id", Input).value = "AKIAIOSFODNN7EXAMPLE"
        pilot.app.screen.query_one(
            "#key-aws-secret-access-key", Input
        ).value = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        options.focus()
        _still(pilot.app)
        await pilot.pause()

    assert snap_compare(make_app(None, watch_interval=None), terminal_size=SIZE, run_before=typed)


def test_admin_user_sign_in_choice(snap_compare, practice_app):
    """The admin.mode choice with its trade-off, as radio buttons."""

    async def choice(pilot):
        from textual.widgets import RadioSet

        await _at_step(pilot, "admin-user")
        await wait_for(pilot, lambda: pilot.app.screen.query(RadioSet), "the choice")
        await pilot.pause()  # laid out before scrolling to it
        _still(pilot.app)
        radio = pilot.app.screen.query_one(RadioSet)
        pilot.app.screen.query_one("#step-body").scroll_to_widget(radio, animate=False, top=True)
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(practice_app("partial"), terminal_size=SIZE, run_before=choice)


def test_target_accounts_field_in_an_organization(snap_compare, practice_app):
    """Where the account is in an organization with other accounts: the CloudHSM accounts, typed or chosen."""

    async def field_shown(pilot):
        await wait_settled(pilot)
        pilot.app.show_step("permission-sets")
        await wait_for(pilot, lambda: pilot.app.screen.query("#field-cloudhsm-accounts-choose"), "the accounts field")
        await pilot.pause()  # laid out before scrolling to it
        _still(pilot.app)
        # The field with its help at the foot of the pane (the plan below it names generated ids).
        row = pilot.app.screen.query_one("#field-cloudhsm-accounts-choose").parent
        help_text = row.parent.children[row.parent.children.index(row) + 1]
        pilot.app.screen.query_one("#step-body").scroll_to_widget(help_text, animate=False)
        await pilot.pause()

    assert snap_compare(practice_app("org"), terminal_size=SIZE, run_before=field_shown)


def test_progress_bar_during_an_apply_across_accounts(snap_compare, practice_app, staged_fanout):
    """The CloudHSM IAM group going into nine member accounts, three of them done."""
    from hsm_setup.answers.values import Answers

    async def applying(pilot):
        from textual.widgets import ProgressBar

        from hsm_setup_screens.confirm import ConfirmApply

        await _at_step(pilot, "cloudhsm-group")
        await pilot.press("a")
        await wait_for_screen(pilot, ConfirmApply, "the confirmation dialog")
        await pilot.press("y")
        bar = pilot.app.screen.query_one("#progress-bar", ProgressBar)
        await wait_for(pilot, lambda: bar.display and bar.progress == 3, "the bar at 3 of 9")
        pilot.app.screen.query_one("#step-body").scroll_to_widget(bar, animate=False)
        await pilot.pause()

    app = practice_app("org", answers=Answers({"cloudhsm.accounts": ["this", *NINE_MEMBERS]}))
    staged_fanout.release_when_closed(app)
    assert snap_compare(app, terminal_size=SIZE, run_before=applying)
