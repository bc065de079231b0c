"""What a session tells its front ends, from whichever thread made the change.

A front end with an event loop hands these to its own thread before touching the
screen (Textual: post_message); plain prompts print them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:  # pragma: no cover - typing only; the wizard imports these events before its first frame
    from hsm_setup.engine.events import Event
    from hsm_setup.session.offers import Offer


class SessionEvent(msgspec.Struct, frozen=True):
    """Base of every session event."""


class ViewChanged(SessionEvent, frozen=True):
    """Something a view shows changed: take a new `Session.view()`."""


class OfferMade(SessionEvent, frozen=True):
    """The session proposes something; the person's answer goes to `Session.answer`."""

    offer: Offer


class Notice(SessionEvent, frozen=True):
    """Something to tell the person that needs no answer."""

    text: str
    severity: str = "information"  # information | warning | error
    title: str = ""


class EngineEventSeen(SessionEvent, frozen=True):
    """An engine event (an action started or finished, a progress line), for front ends that print apply progress."""

    event: Event
