"""Choosing target accounts from the organization: a searchable tree of OUs and accounts, several at a time.

The picker (hsm_setup.organizations.choices) comes from the core; this screen only draws it. It dismisses with
the chosen values ("this" for the connected account) or None when cancelled.
"""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, SelectionList, Static
from textual.widgets.selection_list import Selection

from hsm_setup.organizations.choices import AccountChoice, AccountPicker

# Drawn at once; a search narrows the rest. Keeps each keystroke's redraw small with thousands of accounts.
SHOWN_AT_MOST = 40


class AccountPickerScreen(ModalScreen[list[str] | None]):
    DEFAULT_CSS = """
    AccountPickerScreen { align: center middle; }
    AccountPickerScreen > Vertical { width: 96%; height: 96%; border: round $accent; padding: 0 1; }
    AccountPickerScreen SelectionList { height: 1fr; }
    AccountPickerScreen #picker-summary { height: auto; color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("ctrl+s", "done", "Done", id="picker.done"),
    ]

    def __init__(self, picker: AccountPicker, title: str, current: list[str]) -> None:
        super().__init__()
        self.picker = picker
        self.title_text = title
        this = picker.caller.account_id
        self.selected: set[str] = {this if value == "this" else value for value in current}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{self.title_text}[/b]: space chooses; Ctrl+S when done; Escape cancels")
            yield Input(placeholder="Search accounts and OUs by name or id", id="picker-search")
            yield SelectionList[str](id="picker-list")
            yield Static("", id="picker-summary")

    def on_mount(self) -> None:
        self._show(self.picker.choices)
        self._summarize()
        self.query_one("#picker-search", Input).focus()

    def _label(self, choice: AccountChoice) -> str:
        this = " (this account)" if choice.value == self.picker.caller.account_id else ""
        return choice.label + this

    def _show(self, choices: tuple[AccountChoice, ...] | list[AccountChoice]) -> None:
        listed = self.query_one("#picker-list", SelectionList)
        listed.clear_options()
        shown = choices[:SHOWN_AT_MOST]
        listed.add_options(
            [
                # Names come from the organization: shown as typed, never read as markup ("[suspended]").
                Selection(escape(self._label(c)), c.value, c.value in self.selected, disabled=c.disabled is not None)
                for c in shown
            ]
        )
        if shown:
            listed.highlighted = 0  # space chooses the first match at once
        more = len(choices) - len(shown)
        self._more = f"; {more} more match: type to narrow" if more > 0 else ""

    def _summarize(self) -> None:
        summary = self.picker.summary(sorted(self.selected)) if self.selected else "Nothing chosen"
        self.query_one("#picker-summary", Static).update(summary + self._more)

    @on(Input.Changed, "#picker-search")
    def search(self, event: Input.Changed) -> None:
        self._show(self.picker.matching(event.value))
        self._summarize()

    @on(SelectionList.SelectionToggled, "#picker-list")
    def toggled(self, event: SelectionList.SelectionToggled[str]) -> None:
        value = event.selection.value
        if value in self.selected:
            self.selected.discard(value)
        else:
            self.selected.add(value)
        self._summarize()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_done(self) -> None:
        if not self.selected:
            self.notify("Choose at least one account, OU or the root.", severity="warning")
            return
        this = self.picker.caller.account_id
        order = [c.value for c in self.picker.choices if c.value in self.selected]
        self.dismiss(["this" if value == this else value for value in order])
