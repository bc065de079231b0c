"""The wizard's main screen: the identity bar, the step list and the current step."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from .identity_bar import IdentityBar
from .status import CONNECTING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from textual.worker import Worker

    from .sidebar import StepList
    from .step_pane import StepPane

# The keys that act on the step shown; before the step pane exists they do nothing.
STEP_ACTIONS = ("check_step", "apply", "simulate", "console", "skip")


class WizardScreen(Screen[None]):
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

    def __init__(self) -> None:
        super().__init__()
        self.countdown: int | None = None
        self._binding_state: tuple[Any, ...] = ()
        # The first frame is the identity bar and one line; the step list, the step pane and
        # the key bar are mounted right after it is on the terminal (they cost most of that
        # frame, and nothing is in them until the account answers).
        self.built = False
        self._building = False

    def compose(self) -> ComposeResult:
        yield IdentityBar(id="identity")
        yield Static(CONNECTING, id="starting")

    def on_screen_resume(self) -> None:
        if not self._building:
            self._building = True
            self.app.after_first_paint(self._build)  # type: ignore[attr-defined]

    async def _build(self) -> None:
        from textual.containers import Horizontal
        from textual.widgets import Footer

        from .sidebar import StepList
        from .step_pane import StepPane

        await self.query_one("#starting").remove()
        await self.mount(Horizontal(StepList(id="steps"), StepPane(id="pane"), id="main"), Footer(compact=True))
        self.built = True
        self.step_list.focus()
        self.refresh_from_app(rebuild=True)
        app: Any = self.app
        # The account may have answered while this was being built.
        if app.current_step is not None:
            self.show_step(app.current_step)
        self.set_interval(1, self._tick)

    @property
    def pane(self) -> StepPane:
        return self.query_one("#pane")  # type: ignore[return-value]

    @property
    def step_list(self) -> StepList:
        return self.query_one("#steps")  # type: ignore[return-value]

    @property
    def step_id(self) -> str | None:
        return self.pane.step_id if self.built else None

    # -- from the app ---------------------------------------------------------------
    def refresh_from_app(self, *, step_id: str | None = None, rebuild: bool = False) -> None:
        app: Any = self.app
        self.query_one(IdentityBar).show(app)
        if not self.built:
            return
        steps = self.step_list
        if rebuild:
            steps.fill(app)
        else:
            steps.update_statuses(app)
        if step_id is None or step_id == self.pane.step_id:
            self.pane.refresh_view()
        self.refresh_keys()

    def refresh_keys(self) -> None:
        # The key bar does not follow each step's state (the step's buttons do): Textual
        # rebuilds the whole footer on refresh_bindings, which took ~40 ms each time a
        # check changed what was possible. It changes only when the screen is built and
        # when the account turns out to be the practice one (the simulate key).
        state = (self.built, self._practice())
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    def _practice(self) -> bool:
        app: Any = self.app
        return app.ws is not None and app.ws.practice is not None

    def show_step(self, step_id: str) -> Worker[None] | None:
        """Show a step; the worker returned ends once it is drawn (None: the screen is not built yet)."""
        if not self.built:
            return None  # _build shows the app's current step
        self.countdown = None
        self.pane.set_watch("")
        self.step_list.select_step(step_id)
        # A callable, not a coroutine: a worker replaced before it starts then leaves nothing un-awaited.
        return self.run_worker(partial(self.pane.show_step, step_id), group="show-step", exclusive=True)

    # Named handlers rather than @on: the step list's module is imported after the first frame.
    def on_step_list_step_highlighted(self, event: StepList.StepHighlighted) -> None:
        step_id = event.step_id
        if step_id != self.pane.step_id:
            app: Any = self.app
            app.current_step = step_id
            self.show_step(step_id)

    def on_step_list_step_chosen(self, event: StepList.StepChosen) -> None:
        # Enter on a step moves into its inputs, or its buttons when it has none.
        if self.pane.fields:
            self.pane.query(Input).first().focus()

    # -- watching the account for a console action ---------------------------------------
    def _tick(self) -> None:
        app: Any = self.app
        step_id = self.step_id
        watching = (
            app.watch_interval
            and step_id is not None
            and app.ws is not None
            and not app.busy
            and app.shown(step_id).css == "needs-you"
            and not app.screen.is_modal
        )
        if not watching:
            self.countdown = None
            self.pane.set_watch("")
            return
        if step_id in app.checking:
            self.pane.set_watch("Watching the account: checking now…")
            return
        if self.countdown is None:
            self.countdown = app.watch_interval
        self.countdown -= 1
        if self.countdown <= 0:
            self.countdown = app.watch_interval
            self.pane.set_watch("Watching the account: checking now…")
            app.check_step(step_id)
        else:
            self.pane.set_watch(f"Watching the account: next check in {self.countdown} s. The step turns done by itself once the console change is made.")

    # -- actions --------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in STEP_ACTIONS:
            if not self.built:
                return False
            if action == "simulate":
                return self._practice()
        return True

    def _act_on_step(self, name: str, capability: str, why_not: Callable[[], str], act: Callable[[str], Any]) -> None:
        """Run `act` on the step shown if the step allows it; otherwise say why (a notification)."""
        if self.step_id is None:
            return
        if not self.pane.can(capability):
            self.notify(why_not(), title=f"{name} is not available", severity="warning", timeout=4)
            return
        act(self.step_id)

    def action_check_step(self) -> None:
        app: Any = self.app
        self._act_on_step("Check", "check", lambda: "This step is being checked now, or a change is running.", app.check_step)

    def action_apply(self) -> None:
        app: Any = self.app
        self._act_on_step("Apply", "apply", self.pane.apply_blocked_reason, app.request_apply)

    def action_simulate(self) -> None:
        app: Any = self.app
        why = "This step has no console action to simulate now (or it is being checked)."
        self._act_on_step("Simulate", "simulate", lambda: why, app.request_simulation)

    def action_console(self) -> None:
        self.app.open_console(self.step_id)  # type: ignore[attr-defined]

    def action_skip(self) -> None:
        app: Any = self.app
        self._act_on_step("Skip", "skip", lambda: "Wait for the change that is running to finish.", app.skip_step)

    def action_back(self) -> None:
        self.app.previous_step(self.step_id)  # type: ignore[attr-defined]

    def action_next(self) -> None:
        self.app.next_step(self.step_id)  # type: ignore[attr-defined]

    def action_summary(self) -> None:
        self.app.show_summary()  # type: ignore[attr-defined]

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
