"""Messages of the wizard, typed: from worker threads to the app, and from widgets to the app.

Workers and the session's listeners run on other threads: they only post messages
(post_message is thread-safe). Widgets post what the person asked for; the session
controller acts on it. Nothing here carries a secret.

Plain classes with an __init__, as Textual's own messages are, not dataclasses: this
module loads before the first frame, and each dataclass costs about 0.6 ms to build.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message

from hsm_setup.session.view import Capability, Handoff

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hsm_setup.aws.connection import Connection
    from hsm_setup.aws.signin.profiles import ProfileList
    from hsm_setup.engine.preflight import Preflight
    from hsm_setup.engine.runner import ApplyReport
    from hsm_setup.secrets.store import SavedEntry, StoredCredentials
    from hsm_setup.session.events import SessionEvent
    from hsm_setup.session.offers import Offer, OfferOutcome
    from hsm_setup.session.session import HandoffResult
    from hsm_setup.session.sign_in import SignInPage, SsoSignIn, SsoSignInOffer


# -- from worker threads --------------------------------------------------------------------
class SessionEventArrived(Message):
    """Something the session said, from whichever thread said it."""

    def __init__(self, event: SessionEvent) -> None:
        super().__init__()
        self.event = event


class Connected(Message):
    """The session is open on an account: the caller is known."""


class ChecksFinished(Message):
    """A check (of every step, or some) finished and its results are in the session."""

    def __init__(self, steps: frozenset[str], first: bool = False) -> None:
        super().__init__()
        self.steps = steps
        self.first = first


class ApplyFinished(Message):
    def __init__(self, step_id: str, report: ApplyReport) -> None:
        super().__init__()
        self.step_id = step_id
        self.report = report


class PreflightFinished(Message):
    """IAM's answer on whether the caller may make a step's planned changes: the confirmation comes next."""

    def __init__(self, step_id: str, verdict: Preflight) -> None:
        super().__init__()
        self.step_id = step_id
        self.verdict = verdict


class SimulationFinished(Message):
    def __init__(self, step_id: str, what: str) -> None:
        super().__init__()
        self.step_id = step_id
        self.what = what


class OfferAnswered(Message):
    def __init__(self, offer: Offer, outcome: OfferOutcome) -> None:
        super().__init__()
        self.offer = offer
        self.outcome = outcome


class HandoffFinished(Message):
    def __init__(self, result: HandoffResult) -> None:
        super().__init__()
        self.result = result


class ProfilesLoaded(Message):
    """The AWS profiles, each with its kind and why it cannot work, and the accounts whose
    credentials the OS keyring keeps (no secret)."""

    def __init__(self, profiles: ProfileList, saved: list[SavedEntry]) -> None:
        super().__init__()
        self.profiles = profiles
        self.saved = saved


class SsoSignInOffered(Message):
    """Connecting needs an IAM Identity Center sign-in first (found before any call to AWS)."""

    def __init__(self, offer: SsoSignInOffer, typed: StoredCredentials | None = None) -> None:
        super().__init__()
        self.offer = offer
        self.typed = typed


class SignInPageShown(Message):
    """The sign-in started: the page and code to show while it waits for the approval."""

    def __init__(self, run: SsoSignIn, page: SignInPage) -> None:
        super().__init__()
        self.run = run
        self.page = page


class SignInFinished(Message):
    """The sign-in ended: `signed_in` says until when, else `problem` says why not (None: cancelled)."""

    def __init__(self, run: SsoSignIn, signed_in: str | None = None, problem: str | None = None) -> None:
        super().__init__()
        self.run = run
        self.signed_in = signed_in
        self.problem = problem


class SignInSimulated(Message):
    """The practice account's stand-in for the browser approved the request (or could not)."""

    def __init__(self, run: SsoSignIn, text: str) -> None:
        super().__init__()
        self.run = run
        self.text = text


class SavedCredentialsLoaded(Message):
    """Credentials read back from the OS keyring; `problem` says why there are none."""

    def __init__(self, account_id: str, credentials: StoredCredentials | None, problem: str | None) -> None:
        super().__init__()
        self.account_id = account_id
        self.credentials = credentials
        self.problem = problem


# -- from widgets: what the person asked for -----------------------------------------------------
class SignInChoice(str, enum.Enum):
    START = "start"
    SIMULATE = "simulate"  # the practice account only
    CANCEL = "cancel"


class SignInAsked(Message):
    """In the IAM Identity Center sign-in dialog: start, simulate the approval, or cancel."""

    def __init__(self, choice: SignInChoice) -> None:
        super().__init__()
        self.choice = choice


class ConnectRequested(Message):
    def __init__(self, connection: Connection, typed: StoredCredentials | None = None) -> None:
        super().__init__()
        self.connection = connection
        # Credentials typed on the connect screen, offered for the OS keyring once STS accepted them.
        self.typed = typed


class StepRequested(Message):
    """Show this step (the step list, the palette, next and back)."""

    def __init__(self, step_id: str) -> None:
        super().__init__()
        self.step_id = step_id


class SummaryRequested(Message):
    """Show the summary (after the last step, or the key u)."""


class StepActionRequested(Message):
    """Check, apply, simulate, open the console for, or skip the step shown."""

    def __init__(self, step_id: str, capability: Capability) -> None:
        super().__init__()
        self.step_id = step_id
        self.capability = capability


class InputsEdited(Message):
    """The inputs of a step as typed now (text, or a list for list fields), valid or not."""

    def __init__(self, step_id: str, typed: dict[str, object]) -> None:
        super().__init__()
        self.step_id = step_id
        self.typed = typed


class AccountsWanted(Message):
    """A step with target accounts is shown: the organization is read (once) to choose them from."""


class AccountsChoiceRequested(Message):
    """A target accounts field (admin.accounts, cloudhsm.accounts) asks for the organization's picker;
    `chosen` is called with what was picked (not when the picker is cancelled)."""

    def __init__(self, key: str, current: list[str], chosen: Callable[[list[str]], None]) -> None:
        super().__init__()
        self.key = key
        self.current = current
        self.chosen = chosen


class HandoffRequested(Message):
    def __init__(self, handoff: Handoff) -> None:
        super().__init__()
        self.handoff = handoff
