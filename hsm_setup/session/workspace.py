"""Opening an account: the connection, the clients, the practice account, saved state, the engine.

Every front end opens a Workspace the same way, so the headless commands, the
plain prompts and the Textual wizard see the same account the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import msgspec

from hsm_setup.answers.values import Answers, defaults
from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.connection import Connection
from hsm_setup.aws.identity import Identity
from hsm_setup.engine.runner import Engine, EventHandler
from hsm_setup.errors import HsmSetupError
from hsm_setup.session.practice import PracticeAccount, StartPractice
from hsm_setup.state.account import AccountState


class Workspace(msgspec.Struct):
    connection: Connection
    aws: AwsSession
    engine: Engine
    practice: PracticeAccount | None = None  # set when running on the practice account
    state: AccountState | None = None
    answers_from_file: bool = False
    closers: list[Callable[[], None]] = msgspec.field(default_factory=list)

    @property
    def identity(self) -> Identity:
        return self.engine.identity()

    @property
    def answers(self) -> Answers:
        return self.engine.answers

    def set_answers(self, answers: Answers, *, save: bool = True) -> None:
        self.engine.answers = answers
        if save and self.state is not None:
            self.state.save_answers(answers.to_flat())

    def load_state(self) -> AccountState:
        """The saved state of the account the credentials belong to (calls STS once)."""
        if self.state is None:
            self.state = AccountState(self.identity.account_id, sandbox=self.connection.sandbox)
            self.engine.state = self.state
            if not self.answers_from_file and self.state.answers:
                # Saved answers were validated when saved; validate again in case the file was edited.
                saved = Answers(self.state.answers)
                if not saved.problems():
                    self.engine.answers = saved
        return self.state

    def close(self) -> None:
        for closer in reversed(self.closers):
            closer()
        self.closers.clear()


def open_workspace(
    connection: Connection,
    *,
    answers: Answers | None = None,
    scenario: str = "fresh",
    on_event: EventHandler | None = None,
    sleep: Callable[[float], None] | None = None,
    practice: PracticeAccount | None = None,
    start_practice: StartPractice | None = None,
) -> Workspace:
    """Start the practice account if asked, make the clients, and build the engine.

    `practice` is an already-started practice account to use (it is reset to
    `scenario`; whoever started it stops it): starting one takes seconds, so a test
    suite shares one across many workspaces. Otherwise `start_practice` starts one
    (the program's entry points hand in the sandbox's; the core never imports it).

    No AWS call is made here; the first one is sts GetCallerIdentity when the
    front end asks who it is talking to.
    """
    closers: list[Callable[[], None]] = []
    if not connection.sandbox:
        practice = None
    elif practice is not None:
        practice.reset(scenario)
    elif start_practice is None:
        raise HsmSetupError(
            "This program cannot start the practice account.",
            "Run `hsm-setup --sandbox` (the installed program), or `hsm-setup sandbox serve` and point --endpoint-url at it.",
        )
    else:
        practice = start_practice(scenario)
        closers.append(practice.stop)
    if practice is not None:
        connection = replace(connection, **practice.connection_overrides(), profile=None)
    aws = AwsSession(connection)
    chosen = answers or defaults()
    if answers is None and connection.region and "region" not in chosen.values:
        # No answers file: Identity Center's Region follows --region / AWS_REGION.
        chosen = chosen.replace({"region": connection.region})
    engine = Engine(aws, chosen, sandbox=connection.sandbox, on_event=on_event, sleep=sleep)
    return Workspace(connection, aws, engine, practice=practice, answers_from_file=answers is not None, closers=closers)
