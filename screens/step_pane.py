"""One step: what the check found, its inputs, its plan as AWS CLI commands, its guidance.

The pane is given the session's view of the step and draws it; what the person types
goes to the session (InputsEdited), which says what is wrong and what Apply allows.
Target accounts (admin.accounts, cloudhsm.accounts) are asked where the account is in an
organization with other accounts: typed, or chosen from the organization's tree (Enter in
the field, or its Choose button), which fills the field as typing would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Label, ProgressBar, Static

from hsm_setup.answers.fields import Field
from hsm_setup.session.view import Capability, SessionView, StepState, StepView

from . import messages as m
from .content import RenderedOnce, update_if_changed
from .status import CONNECTING, shown

if TYPE_CHECKING:  # pragma: no cover - typing only
    from textual.widgets import RadioSet

FALLBACK_GUIDANCE = "Guidance for this step is not available in this build. The check and the plan above say what is missing and what will change."
# Under a target accounts field: how to reach the organization's picker without a mouse.
ACCOUNTS_HINT = "\nEnter in the field (or Choose…) picks accounts and OUs from the organization."
# The buttons and the capability each one stands for; Back and Next are always there.
BUTTONS = {
    "check": Capability.CHECK,
    "apply": Capability.APPLY,
    "simulate": Capability.SIMULATE,
    "console": Capability.CONSOLE,
    "skip": Capability.SKIP,
}


def field_widget_id(key: str) -> str:
    return "field-" + key.replace(".", "-")


class StepPane(Vertical):
    """The main pane. It is redrawn from each new view; inputs are built once per step."""

    def __init__(self, **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.step_id: str | None = None
        self.fields: dict[str, Field] = {}
        # The admin.mode chosen on screen (None on steps without the choice); it picks the fields shown.
        self.mode: str | None = None
        self.choices: dict[str, Field] = {}
        # What each other choice (cloudhsm.policy) is set to on screen, by answers key.
        self.chosen: dict[str, str] = {}
        self.view: SessionView | None = None
        # The step whose guidance is shown (None while it is being laid out).
        self._guidance_of: str | None = None
        # The step asks about the organization's accounts, which are being read: its inputs are built again once
        # they are known.
        self._awaiting_accounts = False
        self._inputs_built = asyncio.Lock()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="step-body"):
            yield Static("", id="step-title")
            yield Static("", id="step-why")
            yield Static("", id="findings")
            yield Vertical(id="inputs")
            yield Static("", id="plan")
            yield Static("", id="watch")
            yield Static("", id="progress")
            # Shown while an apply runs across many accounts.
            yield ProgressBar(id="progress-bar", show_eta=False)
            # One Static rendering Rich Markdown: Textual's Markdown widget builds a widget per block,
            # which makes moving between steps slow.
            yield Static("", id="guidance")
        with Horizontal(id="step-buttons"):
            yield Button("Check", id="check", compact=True, tooltip="Check this step again (r)")
            yield Button(
                "Apply", id="apply", compact=True, variant="primary", tooltip="Make the changes in the plan (a)"
            )
            yield Button(
                "Simulate",
                id="simulate",
                compact=True,
                variant="warning",
                tooltip="Practice account: simulate the console action (m)",
            )
            yield Button("Console", id="console", compact=True, tooltip="Open the AWS console page for this step (o)")
            yield Button("Skip", id="skip", compact=True, tooltip="Leave this step for later (s)")
            yield Button("Back", id="back", compact=True, tooltip="Previous step (p)")
            yield Button("Next", id="next", compact=True, tooltip="Next step, or the summary after the last (n)")

    # -- building --------------------------------------------------------------------
    async def show_step(self, step_id: str, view: SessionView, mode: str | None = None) -> None:
        """Build the step's inputs and show it; returns once it is drawn.

        `mode` overrides the saved admin.mode (the person just chose one).
        """
        from hsm_setup.assets import guidance

        self.step_id = step_id
        self.view = view
        step = view.step(step_id)
        # One build of the inputs at a time: a step shown again while its inputs are being built (the organization
        # just read, a mode chosen) must not mount a second set beside the first.
        async with self._inputs_built:
            await self._build_inputs(step_id, view, mode)
        guidance_view = self.query_one("#guidance", Static)
        same_guidance = step is not None and self._guidance_of == step_id  # the inputs rebuilt for a new mode
        if not same_guidance:
            self._guidance_of = None
            guidance_view.update("")
        self.query_one("#step-body", VerticalScroll).scroll_home(animate=False)
        self.show_view(view)
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

    async def _build_inputs(self, step_id: str, view: SessionView, mode: str | None) -> None:
        """The step's inputs, filled from the view's answers (`mode`: an admin.mode chosen on screen)."""
        from hsm_setup.answers.fields import admin_mode, fields_for_step

        step = view.step(step_id)
        self._awaiting_accounts = False
        # The inputs are known once their widgets are mounted: a redraw meanwhile must not look
        # for them. A choice is known at once: it may be clicked while the rest is mounting.
        self.fields, self.choices, self.chosen = {}, {}, {}
        fields_shown: dict[str, Field] = {}
        inputs = self.query_one("#inputs", Vertical)
        await inputs.remove_children()
        widgets: list[Widget] = []
        answers = view.answers
        if step is not None:
            every = fields_for_step(step_id)
            picks_mode = any(f.picks_mode for f in every)
            self.mode = (mode or (admin_mode(answers) if answers is not None else None)) if picks_mode else None
            fields = fields_for_step(step_id, self.mode, organization=view.accounts is not None)
            if fields:
                widgets.append(Static("Your choices", classes="section"))
            for field_ in fields:
                wid = field_widget_id(field_.key)
                widgets.append(Label(f"{field_.label}  [dim]({field_.key})[/dim]", classes="field-label"))
                if field_.kind == "choice":
                    from textual.widgets import RadioButton, RadioSet  # only steps with a choice need it

                    self.choices[wid] = field_
                    current = (
                        self.mode
                        if field_.picks_mode
                        else str(answers[field_.key] if answers is not None else field_.default)
                    )
                    if not field_.picks_mode and current is not None:
                        self.chosen[field_.key] = current
                    widgets.append(Static(field_.help, classes="field-help"))
                    widgets.append(
                        RadioSet(
                            *(
                                RadioButton(label, value=choice == current, id=f"{wid}-{choice}")
                                for choice, label in _choice_labels(field_)
                            ),
                            id=wid,
                            classes="field-choice",
                        )
                    )
                    continue
                fields_shown[wid] = field_
                value = field_.format(answers[field_.key]) if answers is not None else ""
                typed = Input(value=value, id=wid, tooltip=field_.help, select_on_focus=False)
                if field_.picks_accounts:
                    choose = Button(
                        "Choose…",
                        id=wid + "-choose",
                        classes="choose-accounts",
                        compact=True,
                        tooltip="Choose from the organization's accounts and OUs (Enter in the field)",
                    )
                    widgets.append(Horizontal(typed, choose, classes="accounts-row"))
                else:
                    widgets.append(typed)
                help_text = field_.help + (ACCOUNTS_HINT if field_.picks_accounts else "")
                widgets.append(Static(help_text, classes="field-help"))
                widgets.append(Static("", id=wid + "-error", classes="field-error"))
            await inputs.mount_all(widgets)
            # Asked only where the organization has other accounts: read once, then the inputs are built again.
            self._awaiting_accounts = not view.accounts_read and any(
                f.needs_organization for f in fields_for_step(step_id, self.mode, organization=True)
            )
            if self._awaiting_accounts:
                self.post_message(m.AccountsWanted())
        self.fields = fields_shown

    # -- redrawing ------------------------------------------------------------------
    def show_view(self, view: SessionView) -> None:
        self.view = view
        step = view.step(self.step_id)
        title = self.query_one("#step-title", Static)
        self._show_count(step)
        if step is None:
            update_if_changed(title, CONNECTING)
            for widget_id in ("#step-why", "#findings", "#plan", "#watch", "#progress"):
                update_if_changed(self.query_one(widget_id, Static), "")
            self._set_buttons(None, view)
            return
        if self._awaiting_accounts and view.accounts_read:
            self._awaiting_accounts = False
            if view.accounts is not None:  # the organization has other accounts: ask for the targets
                self._show_again(partial(self.show_step, step.id, view, self.mode))
        look = shown(step.state)
        head = Text()
        head.append(f"Step {step.number} of {len(view.steps)}: {step.title}\n", style="bold")
        head.append(f"{look.icon} {look.label}", style=f"bold {_COLOUR.get(look.css, '')}")
        update_if_changed(title, head)
        update_if_changed(self.query_one("#step-why", Static), Text(step.why or "", style="italic"))
        update_if_changed(self.query_one("#findings", Static), _findings_text(step, view))
        update_if_changed(self.query_one("#plan", Static), _plan_text(step, view.practice))
        update_if_changed(self.query_one("#progress", Static), Text(step.progress, style="cyan"))
        for wid, field_ in self.fields.items():
            # A required answer nobody gave (a real account) is shown as "not given" before anything is typed.
            missing = field_.key in step.missing_answers and not step.problems
            self._show_problem(wid, step.problems.get(field_.key) or (field_.error(None) if missing else None))
        self._set_buttons(step, view)

    def _set_buttons(self, step: StepView | None, view: SessionView) -> None:
        for button in self.query("#step-buttons Button").results(Button):
            capability = BUTTONS.get(button.id or "")
            if capability is None:  # Back and Next
                button.disabled = False
                continue
            allowed = step is not None and bool(step.allows(capability))
            button.disabled = not allowed
            # Room is short at 80 columns: show the console and simulation buttons only where they apply.
            if capability is Capability.SIMULATE:
                button.display = view.practice and step is not None and step.simulation is not None
            elif capability is Capability.CONSOLE:
                button.display = step is not None and step.console_url is not None

    def _show_count(self, step: StepView | None) -> None:
        """The progress bar of an apply across many accounts, while it runs."""
        bar = self.query_one("#progress-bar", ProgressBar)
        count = step.count if step is not None else None
        bar.display = count is not None
        if count is not None:
            bar.update(total=count.total, progress=count.done)

    def set_watch(self, text: str) -> None:
        update_if_changed(self.query_one("#watch", Static), Text(text, style="bold magenta") if text else "")

    # -- inputs ---------------------------------------------------------------------
    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if (event.input.id or "") in self.fields and self.step_id is not None:
            self.post_message(m.InputsEdited(self.step_id, self._typed()))

    # -- target accounts: chosen from the organization ------------------------------------------------
    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        wid = event.input.id or ""
        if wid in self.fields and self.fields[wid].picks_accounts:
            event.stop()
            self._choose_accounts(wid)

    @on(Button.Pressed, ".choose-accounts")
    def _choose_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._choose_accounts((event.button.id or "").removesuffix("-choose"))

    def _choose_accounts(self, wid: str) -> None:
        """Open the organization's picker on what the field holds now; what is picked fills the field."""
        field_ = self.fields.get(wid)
        if field_ is None:
            return
        current = field_.parse(self.query_one(f"#{wid}", Input).value) or list(field_.default)

        def chosen(values: list[str]) -> None:
            from textual.css.query import NoMatches

            with suppress(NoMatches):  # the step's inputs were rebuilt meanwhile
                # As if typed: the session validates and saves it, and the steps that read it are checked again.
                self.query_one(f"#{wid}", Input).value = field_.format(values)

        self.post_message(m.AccountsChoiceRequested(field_.key, current, chosen))

    def _typed(self) -> dict[str, object]:
        typed: dict[str, object] = {f.key: self.query_one(f"#{wid}", Input).value for wid, f in self.fields.items()}
        typed.update(self.chosen)
        if self.mode is not None:
            typed["admin.mode"] = self.mode
        return typed

    # Named, not @on(RadioSet.Changed): RadioSet is imported only when a step has a choice.
    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        field_ = self.choices.get(event.radio_set.id or "")
        if field_ is None or event.pressed.id is None or self.step_id is None or self.view is None:
            return
        choice = event.pressed.id[len(field_widget_id(field_.key)) + 1 :]
        if not field_.picks_mode:
            # An ordinary choice (cloudhsm.policy): an answer like a typed one.
            if self.chosen.get(field_.key) != choice:
                self.chosen[field_.key] = choice
                self.post_message(m.InputsEdited(self.step_id, self._typed()))
            return
        if choice == self.mode:
            return
        # The mode picks which fields apply: what was typed so far goes with it, and the inputs are rebuilt.
        typed = self._typed()
        typed["admin.mode"] = choice
        self.post_message(m.InputsEdited(self.step_id, typed))
        self._show_again(partial(self._rebuild, self.step_id, choice))

    def _show_again(self, show: Callable[[], Awaitable[None]]) -> None:
        """Build the step again in the screen's own worker group: showing another step meanwhile replaces it,
        rather than the two finishing in either order."""
        self.screen.run_worker(show, group="show-step", exclusive=True)

    async def _rebuild(self, step_id: str, mode: str) -> None:
        assert self.view is not None
        await self.show_step(step_id, self.view, mode)
        self.query(".field-choice").first().focus()

    def _show_problem(self, wid: str, problem: str | None) -> None:
        from textual.css.query import NoMatches

        try:
            error, field_input = self.query_one(f"#{wid}-error", Static), self.query_one(f"#{wid}", Input)
        except NoMatches:
            return  # the inputs are being rebuilt for another step or mode: the next redraw shows it
        update_if_changed(error, Text(f"✗ {problem}", style="bold red") if problem else "")
        field_input.set_class(bool(problem), "-invalid")


def _findings_text(step: StepView, view: SessionView) -> Text:
    result = step.result
    text = Text()
    text.append("What the check found\n", style="bold underline")
    if result is None or step.state is StepState.CHECKING:
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
        titles = {s.id: s.title for s in view.steps}
        names = ", ".join(titles.get(b, b) for b in result.blocked_by)
        text.append(f"\nDo this first: {names}.\n", style="bold")
    text.rstrip()
    return text


def _plan_text(step: StepView, practice: bool) -> Text:
    result, plan = step.result, step.plan
    text = Text()
    text.append("The plan\n", style="bold underline")
    if result is None or plan is None or step.state is StepState.CHECKING:
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
            if action.simulation and practice:
                text.append("    Practice account: press m to SIMULATE this console action.\n", style="yellow")
        else:
            text.append("• ", style="bold")
            text.append(action.summary + "\n", style="bold")
            if action.cli:
                text.append(f"    $ {action.cli}\n", style="cyan")
    text.rstrip()
    return text


def _choice_labels(field_: Field) -> list[tuple[str, str]]:
    """(value, label) for each choice, saying what it means."""
    # A radio button's label is one line: the value and the first words; the help above says the rest.
    return [(choice, field_.described(choice).split(" (")[0]) for choice in field_.choices]


_COLOUR = {
    "done": "green",
    "todo": "yellow",
    "needs-you": "magenta",
    "error": "red",
    "checking": "cyan",
}
