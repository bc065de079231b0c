"""The list of steps, each with its live status; moving the highlight shows a step."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .content import shown_as
from .status import shown

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hsm_setup.session.view import SessionView, StepView

# The list is 26 columns wide: the number, the title, the border and room for a scrollbar.
TITLE_WIDTH = 20


class StepMessage(Message):
    """Something the person did on the step list, about one step."""

    def __init__(self, step_list: StepList, step_id: str) -> None:
        super().__init__()
        self.step_list = step_list
        self.step_id = step_id

    @property
    def control(self) -> StepList:
        return self.step_list


class StepList(ScrollView, can_focus=True):
    """One row a step: its number and title, and its status underneath.

    A list of its own rather than Textual's OptionList: OptionList renders every option
    again whenever one changes and looks its styles up once per line (~0.8 ms an option),
    and a check changes the rows many times. Here a row is rendered only when its text,
    the highlight or the width changes, and each line is served from that.
    """

    COMPONENT_CLASSES = {"step-list--highlighted"}

    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("enter", "choose", "Choose", show=False),
    ]

    class StepHighlighted(StepMessage):
        """The person moved the highlight to a step (keys or mouse)."""

    class StepChosen(StepMessage):
        """Enter on the highlighted step."""

    def __init__(self, **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.step_ids: list[str] = []
        self._prompts: list[Text] = []
        # Where each row starts, in lines; the last entry is the total.
        self._starts: list[int] = [0]
        self.highlighted: int | None = None
        self._rendered: dict[int, list[Strip]] = {}
        # The row styles (plain, highlighted), looked up once per change of the CSS or focus.
        self._row_styles: tuple[Style, Style] | None = None

    # -- what it shows ---------------------------------------------------------------
    def fill(self, view: SessionView) -> None:
        """One row for each of the view's steps; the highlight stays where it was."""
        self.step_ids = [step.id for step in view.steps]
        self._prompts = [_prompt(step) for step in view.steps]
        self._lay_out_rows()
        if not self.step_ids:
            self.highlighted = None
        elif self.highlighted is None or self.highlighted >= len(self.step_ids):
            self.highlighted = 0

    def update_statuses(self, view: SessionView) -> None:
        if [step.id for step in view.steps] != self.step_ids:
            self.fill(view)
            return
        changed = []
        for index, step in enumerate(view.steps):
            prompt = _prompt(step)
            if shown_as(prompt) != shown_as(self._prompts[index]):
                changed.append(index)
                self._prompts[index] = prompt
        if [self._starts[i + 1] - self._starts[i] for i in changed] != [_height(self._prompts[i]) for i in changed]:
            self._lay_out_rows()  # a row is taller or shorter: the rows below it move
            return
        for index in changed:
            self._redraw_row(index)

    def prompt(self, step_id: str) -> Text:
        """The row of a step, as shown."""
        return self._prompts[self.step_ids.index(step_id)]

    @property
    def highlighted_step(self) -> str | None:
        return self.step_ids[self.highlighted] if self.highlighted is not None else None

    def select_step(self, step_id: str) -> None:
        """Highlight a step the app is showing (no message: the app asked for it)."""
        if step_id in self.step_ids:
            self._highlight(self.step_ids.index(step_id))

    # -- moving the highlight --------------------------------------------------------
    def action_cursor_up(self) -> None:
        self._move_to((self.highlighted or 0) - 1)

    def action_cursor_down(self) -> None:
        self._move_to(-1 if self.highlighted is None else self.highlighted + 1)

    def action_first(self) -> None:
        self._move_to(0)

    def action_last(self) -> None:
        self._move_to(len(self.step_ids) - 1)

    def action_page_up(self) -> None:
        self._move_to(self._row_at(max(0, self._starts[self.highlighted or 0] - self.scrollable_content_region.height)))

    def action_page_down(self) -> None:
        line = self._starts[self.highlighted or 0] + self.scrollable_content_region.height
        self._move_to(self._row_at(min(line, self._starts[-1] - 1)))

    def action_choose(self) -> None:
        if self.highlighted_step is not None:
            self.post_message(self.StepChosen(self, self.highlighted_step))

    def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and offset.y + self.scroll_offset.y < self._starts[-1]:
            self._move_to(self._row_at(offset.y + self.scroll_offset.y))

    def _move_to(self, index: int) -> None:
        if not self.step_ids:
            return
        index = max(0, min(index, len(self.step_ids) - 1))
        if index != self.highlighted:
            self._highlight(index)
            self.post_message(self.StepHighlighted(self, self.step_ids[index]))

    def _highlight(self, index: int) -> None:
        before, self.highlighted = self.highlighted, index
        if before != index:
            if before is not None and before < len(self.step_ids):
                self._redraw_row(before)
            self._redraw_row(index)
        self.scroll_to_region(self._row_region(index), animate=False, immediate=True)

    # -- drawing ---------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        line = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        if line >= self._starts[-1]:
            return Strip.blank(width, self._styles()[0])
        index = self._row_at(line)
        strips = self._rendered.get(index)
        if strips is None:
            strips = self._rendered[index] = self._render_row(index, width)
        return strips[line - self._starts[index]]

    def _styles(self) -> tuple[Style, Style]:
        if self._row_styles is None:
            plain = self.rich_style
            self._row_styles = (plain, plain + self.get_component_rich_style("step-list--highlighted"))
        return self._row_styles

    def _render_row(self, index: int, width: int) -> list[Strip]:
        style = self._styles()[index == self.highlighted]
        console = self.app.console
        # Line by line, without Rich's wrapping: the prompt's own line breaks already fit (TITLE_WIDTH).
        return [
            Strip(Segment.apply_style(line.render(console, end=""), style)).crop_extend(0, width, style)
            for line in self._prompts[index].split("\n", allow_blank=True)
        ]

    def _redraw_row(self, index: int) -> None:
        # Only the row's lines are painted again; scrolling repaints the rest.
        self._rendered.pop(index, None)
        self.refresh(self._row_region(index).translate((0, -self.scroll_offset.y)))

    def _lay_out_rows(self) -> None:
        starts = [0]
        for prompt in self._prompts:
            starts.append(starts[-1] + _height(prompt))
        self._starts = starts
        self._rendered.clear()
        self.virtual_size = Size(0, starts[-1])
        self.refresh()

    def _row_at(self, line: int) -> int:
        for index in range(len(self.step_ids)):
            if line < self._starts[index + 1]:
                return index
        return len(self.step_ids) - 1

    def _row_region(self, index: int) -> Region:
        return Region(
            0, self._starts[index], self.scrollable_content_region.width, self._starts[index + 1] - self._starts[index]
        )

    def _on_resize(self, event: events.Resize) -> None:
        self._rendered.clear()

    def notify_style_update(self) -> None:
        # Focus, the theme or the CSS changed the colours: every row is drawn again.
        self._row_styles = None
        self._rendered.clear()
        super().notify_style_update()
        self.refresh()


def _height(prompt: Text) -> int:
    return prompt.plain.count("\n") + 1


def _prompt(step: StepView) -> Text:
    look = shown(step.state)
    text = Text()
    lines = textwrap.wrap(step.title, TITLE_WIDTH) or [""]
    text.append(f"{step.number}. " + "\n   ".join(lines) + "\n", style="bold")
    text.append(f"   {look.icon} {look.label}", style=_STYLES.get(look.css, ""))
    return text


# Colours for statuses; under NO_COLOR Textual drops them and the icon and word remain.
_STYLES = {
    "done": "green",
    "todo": "yellow",
    "needs-you": "bold magenta",
    "blocked": "dim",
    "error": "bold red",
    "checking": "italic cyan",
    "skipped": "dim italic",
    "waiting": "dim",
}
