"""Messages of the wizard, typed: from worker threads to the app, and from widgets to the app.

Workers and the session's listeners run on other threads: they only post messages
(post_message is thread-safe). Widgets post what the person asked for; the session
controller acts on it. Nothing here carries a secret.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
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
@dataclass
class SessionEventArrived(Message):
    """Something the session said, from whichever thread said it."""

    event: SessionEvent


@dataclass
class Connected(Message):
    """The session is open on an account: the caller is known."""


@dataclass
class ChecksFinished(Message):
    """A check (of every step, or some) finished and its results are in the session."""

    steps: frozenset[str]
    first: bool = False


@dataclass
class ApplyFinished(Message):
    step_id: str
    report: ApplyReport


@dataclass
class PreflightFinished(Message):
    """IAM's answer on whether the caller may make a step's planned changes: the confirmation comes next."""

    step_id: str
    verdict: Preflight


@dataclass
class SimulationFinished(Message):
    step_id: str
    what: str


@dataclass
class OfferAnswered(Message):
    offer: Offer
    outcome: OfferOutcome


@dataclass
class HandoffFinished(Message):
    result: HandoffResult


@dataclass
class ProfilesLoaded(Message):
    """The AWS profiles, each with its kind and why it cannot work, and the accounts whose
    credentials the OS keyring keeps (no secret)."""

    profiles: ProfileList
    saved: list[SavedEntry]


@dataclass
class SsoSignInOffered(Message):
    """Connecting needs an IAM Identity Center sign-in first (found before any call to AWS)."""

    offer: SsoSignInOffer
    typed: StoredCredentials | None = None


@dataclass
class SignInPageShown(Message):
    """The sign-in started: the page and code to show while it waits for the approval."""

    run: SsoSignIn
    page: SignInPage


@dataclass
class SignInFinished(Message):
    """The sign-in ended: `signed_in` says until when, else `problem` says why not (None: cancelled)."""

    run: SsoSignIn
    signed_in: str | None = None
    problem: str | None = None


@dataclass
class SignInSimulated(Message):
    """The practice account's stand-in for the browser approved the request (or could not)."""

    run: SsoSignIn
    text: str


@dataclass
class SavedCredentialsLoaded(Message):
    """Credentials read back from the OS keyring; `problem` says why there are none."""

    account_id: str
    credentials: StoredCredentials | None
    problem: str | None


# -- from widgets: what the person asked for -----------------------------------------------------
class SignInChoice(str, enum.Enum):
    START = "start"
    SIMULATE = "simulate"  # the practice account only
    CANCEL = "cancel"


@dataclass
class SignInAsked(Message):
    """In the IAM Identity Center sign-in dialog: start, simulate the approval, or cancel."""

    choice: SignInChoice


@dataclass
class ConnectRequested(Message):
    connection: Connection
    # Credentials typed on the connect screen, offered for the OS keyring once STS accepted them.
    typed: StoredCredentials | None = None


@dataclass
class StepRequested(Message):
    """Show this step (the step list, the palette, next and back)."""

    step_id: str


@dataclass
class SummaryRequested(Message):
    """Show the summary (after the last step, or the key u)."""


@dataclass
class StepActionRequested(Message):
    """Check, apply, simulate, open the console for, or skip the step shown."""

    step_id: str
    capability: Capability


@dataclass
class InputsEdited(Message):
    """The inputs of a step as typed now (text, or a list for list fields), valid or not."""

    step_id: str
    typed: dict[str, object]


@dataclass
class HandoffRequested(Message):
    handoff: Handoff
