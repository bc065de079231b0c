"""The wizard's step pane shows every field of a step, and a choice that is not admin.mode is an ordinary answer."""

from __future__ import annotations

from .conftest import drawn_text, run_async, visible_text, wait_for, wait_settled


@run_async
async def test_the_new_fields_are_shown_where_their_step_asks_them(practice_app):
    app = practice_app("fresh")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_settled(pilot)
        for step_id, wanted in (
            ("identity-center", ["#field-identity_center-portal_url"]),
            ("admin-user", ["#field-admin-group", "#field-admin-members"]),
            ("permission-sets", ["#field-cloudhsm-session_duration"]),
        ):
            app.show_step(step_id)
            await wait_for(pilot, lambda w=wanted: all(app.screen.query(q) for q in w), f"the fields of {step_id}")


@run_async
async def test_the_cloudhsm_policy_is_a_choice_that_changes_the_plan_not_the_mode(practice_app):
    from textual.widgets import RadioButton

    app = practice_app("fresh")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_settled(pilot)
        app.show_step("cloudhsm-group")
        await wait_for(pilot, lambda: app.screen.query("#field-cloudhsm-policy-read-only"), "the policy choice")
        labels = [str(b.label) for b in app.screen.query("#field-cloudhsm-policy RadioButton").results(RadioButton)]
        assert [label.split(":")[0] for label in labels] == ["admin", "power-user", "read-only"]
        assert "describe clusters and backups" in labels[2]
        app.screen.query_one("#field-cloudhsm-policy-read-only").scroll_visible(animate=False)
        await pilot.pause()
        await pilot.click("#field-cloudhsm-policy-read-only")
        await wait_for(pilot, lambda: app.view().answers["cloudhsm.policy"] == "read-only", "the answer saved")
        await wait_settled(pilot, "the step to be checked with the read-only policy")
        await wait_for(
            pilot, lambda: "cloudhsm-read-only.json" in drawn_text(app.screen.query_one("#plan")), "the plan"
        )
        assert app.view().answers["admin.mode"] == "identity-center"  # the mode did not move
        assert app.screen.query("#field-cloudhsm-iam_group")  # the step's other inputs are still there


@run_async
async def test_on_a_real_account_the_administrators_fields_say_not_given_and_apply_waits(practice):
    from textual.widgets import Button

    from hsm_setup.aws.connection import Connection
    from hsm_setup.session.view import StepState
    from hsm_setup_screens.app import make_app

    # The practice server reached as an ordinary endpoint counts as a real account: nobody is made up.
    practice.reset("partial")
    connection = Connection(region="us-east-1", **practice.connection_overrides())
    app = make_app(connection, sleep=lambda seconds: None, watch_interval=None)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_settled(pilot)
        # The first step not done: the administrator's, which waits for the person's answers.
        assert app.screen.step_id == "admin-user"
        await wait_for(pilot, lambda: app.screen.query("#field-admin-email-error"), "the administrator's fields")
        assert app.view().step("admin-user").state is StepState.NEEDS_INPUT
        for key in ("admin-user_name", "admin-given_name", "admin-family_name", "admin-email"):
            error = app.screen.query_one(f"#field-{key}-error")
            await wait_for(pilot, lambda e=error: "not given" in visible_text(e), f"{key} shown as not given")
        assert app.screen.query_one("#apply", Button).disabled
        assert "needs input" in drawn_text(app.screen.query_one("#step-title"))
