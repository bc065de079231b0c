"""One step: what the check found, its inputs, its plan as AWS CLI commands, its guidance."""

from __future__ import annotations

from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from . import messages as m
from .content import RenderedOnce, update_if_changed
from .status import CONNECTING

FALLBACK_GUIDANCE = "Guidance for this step is not available in this build. The check and the plan above say what is missing and what will change."


def field_widget_id(key: str) -> str:
    return "field-" + key.replace(".", "-")


class StepPane(Vertical):
    """The main pane. It is redrawn from the app's results; inputs are built once per step."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.step_id: str | None = None
        self.fields: dict[str, Any] = {}
        self.problems: dict[str, str] = {}
        # The admin.mode chosen on screen (None on steps without the choice); it picks the fields shown.
        self.mode: str | None = None
        self.choices: dict[str, Any] = {}
        # The step whose guidance is shown (None while it is being laid out).
        self._guidance_of: str | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="step-body"):
            yield Static("", id="step-title")
            yield Static("", id="step-why")
            yield Static("", id="findings")
            yield Vertical(id="inputs")
            yield Static("", id="plan")
            yield Static("", id="watch")
            yield Static("", id="progress")
            # One Static rendering Rich Markdown: Textual's Markdown widget builds a widget per block,
            # which makes moving between steps slow.
            yield Static("", id="guidance")
        with Horizontal(id="step-buttons"):
            yield Button("Check", id="check", compact=True, tooltip="Check this step again (r)")
            yield Button("Apply", id="apply", compact=True, variant="primary", tooltip="Make the changes in the plan (a)")
            yield Button("Simulate", id="simulate", compact=True, variant="warning", tooltip="Practice account: simulate the console action (m)")
            yield Button("Console", id="console", compact=True, tooltip="Open the AWS console page for this step (o)")
            yield Button("Skip", id="skip", compact=True, tooltip="Leave this step for later (s)")
            yield Button("Back", id="back", compact=True, tooltip="Previous step (p)")
            yield Button("Next", id="next", compact=True, tooltip="Next step, or the summary after the last (n)")

    # -- building --------------------------------------------------------------------
    async def show_step(self, step_id: str, mode: str | None = None) -> None:
        """Build the step's inputs and show it; returns once it is drawn.

        `mode` overrides the saved admin.mode (the person just chose one).
        """
        from hsm_setup.assets import guidance
        from hsm_setup.answers.fields import admin_mode, fields_for_step

        self.step_id = step_id
        step = self._step()
        self.fields = {}
        self.choices = {}
        self.problems = {}
        inputs = self.query_one("#inputs", Vertical)
        await inputs.remove_children()
        widgets: list[Any] = []
        if step is not None:
            answers = self.app.ws.answers if self.app.ws is not None else None
            every = fields_for_step(step_id)
            has_choice = any(f.kind == "choice" for f in every)
            self.mode = (mode or (admin_mode(answers) if answers is not None else None)) if has_choice else None
            fields = fields_for_step(step_id, self.mode)
            if fields:
                widgets.append(Static("Your choices", classes="section"))
            for field in fields:
                wid = field_widget_id(field.key)
                widgets.append(Label(f"{field.label}  [dim]({field.key})[/dim]", classes="field-label"))
                if field.kind == "choice":
                    from textual.widgets import RadioButton, RadioSet  # only admin-user has a choice

                    self.choices[wid] = field
                    current = self.mode if field.key == "admin.mode" else (answers[field.key] if answers is not None else field.default)
                    widgets.append(Static(field.help, classes="field-help"))
                    widgets.append(
                        RadioSet(
                            *(RadioButton(label, value=choice == current, id=f"{wid}-{choice}") for choice, label in _choice_labels(field)),
                            id=wid,
                            classes="field-choice",
                        )
                    )
                    continue
                self.fields[wid] = field
                value = field.format(answers[field.key]) if answers is not None else ""
                widgets.append(Input(value=value, id=wid, tooltip=field.help, select_on_focus=False))
                widgets.append(Static(field.help, classes="field-help"))
                widgets.append(Static("", id=wid + "-error", classes="field-error"))
                problem = field.error(answers[field.key], self.mode) if answers is not None else None
                if problem:
                    self.problems[field.key] = problem
            await inputs.mount_all(widgets)
            for key, problem in self.problems.items():
                self._show_problem(key, problem)
        guidance_view = self.query_one("#guidance", Static)
        same_guidance = step is not None and self._guidance_of == step_id  # the inputs rebuilt for a new mode
        if not same_guidance:
            self._guidance_of = None
            guidance_view.update("")
        self.query_one("#step-body", VerticalScroll).scroll_home(animate=False)
        self.refresh_view()
        if step is None or same_guidance:
            return
        # The guidance is laid out in a frame of its own: measuring and rendering its Markdown
        # takes ~10 ms, and together with the rest of the step it held the event loop for 40.
        await self.wait_for_refresh()
        from rich.markdown import Markdown as RichMarkdown  # deferred: markdown-it is slow to import

        text = guidance(step.guidance) if step.guidance else ""
        guidance_view.update(RenderedOnce(RichMarkdown(text.strip() or FALLBACK_GUIDANCE)))
        self._guidance_of = step_id
        await self.wait_for_refresh()

    def _step(self) -> Any:
        return next((s for s in self.app.steps if s.id == self.step_id), None)

    # -- redrawing ------------------------------------------------------------------
    def refresh_view(self) -> None:
        app: Any = self.app
        step = self._step()
        title = self.query_one("#step-title", Static)
        if step is None:
            update_if_changed(title, CONNECTING)
            for widget_id in ("#step-why", "#findings", "#plan", "#watch", "#progress"):
                update_if_changed(self.query_one(widget_id, Static), "")
            self._set_buttons(set())
            refresh_keys = getattr(self.screen, "refresh_keys", None)
            if refresh_keys is not None:
                refresh_keys()
            return
        number = [s.id for s in app.steps].index(step.id) + 1
        shown = app.shown(step.id)
        head = Text()
        head.append(f"Step {number} of {len(app.steps)}: {step.title}\n", style="bold")
        head.append(f"{shown.icon} {shown.label}", style=f"bold {_COLOUR.get(shown.css, '')}")
        update_if_changed(title, head)
        update_if_changed(self.query_one("#step-why", Static), Text(step.why or "", style="italic"))
        update_if_changed(self.query_one("#findings", Static), self._findings_text(step.id))
        update_if_changed(self.query_one("#plan", Static), self._plan_text(step.id))
        update_if_changed(self.query_one("#progress", Static), Text(app.progress.get(step.id, ""), style="cyan"))
        self._set_buttons(self._enabled(step.id))
        # The key bar changes only with the screen (WizardScreen.refresh_keys), not with the step.
        refresh_keys = getattr(self.screen, "refresh_keys", None)
        if refresh_keys is not None:
            refresh_keys()

    def _findings_text(self, step_id: str) -> Text:
        app: Any = self.app
        result = app.results.get(step_id)
        text = Text()
        text.append("What the check found\n", style="bold underline")
        if step_id in app.checking or result is None:
            text.append("Checking the account…")
            return text
        if not result.findings:
            text.append("Nothing to report.")
        for finding in result.findings:
            if finding.level == "warning":
                text.append("⚠ ", style="yellow")
            else:
                text.append("✓ " if finding.ok else "✗ ", style="green" if finding.ok else "red")
            text.append(finding.message + "\n")
            if finding.evidence:
                text.append(f"    {finding.evidence}\n", style="dim")
        if result.status.value == "error" and result.error:
            text.append(f"\n{result.error}\n", style="bold red")
        if result.blocked_by:
            titles = {s.id: s.title for s in app.steps}
            names = ", ".join(titles.get(b, b) for b in result.blocked_by)
            text.append(f"\nDo this first: {names}.\n", style="bold")
        text.rstrip()
        return text

    def _plan_text(self, step_id: str) -> Text:
        app: Any = self.app
        result = app.results.get(step_id)
        plan = app.plans.get(step_id)
        text = Text()
        text.append("The plan\n", style="bold underline")
        if result is None or plan is None or step_id in app.checking:
            text.append("Shown once the check is done.")
            return text
        if result.done:
            text.append("Nothing to change: this step is done.")
            return text
        if not plan:
            text.append("Nothing can be planned until the problems above are fixed.")
            return text
        for action in plan:
            if action.is_manual:
                text.append("• In the AWS console (you): ", style="bold magenta")
                text.append(action.summary + "\n", style="bold")
                for number, line in enumerate(action.instructions, 1):
                    text.append(f"    {number}. {line}\n")
                if action.console_url:
                    text.append("    Console: ", style="dim")
                    text.append(action.console_url + "\n", style="underline")
                if action.simulation and app.ws is not None and app.ws.practice is not None:
                    text.append("    Practice account: press m to SIMULATE this console action.\n", style="yellow")
            else:
                text.append("• ", style="bold")
                text.append(action.summary + "\n", style="bold")
                if action.cli:
                    text.append(f"    $ {action.cli}\n", style="cyan")
        text.rstrip()
        return text

    def _enabled(self, step_id: str) -> set[str]:
        app: Any = self.app
        enabled = {"back", "next", "skip"}
        if app.ws is None or app.busy:
            return {"back", "next"}
        result = app.results.get(step_id)
        plan = app.plans.get(step_id) or []
        settled = result is not None and step_id not in app.checking
        if step_id not in app.checking:
            enabled.add("check")
        if settled and not result.done and any(not a.is_manual for a in plan) and not self.problems and step_id not in app.dirty:
            enabled.add("apply")
        if settled and app.simulation_for(step_id) is not None:
            enabled.add("simulate")
        if app.console_url(step_id):
            enabled.add("console")
        return enabled

    def _set_buttons(self, enabled: set[str]) -> None:
        app: Any = self.app
        practice = app.ws is not None and app.ws.practice is not None
        for button in self.query("#step-buttons Button").results(Button):
            button.disabled = button.id not in enabled
            # Room is short at 80 columns: show the console and simulation buttons only where they apply.
            if button.id == "simulate":
                button.display = practice and self.step_id is not None and app.simulation_for(self.step_id) is not None
            elif button.id == "console":
                button.display = self.step_id is not None and app.console_url(self.step_id) is not None

    def can(self, action: str) -> bool:
        return self.step_id is not None and action in self._enabled(self.step_id)

    def apply_blocked_reason(self) -> str:
        app: Any = self.app
        if self.problems:
            return "Fix the inputs first: " + "; ".join(self.problems.values())
        if app.busy:
            return "Wait for the current change to finish."
        if self.step_id in app.checking or self.step_id in app.dirty:
            return "Wait for the check to finish."
        result = app.results.get(self.step_id)
        if result is not None and result.done:
            return "This step is already done."
        plan = app.plans.get(self.step_id) or []
        if plan and all(a.is_manual for a in plan):
            return "What is left is done in the AWS console (press o)."
        return "There is nothing to apply for this step yet."

    def set_watch(self, text: str) -> None:
        update_if_changed(self.query_one("#watch", Static), Text(text, style="bold magenta") if text else "")

    # -- inputs ---------------------------------------------------------------------
    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        field = self.fields.get(event.input.id or "")
        if field is None:
            return
        value = field.parse(event.value)
        problem = field.error(value, self.mode)
        if problem:
            self.problems[field.key] = problem
        else:
            self.problems.pop(field.key, None)
        self._show_problem(field.key, problem)
        app: Any = self.app
        if not self.problems and app.ws is not None:
            values = self._values()
            if any(app.ws.answers[k] != v for k, v in values.items()):
                self.post_message(m.AnswersEdited(self.step_id or "", values))
        self.refresh_view()

    def _values(self) -> dict[str, Any]:
        values = {f.key: f.parse(self.query_one(f"#{wid}", Input).value) for wid, f in self.fields.items()}
        if self.mode is not None:
            values["admin.mode"] = self.mode
        return values

    def on_radio_set_changed(self, event: Any) -> None:
        # Named, not @on(RadioSet.Changed): RadioSet is imported only when a step has a choice.
        field = self.choices.get(event.radio_set.id or "")
        if field is None or event.pressed.id is None:
            return
        choice = event.pressed.id[len(field_widget_id(field.key)) + 1 :]
        if field.key != "admin.mode" or choice == self.mode:
            return
        app: Any = self.app
        step_id = self.step_id or ""
        # The mode picks which fields apply: keep the valid answers typed so far, and rebuild the inputs.
        values = {k: v for k, v in self._values().items() if k not in self.problems}
        values["admin.mode"] = choice
        if app.ws is not None:
            self.post_message(m.AnswersEdited(step_id, values))
        self.run_worker(partial(self._rebuild, step_id, choice), group="show-step", exclusive=True)

    async def _rebuild(self, step_id: str, mode: str) -> None:
        await self.show_step(step_id, mode)
        radio = self.query(".field-choice").first()
        radio.focus()

    def _show_problem(self, key: str, problem: str | None) -> None:
        wid = field_widget_id(key)
        self.query_one(f"#{wid}-error", Static).update(Text(f"✗ {problem}", style="bold red") if problem else "")
        self.query_one(f"#{wid}", Input).set_class(bool(problem), "-invalid")


def _choice_labels(field: Any) -> list[tuple[str, str]]:
    """(value, label) for each choice; admin.mode's labels say what each mode means."""
    from hsm_setup.answers.fields import MODE_CHOICES

    # A radio button's label is one line: the mode's name and the first words; the help above says the rest.
    described = {mode: text.split(" (")[0] for mode, text in MODE_CHOICES} if field.key == "admin.mode" else {}
    return [(choice, f"{choice}: {described[choice]}" if choice in described else choice) for choice in field.choices]


_COLOUR = {
    "done": "green",
    "todo": "yellow",
    "needs-you": "magenta",
    "error": "red",
    "checking": "cyan",
}
