"""What every screen that shows the session has in common: it is given the view, and draws it."""

from __future__ import annotations

from textual.screen import Screen

from hsm_setup.session.view import SessionView


class SessionScreen(Screen[None]):
    """A screen drawn from the session's view; the app hands it every new one."""

    def __init__(self, view: SessionView) -> None:
        super().__init__()
        self.view = view

    def show_view(self, view: SessionView, *, rebuild: bool = False) -> None:
        self.view = view
