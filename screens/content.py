"""Putting text into a Static only when it differs from what the Static shows."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

_NOTHING = object()


def update_if_changed(widget: Static, content: Any) -> None:
    """`widget.update(content)`, skipped when `content` equals what it shows already.

    Every update repaints the widget and lays the screen out again; during a check the
    views are redrawn on each engine event, and most events leave most texts as they
    were. Rich Text compares by its characters and styles, so an equal text is skipped.
    """
    if widget.__dict__.get("_shown_content", _NOTHING) == content:
        return
    widget._shown_content = content  # type: ignore[attr-defined]
    widget.update(content)
