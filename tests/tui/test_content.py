"""Drawing helpers: text updates that skip what is unchanged, guidance rendered once per width."""

from __future__ import annotations

import io

from rich.console import Console
from rich.markdown import Markdown
from rich.text import Text

from hsm_setup_screens.content import RenderedOnce, update_if_changed

GUIDANCE = "# Secure the root user\n\nTurn on **MFA**, then delete the root user's *access keys*.\n\n- one\n- two\n"


class CountingMarkdown(Markdown):
    renders = 0

    def __rich_console__(self, console, options):  # type: ignore[no-untyped-def]
        CountingMarkdown.renders += 1
        yield from super().__rich_console__(console, options)


def _printed(renderable, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system="truecolor", force_terminal=True)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_guidance_rendered_once_looks_exactly_like_the_markdown_at_every_width() -> None:
    for width in (30, 52, 80):
        assert _printed(RenderedOnce(Markdown(GUIDANCE)), width) == _printed(Markdown(GUIDANCE), width)


def test_guidance_is_rendered_again_only_for_a_new_width() -> None:
    CountingMarkdown.renders = 0
    guidance = RenderedOnce(CountingMarkdown(GUIDANCE))
    console = Console(file=io.StringIO(), width=52)
    for _ in range(3):
        list(console.render(guidance, console.options))
    assert CountingMarkdown.renders == 1
    list(console.render(guidance, console.options.update_width(40)))
    assert CountingMarkdown.renders == 2


class FakeStatic:
    def __init__(self) -> None:
        self.updates: list[object] = []

    def update(self, content: object) -> None:
        self.updates.append(content)


def test_a_static_is_updated_only_when_its_text_changes() -> None:
    static = FakeStatic()
    update_if_changed(static, Text("checking", style="cyan"))  # type: ignore[arg-type]
    update_if_changed(static, Text("checking", style="cyan"))  # type: ignore[arg-type]
    update_if_changed(static, Text("checking", style="bold cyan"))  # type: ignore[arg-type]
    update_if_changed(static, "done")  # type: ignore[arg-type]
    update_if_changed(static, "done")  # type: ignore[arg-type]
    assert [str(u) for u in static.updates] == ["checking", "checking", "done"]
