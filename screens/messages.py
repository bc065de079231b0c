"""Messages between the wizard's screens and the app that owns the workspace.

Screens send intent (check this step, apply it, simulate a console action); the
app runs the work in thread workers and answers with the results. Every message
that a worker thread sends goes through post_message, which is thread-safe.
"""

from __future__ import annotations

# Message defines __post_init__, so a dataclass message is initialised by its generated __init__.
from dataclasses import dataclass
from typing import Any

from textual.message import Message


# -- from worker threads to the app -------------------------------------------------
class EngineEvent(Message):
    """An engine event (StepChecked, ActionStarted, ActionFinished, Progress) handed to the UI thread."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


class Connected(Message):
    """The workspace is open and we know whose account it is."""

    def __init__(self, workspace: Any, identity: Any, alias: str | None) -> None:
        super().__init__()
        self.workspace = workspace
        self.identity = identity
        self.alias = alias


class ChecksFinished(Message):
    """A check (all steps or some) finished; `results` and `plans` are complete for every step."""

    def __init__(
        self,
        results: dict[str, Any],
        plans: dict[str, list[Any]],
        checked: set[str],
        first: bool = False,
        simulated: str | None = None,
    ) -> None:
        super().__init__()
        self.simulated = simulated
        self.results = results
        self.plans = plans
        self.checked = checked
        self.first = first


class ApplyFinished(Message):
    def __init__(self, step_id: str, report: Any, plans: dict[str, list[Any]]) -> None:
        super().__init__()
        self.step_id = step_id
        self.report = report
        self.plans = plans


class ProfilesLoaded(Message):
    """The AWS profiles, and the accounts whose credentials the OS keyring keeps (no secret)."""

    def __init__(self, profiles: list[str], saved: list[Any] | None = None) -> None:
        super().__init__()
        self.profiles = profiles
        self.saved = saved or []


class SavedCredentialsLoaded(Message):
    """Credentials read back from the OS keyring; `problem` says why there are none."""

    def __init__(self, account_id: str, credentials: Any, problem: str | None) -> None:
        super().__init__()
        self.account_id = account_id
        self.credentials = credentials
        self.problem = problem


class KeyringChecked(Message):
    """Whether the OS keyring can keep the credentials typed in (`problem` None) or why not."""

    def __init__(self, problem: str | None) -> None:
        super().__init__()
        self.problem = problem


class PasswordPending(Message):
    """A console password the OS keyring keeps until its user has it (names only, never the password)."""

    def __init__(self, account_id: str, user_name: str) -> None:
        super().__init__()
        self.account_id = account_id
        self.user_name = user_name


class RootKeyOffered(Message):
    """The root access key in use may be deleted now (credentials.RootKeyOffer), or None."""

    def __init__(self, offer: Any) -> None:
        super().__init__()
        self.offer = offer


class HandoffDone(Message):
    """A summary hand-off (report, SSO profile, root key) finished: lines to show, and what it left."""

    def __init__(self, what: str, lines: list[str], *, profile: str | None = None, conflict: Any = None, severity: str = "information") -> None:
        super().__init__()
        self.what = what
        self.lines = lines
        self.profile = profile
        self.conflict = conflict
        self.severity = severity


# -- from screens to the app ----------------------------------------------------------
@dataclass
class ShowStep(Message):
    step_id: str


@dataclass
class AnswersEdited(Message):
    """A step's inputs are all valid: save them and check that step again."""

    step_id: str
    values: dict[str, Any]
