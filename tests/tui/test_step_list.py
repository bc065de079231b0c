"""The step list: what each row reads on screen, and how the highlight moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

from textual.app import App, ComposeResult

from hsm_setup.session.view import StepState
from hsm_setup_screens.sidebar import StepList

from .conftest import run_async

CHECKING, DONE, NEEDS_YOU, TO_DO = StepState.CHECKING, StepState.DONE, StepState.NEEDS_YOU, StepState.TO_DO

TITLES = [
    "Secure the root user",
    "Enable IAM Identity Center",
    "Create an administrative user",
    "Create the CloudHSM admin group",
    "Make sure the CloudHSM service-linked role exists",
]


class Steps:
    """What StepList reads from the session's view: its steps, each with its number, title and state."""

    def __init__(self) -> None:
        self.ids = [f"step-{n}" for n in range(1, len(TITLES) + 1)]
        self.status = {step_id: CHECKING for step_id in self.ids}

    @property
    def steps(self) -> list[Any]:
        return [
            SimpleNamespace(id=step_id, number=n, title=title, state=self.status[step_id])
            for n, (step_id, title) in enumerate(zip(self.ids, TITLES, strict=True), 1)
        ]


class ListApp(App[None]):
    CSS = "StepList { width: 26; height: 1fr; }"

    def __init__(self) -> None:
        super().__init__()
        self.model = Steps()
        self.moves: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield StepList()

    def on_mount(self) -> None:
        steps = self.query_one(StepList)
        steps.fill(self.model)
        steps.focus()

    def on_step_list_step_highlighted(self, event: StepList.StepHighlighted) -> None:
        self.moves.append(("highlighted", event.step_id))

    def on_step_list_step_chosen(self, event: StepList.StepChosen) -> None:
        self.moves.append(("chosen", event.step_id))


@asynccontextmanager
async def step_list_on_screen(height: int) -> AsyncIterator[tuple[ListApp, Any, StepList]]:
    """The list, filled and drawn, in a terminal 60 columns wide and `height` lines high."""
    app = ListApp()
    async with app.run_test(size=(60, height)) as pilot:
        await pilot.pause()
        yield app, pilot, app.query_one(StepList)


def screen_lines(steps: StepList) -> list[str]:
    """The list's lines as the terminal shows them."""
    return [steps.render_line(y).text.rstrip() for y in range(steps.scrollable_content_region.height)]


@run_async
async def test_each_step_reads_its_number_title_and_status() -> None:
    async with step_list_on_screen(30) as (_app, _pilot, steps):
        lines = screen_lines(steps)
        assert lines[:5] == [
            "1. Secure the root user",
            "   … checking",
            "2. Enable IAM Identity",
            "   Center",
            "   … checking",
        ]
        assert "5. Make sure the" in lines
        assert lines[-1] == ""  # below the last step


@run_async
async def test_a_status_that_changes_is_redrawn_and_the_others_stay() -> None:
    async with step_list_on_screen(30) as (app, pilot, steps):
        before = screen_lines(steps)
        app.model.status["step-2"] = DONE
        app.model.status["step-4"] = NEEDS_YOU
        steps.update_statuses(app.model)
        await pilot.pause()
        after = screen_lines(steps)
        changed = {i: (before[i], after[i]) for i in range(len(before)) if before[i] != after[i]}
        assert changed == {4: ("   … checking", "   ✓ done"), 10: ("   … checking", "   ! needs you")}
        assert steps.prompt("step-4").plain.endswith("needs you")
        app.model.status["step-4"] = TO_DO
        steps.update_statuses(app.model)
        await pilot.pause()
        assert screen_lines(steps)[10] == "   • to do"


@run_async
async def test_keys_move_the_highlight_and_say_where_it_went() -> None:
    async with step_list_on_screen(12) as (app, pilot, steps):
        assert steps.highlighted_step == "step-1"
        await pilot.press("down", "down", "up")
        assert steps.highlighted_step == "step-2"
        await pilot.press("end")
        assert steps.highlighted_step == "step-5"
        await pilot.press("down")  # already at the last: nothing moves, nothing is said
        await pilot.press("home", "enter")
        await pilot.pause()
        assert app.moves == [
            ("highlighted", "step-2"),
            ("highlighted", "step-3"),
            ("highlighted", "step-2"),
            ("highlighted", "step-5"),
            ("highlighted", "step-1"),
            ("chosen", "step-1"),
        ]


@run_async
async def test_the_highlighted_step_is_kept_in_view() -> None:
    async with step_list_on_screen(8) as (_app, pilot, steps):
        await pilot.press("end")
        await pilot.pause()
        lines = screen_lines(steps)
        assert any(line.startswith("5. Make sure") for line in lines)
        assert not any(line.startswith("1. ") for line in lines)
        await pilot.press("pageup")  # a page (8 lines) up from step 5's first line is step 2's
        await pilot.pause()
        assert steps.highlighted_step == "step-2"
        assert any(line.startswith("2. Enable") for line in screen_lines(steps))


@run_async
async def test_a_click_on_a_row_highlights_its_step() -> None:
    async with step_list_on_screen(30) as (app, pilot, steps):
        await pilot.click(StepList, offset=(3, 6))  # the third step's title
        await pilot.pause()
        assert steps.highlighted_step == "step-3"
        assert app.moves == [("highlighted", "step-3")]


@run_async
async def test_the_app_choosing_a_step_moves_the_highlight_without_a_message() -> None:
    async with step_list_on_screen(30) as (app, pilot, steps):
        steps.select_step("step-4")
        await pilot.pause()
        assert steps.highlighted_step == "step-4"
        assert app.moves == []
