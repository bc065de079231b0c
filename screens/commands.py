"""The command palette's wizard commands: check everything, open the console, jump to a step."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from hsm_setup.session.view import Capability, Handoff

from . import messages as m
from .status import shown

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .app import HsmSetupApp


class WizardCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        app = cast("HsmSetupApp", self.app)  # the provider is the wizard's own (HsmSetupApp.COMMANDS)
        view = app.view()
        if not view.connected:
            return
        yield "Check all steps again", "Run every step's check against the account", app.action_check_all
        step = view.step(app.current_step)
        if step is not None and step.allows(Capability.CONSOLE):
            request = m.StepActionRequested(step.id, Capability.CONSOLE)
            yield (
                "Open the AWS console for this step",
                "Opens the console page and copies the link",
                lambda: app.post_message(request),
            )
        if step is not None and step.allows(Capability.SIMULATE):
            simulate = m.StepActionRequested(step.id, Capability.SIMULATE)
            yield (
                "Simulate this console action (practice account)",
                "Makes the console change in the practice account",
                lambda: app.post_message(simulate),
            )
        yield "Show the summary", "Every step's status and what was created", app.show_summary
        if Handoff.REPORT in view.handoffs:
            yield (
                "Save a report",
                "Every step's status and what exists, to a file (no secret in it)",
                lambda: app.post_message(m.HandoffRequested(Handoff.REPORT)),
            )
        if Handoff.SSO_PROFILE in view.handoffs:
            yield (
                "Write an AWS CLI profile for the administrator",
                "Signs in through the access portal with aws sso login",
                lambda: app.post_message(m.HandoffRequested(Handoff.SSO_PROFILE)),
            )
        for each in view.steps:
            yield (
                f"Go to step {each.number}: {each.title}",
                shown(each.state).label,
                (lambda sid=each.id: app.show_step(sid)),
            )

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
