"""The wizard's main screen: the identity bar, the step list and the current step."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Input, Static

from hsm_setup.session.view import Capability, SessionView, StepState

from . import messages as m
from .identity_bar import IdentityBar
from .status import CONNECTING
from .views import SessionScreen

if TYPE_CHECKING:  # pragma: no cover - typing only
    from textual.worker import Worker

    from .sidebar import StepList
    from .step_pane import StepPane

# The keys that act on the step shown; before the step pane exists they do nothing.
STEP_ACTIONS = ("check_step", "apply", "simulate", "console", "skip")


class WizardScreen(SessionScreen):
    BINDINGS = [
        Binding("r", "check_step", "Check", id="check-step"),
        Binding("a", "apply", "Apply", id="apply"),
        Binding("m", "simulate", "Simulate", id="simulate"),
        Binding("o", "console", "Console", id="console", show=False),
        Binding("s", "skip", "Skip", id="skip"),
        Binding("p", "back", "Back", id="back", show=False),
        Binding("n", "next", "Next", id="next"),
        Binding("u", "summary", "Summary", id="summary", show=False),
        Binding("escape", "focus_steps", "Steps", show=False),
    ]

    def __init__(
        self,
        view: SessionView,
        *,
        watch_interval: int | None,
        after_first_paint: Callable[[Callable[[], object]], None],
    ) -> None:
        super().__init__(view)
        self.watch_interval = watch_interval
        self._after_first_paint = after_first_paint
        self.countdown: int | None = None
        self._binding_state: tuple[bool, bool] = (False, False)
        # The first frame is the identity bar and one line; the step list, the step pane and
        # the key bar are mounted right after it is on the terminal (they cost most of that
        # frame, and nothing is in them until the account answers).
        self.built = False
        self._building = False
        self._pending_step: str | None = None

    def compose(self) -> ComposeResult:
        yield IdentityBar(self.view, id="identity")
        yield Static(CONNECTING, id="starting")

    def on_screen_resume(self) -> None:
        if not self._building:
            self._building = True
            self._after_first_paint(self._build)

    async def _build(self) -> None:
        from textual.containers import Horizontal
        from textual.widgets import Footer

        from .sidebar import StepList
        from .step_pane import StepPane

        await self.query_one("#starting").remove()
        await self.mount(Horizontal(StepList(id="steps"), StepPane(id="pane"), id="main"), Footer(compact=True))
        self.built = True
        self.step_list.focus()
        self.show_view(self.view, rebuild=True)
        # The account may have answered while this was being built.
        if self._pending_step is not None:
            self.show_step(self._pending_step)
        self.set_interval(1, self._tick)

    @property
    def pane(self) -> StepPane:
        from .step_pane import StepPane

        return self.query_one("#pane", StepPane)

    @property
    def step_list(self) -> StepList:
        from .sidebar import StepList

        return self.query_one("#steps", StepList)

    @property
    def step_id(self) -> str | None:
        return self.pane.step_id if self.built else None

    # -- drawing the view ---------------------------------------------------------------
    def show_view(self, view: SessionView, *, rebuild: bool = False) -> None:
        self.view = view
        if not self.is_mounted:
            return  # pushed but not composed yet: it is drawn from this view when it is
        self.query_one(IdentityBar).show(view)
        if not self.built:
            return
        if rebuild:
            self.step_list.fill(view)
        else:
            self.step_list.update_statuses(view)
        self.pane.show_view(view)
        self.refresh_keys()

    def refresh_keys(self) -> None:
        # The key bar does not follow each step's state (the step's buttons do): Textual
        # rebuilds the whole footer on refresh_bindings, which took ~40 ms each time a
        # check changed what was possible. It changes only when the screen is built and
        # when the account turns out to be the practice one (the simulate key).
        state = (self.built, self.view.practice)
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    def show_step(self, step_id: str) -> Worker[None] | None:
        """Show a step; the worker returned ends once it is drawn (None: the screen is not built yet)."""
        if not self.built:
            self._pending_step = step_id
            return None  # _build shows it
        self.countdown = None
        self.pane.set_watch("")
        self.step_list.select_step(step_id)
        # A callable, not a coroutine: a worker replaced before it starts then leaves nothing un-awaited.
        return self.run_worker(partial(self.pane.show_step, step_id, self.view), group="show-step", exclusive=True)

    # Named handlers rather than @on: the step list's module is imported after the first frame.
    def on_step_list_step_highlighted(self, event: StepList.StepHighlighted) -> None:
        if event.step_id != self.pane.step_id:
            self.post_message(m.StepRequested(event.step_id))

    def on_step_list_step_chosen(self, event: StepList.StepChosen) -> None:
        # Enter on a step moves into its inputs, or its buttons when it has none.
        if self.pane.fields:
            self.pane.query(Input).first().focus()

    # -- watching the account for a console action ---------------------------------------
    def _tick(self) -> None:
        step = self.view.step(self.step_id)
        if not self.watch_interval or step is None or step.state is not StepState.NEEDS_YOU or self.app.screen.is_modal:
            if step is not None and step.state is StepState.CHECKING and self.countdown is not None:
                self.pane.set_watch("Watching the account: checking now…")
                return
            self.countdown = None
            self.pane.set_watch("")
            return
        if self.countdown is None:
            self.countdown = self.watch_interval
        self.countdown -= 1
        if self.countdown <= 0:
            self.countdown = self.watch_interval
            self.pane.set_watch("Watching the account: checking now…")
            self.post_message(m.StepActionRequested(step.id, Capability.CHECK))
        else:
            self.pane.set_watch(
                f"Watching the account: next check in {self.countdown} s. The step turns done by itself once the console change is made."
            )

    # -- actions --------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in STEP_ACTIONS:
            if not self.built:
                return False
            if action == "simulate":
                return self.view.practice
        return True

    def _request(self, capability: Capability) -> None:
        if self.step_id is not None:
            self.post_message(m.StepActionRequested(self.step_id, capability))

    def action_check_step(self) -> None:
        self._request(Capability.CHECK)

    def action_apply(self) -> None:
        self._request(Capability.APPLY)

    def action_simulate(self) -> None:
        self._request(Capability.SIMULATE)

    def action_console(self) -> None:
        self._request(Capability.CONSOLE)

    def action_skip(self) -> None:
        self._request(Capability.SKIP)

    def action_back(self) -> None:
        ids = [s.id for s in self.view.steps]
        if self.step_id in ids and ids.index(self.step_id) > 0:
            self.post_message(m.StepRequested(ids[ids.index(self.step_id) - 1]))

    def action_next(self) -> None:
        ids = [s.id for s in self.view.steps]
        if self.step_id in ids and ids.index(self.step_id) + 1 < len(ids):
            self.post_message(m.StepRequested(ids[ids.index(self.step_id) + 1]))
        else:
            self.post_message(m.SummaryRequested())

    def action_summary(self) -> None:
        self.post_message(m.SummaryRequested())

    def action_focus_steps(self) -> None:
        if self.built:
            self.step_list.focus()

    @on(Button.Pressed, "#step-buttons Button")
    def _button(self, event: Button.Pressed) -> None:
        actions = {
            "check": self.action_check_step,
            "apply": self.action_apply,
            "simulate": self.action_simulate,
            "console": self.action_console,
            "skip": self.action_skip,
            "back": self.action_back,
            "next": self.action_next,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            action()
