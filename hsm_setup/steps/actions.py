"""What a plan is made of: actions (an API call or a person's console step) and their outcomes.

Here rather than in hsm_setup.model because an action's `run` takes the step context,
which itself needs the model's values.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

import msgspec

from hsm_setup.aws.script_call import Change
from hsm_setup.json_types import JsonObject
from hsm_setup.steps.context import StepContext


class ActionKind(str, enum.Enum):
    API = "api"  # the tool makes the change through boto3
    MANUAL = "manual"  # a person makes the change in the AWS console


class Action(msgspec.Struct):
    """One change a plan proposes.

    An API action carries `run`, an idempotent function: an existing resource is
    adopted rather than duplicated, so re-running after a crash is safe. `cli` is
    the equivalent AWS CLI command shown to the user before anything runs.

    A manual action carries the console link and the steps a person follows; the
    engine never runs it, front ends watch the check until it turns done.
    `simulation` names the practice account's stand-in for it (sandbox only).
    """

    step_id: str
    summary: str
    kind: ActionKind
    cli: str | None = None
    run: Callable[[StepContext], JsonObject | None] | None = None
    console_url: str | None = None
    instructions: list[str] = msgspec.field(default_factory=list)
    simulation: str | None = None
    # A stable key for the journal, so a resumed apply can tell what already ran.
    key: str = ""
    # The IAM actions this action calls, for the least-privilege documentation.
    permissions: tuple[str, ...] = ()
    # Set when the action changes something that existed before and that hsm-setup did not create:
    # what it is, in words. Apply records its previous state first, and teardown puts that back.
    changes_existing: str = ""
    # The change to a policy document as a unified diff (lines), where the action changes one.
    diff: tuple[str, ...] = ()
    # The call as data, for `plan --format sh`: how a script captures what it learns and skips what is done.
    script: Change | None = None
    # Set on a step's last action when it changes only accounts other than the connected one (a fan-out to the
    # step's other target accounts): apply runs it beside the steps after it, which neither read nor change those.
    beside_later_steps: bool = False

    @property
    def is_manual(self) -> bool:
        return self.kind is ActionKind.MANUAL

    def to_json(self) -> JsonObject:
        data: JsonObject = {
            "step": self.step_id,
            "kind": self.kind.value,
            "summary": self.summary,
        }
        if self.cli:
            data["cli"] = self.cli
        if self.console_url:
            data["console_url"] = self.console_url
        if self.instructions:
            data["instructions"] = list(self.instructions)
        if self.changes_existing:
            data["changes_existing"] = self.changes_existing
        if self.diff:
            data["diff"] = list(self.diff)
        return data

    def adopting(self, what: str, diff: tuple[str, ...] = ()) -> Action:
        """This action, marked as a change to `what`, which existed before hsm-setup."""
        self.changes_existing = what
        self.diff = diff
        return self


class ActionOutcome(msgspec.Struct):
    """What happened when apply ran one action."""

    action: Action
    ok: bool
    message: str = ""
    outputs: JsonObject = msgspec.field(default_factory=dict)
    # When it failed: the kind of problem (errors.Problem.kind).
    problem_kind: str | None = None
