"""Follow-up offers as plain data: what the session proposes to the person, and the answers it takes.

An offer is made by the session at one moment (after connecting, after an apply,
after the check that finds the administrator ready) and waits until the person
answers it. Front ends only show the question and pass the choice back: which
offers exist, when they are made and what each answer does live in the session.
Offers carry no secret: the credentials or password an offer is about stay in the
session's memory, keyed by the offer's key.
"""

from __future__ import annotations

import enum

import msgspec


class OfferKind(str, enum.Enum):
    KEEP_CREDENTIALS = "keep-credentials"  # typed access keys: keep them in the OS keyring?
    KEEP_PASSWORD = "keep-password"  # a console password just shown: keep it until handed over?
    KEPT_PASSWORD = "kept-password"  # a password the keyring keeps: show it, or mark it handed over?
    HANDED_OVER = "handed-over"  # after showing a kept password: was it handed over?
    DELETE_ROOT_KEY = "delete-root-key"  # the administrator exists: delete the root access key in use?


class Choice(msgspec.Struct, frozen=True):
    value: str
    label: str


class Offer(msgspec.Struct, frozen=True):
    kind: OfferKind
    # Unique per offer: answering or withdrawing it goes by this key.
    key: str
    title: str
    question: str
    choices: tuple[Choice, ...]
    # The choice a bare Enter (or Escape) takes: always the one that changes nothing.
    default: str
    # The yes-choice changes something that cannot be undone (deleting a key).
    danger: bool = False
    # An AWS CLI command the yes-choice runs, shown beside the question.
    command: str | None = None

    @property
    def yes(self) -> Choice:
        """The choice that acts (the first); the others leave things as they are."""
        return self.choices[0]

    def choice(self, value: str) -> Choice:
        for choice in self.choices:
            if choice.value == value:
                return choice
        allowed = ", ".join(c.value for c in self.choices)
        raise ValueError(f"{value!r} is not an answer to {self.kind.value}; one of: {allowed}")


class OfferOutcome(msgspec.Struct, frozen=True):
    """What answering an offer did, for the person."""

    lines: tuple[str, ...] = ()
    severity: str = "information"  # information | warning | error
    # A secret to show once on screen (a kept console password), never to log or keep.
    secret: str | None = None
    follow_up: Offer | None = None

    def __repr__(self) -> str:  # never print the secret
        return f"OfferOutcome(lines={self.lines!r}, severity={self.severity!r}, secret={'<hidden>' if self.secret else None})"
