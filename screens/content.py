"""Drawing helpers: a Static updated only when its text changes; a renderable rendered once per width."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.measure import Measurement
    from rich.segment import Segment
    from textual.visual import VisualType

_NOTHING = object()


def update_if_changed(widget: Static, content: VisualType) -> None:
    """`widget.update(content)`, skipped when `content` equals what it shows already.

    Every update repaints the widget and lays the screen out again; during a check the
    views are redrawn for each batch of engine events, and most batches leave most texts
    as they were. Texts are compared by their characters and every style (see shown_as).
    """
    key = shown_as(content)
    if widget.__dict__.get("_shown_content", _NOTHING) == key:
        return
    widget._shown_content = key  # type: ignore[attr-defined]
    widget.update(content)


def shown_as(content: object) -> object:
    """What decides how `content` looks: Rich Text's own == leaves out its base style."""
    if isinstance(content, Text):
        return (
            "text",
            content.plain,
            tuple(content.spans),
            str(content.style),
            content.justify,
            content.no_wrap,
            content.overflow,
            content.end,
        )
    return content


class RenderedOnce:
    """A Rich renderable (the step's Markdown guidance) rendered once per width.

    Textual repaints a Static whenever the screen around it is laid out again, and
    rendering Markdown walks its whole document each time (~10 ms for a step's
    guidance); the lines it makes depend only on the width and the console.
    """

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable
        self._lines: dict[tuple[int, int], list[Segment]] = {}

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> list[Segment]:
        key = (id(console), options.max_width)
        segments = self._lines.get(key)
        if segments is None:
            segments = self._lines[key] = list(console.render(self.renderable, options))
        return segments

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        from rich.measure import Measurement

        return Measurement.get(console, options, self.renderable)
