"""The command palette's wizard commands: check everything, open the console, jump to a step."""

from __future__ import annotations

from typing import Any, Callable, Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider


class WizardCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        app: Any = self.app
        if app.ws is None:
            return
        yield "Check all steps again", "Run every step's check against the account", app.check_all
        step_id = app.current_step
        if app.console_url(step_id):
            yield "Open the AWS console for this step", "Opens the console page and copies the link", lambda: app.open_console(step_id)
        if app.simulation_for(step_id) is not None:
            yield "Simulate this console action (practice account)", "Makes the console change in the practice account", lambda: app.request_simulation(step_id)
        yield "Show the summary", "Every step's status and what was created", app.show_summary
        yield "Save a report", "Every step's status and what exists, to a file (no secret in it)", app.request_report
        yield "Write an AWS CLI profile for the administrator", "Signs in through the access portal with aws sso login", app.request_sso_profile
        for number, step in enumerate(app.steps, 1):
            yield f"Go to step {number}: {step.title}", app.shown(step.id).label, (lambda sid=step.id: app.show_step(sid))

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
