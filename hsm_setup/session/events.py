"""What a session tells its front ends, from whichever thread made the change.

A front end with an event loop hands these to its own thread before touching the
screen (Textual: post_message); plain prompts print them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only; the wizard imports these events before its first frame
    from hsm_setup.engine.events import Event
    from hsm_setup.session.offers import Offer


class SessionEvent:
    """Base of every session event."""


@dataclass(frozen=True)
class ViewChanged(SessionEvent):
    """Something a view shows changed: take a new `Session.view()`."""


@dataclass(frozen=True)
class OfferMade(SessionEvent):
    """The session proposes something; the person's answer goes to `Session.answer`."""

    offer: Offer


@dataclass(frozen=True)
class Notice(SessionEvent):
    """Something to tell the person that needs no answer."""

    text: str
    severity: str = "information"  # information | warning | error
    title: str = ""


@dataclass(frozen=True)
class EngineEventSeen(SessionEvent):
    """An engine event (an action started or finished, a progress line), for front ends that print apply progress."""

    event: Event
