"""An apply across many accounts in the wizard: a progress bar in the step pane while it runs."""

from __future__ import annotations

import pytest

from .conftest import NINE_MEMBERS, run_async, visible_text, wait_for, wait_for_screen, wait_settled

pytestmark = pytest.mark.tui


@run_async
async def test_an_apply_across_accounts_shows_a_progress_bar_that_advances(practice_app, staged_fanout) -> None:
    from textual.widgets import ProgressBar

    from hsm_setup.answers.values import Answers
    from hsm_setup_screens.confirm import ConfirmApply

    app = practice_app("org", answers=Answers({"admin.accounts": ["this", *NINE_MEMBERS]}))
    staged_fanout.release_when_closed(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        assert app.screen.step_id == "admin-user"
        bar = app.screen.query_one("#progress-bar", ProgressBar)
        progress = app.screen.query_one("#progress")
        assert not bar.display
        await pilot.press("a")
        await wait_for_screen(pilot, ConfirmApply, "the confirmation dialog")
        await pilot.press("y")
        for stage, done in enumerate((3, 6), start=1):
            await wait_for(pilot, lambda done=done: bar.display and bar.progress == done, f"the bar at {done}")
            assert bar.total == 9
            assert visible_text(progress) == f"{done} of 9 accounts"
            staged_fanout.release(stage)
        await wait_settled(pilot, "the apply to finish")
        assert not bar.display
        assert app.view().step("admin-user").result.accounts == dict.fromkeys(
            [app.controller.session.identity.account_id, *NINE_MEMBERS], "done"
        )
