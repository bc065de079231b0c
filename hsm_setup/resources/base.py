"""What every kind of resource hsm-setup creates declares, once.

A kind is a frozen dataclass: an instance is the record saved in the account's state
("created"), and the class says everything else about the kind: how it reads in a
report row, its CloudFormation type, how to find it (does it still exist), how to
undo it (remove what was created, or put back what was changed), and that undoing
as AWS CLI commands.

The saved format is the one hsm-setup has always written, one JSON object per note:
{"kind": ..., "id": ..., "time": ..., plus the record's other fields under their own
names}, so notes written by an earlier version are read (and torn down) as they are.

A kind may also describe a change to something hsm-setup adopted rather than created
(`undoes = "changed"`): its record keeps what was there before (the previous default
policy version, a previous inline policy...), and `undo` puts that back. Teardown
treats both alike; iam_policies.IamPolicyVersion is the first such kind.
"""

from __future__ import annotations

import functools
from abc import abstractmethod
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol, TypedDict, TypeVar

import msgspec

from hsm_setup.aws.clients import AwsSession
from hsm_setup.errors import is_code

if TYPE_CHECKING:
    from mypy_boto3_iam.client import IAMClient


class Tag(TypedDict):
    """A tag as AWS APIs take it (the stubs' TagTypeDef has these two keys)."""

    Key: str
    Value: str


# Every resource hsm-setup creates carries this tag where AWS allows tags.
MANAGED_BY_TAG: Tag = {"Key": "managed-by", "Value": "hsm-setup"}
# What AWS answers for something that is not there (any more).
NOT_FOUND = ("ResourceNotFoundException", "NoSuchEntity")
# Keys the state adds to every note; not part of a record.
NOTE_KEYS = ("kind", "id", "time")

Sleep = Callable[[float], None]
# "created": undoing removes it. "changed": hsm-setup changed something it did not create, and
# undoing puts back what the record says was there before (the previous default policy version...).
Undoes = Literal["created", "changed"]
RecordT = TypeVar("RecordT", bound="Record")


class IamSource(Protocol):
    """Where an IAM record gets its client: the connected account's session (AwsSession), or a member account's
    clients through the member role (organizations.member_access.MemberClients), so one undoing serves both."""

    def client(self, service: Literal["iam"], region: str | None = None) -> IAMClient: ...


class UnreadableNote(ValueError):
    """A saved note teardown cannot act on: an unknown kind, or a field missing."""


class ResourceRow(msgspec.Struct, frozen=True):
    """One thing that exists, as a report row and a summary line show it."""

    step_id: str
    kind: str
    # The kind in words ("Permission set"), the report's "What" column.
    what: str
    name: str
    # An ARN where AWS gives one, else the id.
    identifier: str
    created_by_hsm_setup: bool = False

    @property
    def shown(self) -> str:
        return self.identifier if self.name in ("", self.identifier) else f"{self.name} ({self.identifier})"


class Record(msgspec.Struct, frozen=True, kw_only=True):
    """A note that hsm-setup created (or changed) one resource; subclasses declare one kind each.

    Fields are named as the saved note's keys. `ID_FIELD` names the field saved as the
    note's "id"; without one the id is made from the fields (`ident`) and every field is
    saved under its own name.
    """

    kind: ClassVar[str]
    # How the kind reads in a report row or a summary line ("Permission set").
    what: ClassVar[str]
    # Its CloudFormation resource type, where one exists (the template reference lists them:
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-template-resource-type-ref.html).
    cfn_type: ClassVar[str | None] = None
    undoes: ClassVar[Undoes] = "created"
    ID_FIELD: ClassVar[str | None] = None
    # A part of another resource that goes when that resource is deleted: the parent's kind.
    part_of: ClassVar[str | None] = None
    # Set on kinds teardown leaves in place unless asked: why, as the plan says it.
    kept_unless_asked: ClassVar[str | None] = None
    # Set on kinds only a person can undo (an organization): why; teardown lists them and leaves them.
    left_to_a_person: ClassVar[str | None] = None

    # -- identity and the saved note ---------------------------------------------------
    @property
    def ident(self) -> str:
        """Unique within the kind: an ARN, an id, or a few of them joined."""
        if self.ID_FIELD is None:  # pragma: no cover - kinds without an id field define ident
            raise NotImplementedError(type(self).__name__)
        return str(getattr(self, self.ID_FIELD))

    def parent_ident(self) -> str | None:
        """For a part (`part_of`): the id of the resource it belongs to."""
        return None

    def details(self) -> dict[str, str]:
        """What the note saves besides kind, id and time."""
        saved = {name: getattr(self, name) for name in self.__struct_fields__ if name != self.ID_FIELD}
        return {key: str(value) for key, value in saved.items() if value is not None}

    @classmethod
    def from_note(cls: type[RecordT], note: Mapping[str, object]) -> RecordT:
        """The record a saved note describes; UnreadableNote when a field it needs is missing."""
        values: dict[str, str | None] = {}
        for name, required in _note_fields(cls):
            key = "id" if name == cls.ID_FIELD else name
            value = note.get(key)
            if value is None or value == "":
                if required:
                    raise UnreadableNote(
                        f"{cls.kind} {note.get('id', '')} (its saved note has no {key}, so teardown cannot remove it; remove it in the console)."
                    )
                continue
            values[name] = str(value)
        return cls(**values)

    # -- rows ---------------------------------------------------------------------------
    @classmethod
    def row_ident(cls, name: str, identifier: str) -> str:
        """The id a note of this kind has for a resource a check found (to tell whether hsm-setup made it)."""
        return identifier

    @classmethod
    def row(cls, step_id: str, name: str, identifier: str, created: set[tuple[str, str]]) -> ResourceRow:
        made = (cls.kind, cls.row_ident(name, identifier)) in created
        return ResourceRow(step_id, cls.kind, cls.what, name, identifier, made)

    # -- finding and undoing ------------------------------------------------------------
    @abstractmethod
    def exists(self, aws: AwsSession) -> bool:
        """Whether it is still there (for a change: whether the change is still in place)."""

    @abstractmethod
    def undo(self, aws: AwsSession, sleep: Sleep) -> str:
        """Remove it (or put back what it replaced); "already gone" when there is nothing left to do."""

    @abstractmethod
    def undo_summary(self) -> str:
        """The undoing in words, as the teardown plan shows it."""

    @abstractmethod
    def undo_commands(self) -> list[str]:
        """The undoing as AWS CLI commands."""


@functools.cache
def _note_fields(kind: type[Record]) -> tuple[tuple[str, bool], ...]:
    """A kind's fields (name, required), read once: msgspec evaluates the annotations on every call, about half a
    millisecond a kind, which reading thousands of notes (a member account's each) would pay every time."""
    return tuple((f.name, f.required) for f in msgspec.structs.fields(kind))


def gone(exc: BaseException) -> bool:
    return is_code(exc, *NOT_FOUND)


def unless_gone(remove: Callable[[], object], result: str) -> str:
    """Run one removal; a thing already gone counts as done, so a re-run finishes the job."""
    try:
        remove()
    except Exception as exc:
        if gone(exc):
            return "already gone"
        raise
    return result


def found(read: Callable[[], object]) -> bool:
    """True when the read succeeds, False when AWS says the thing is not there."""
    try:
        read()
    except Exception as exc:
        if gone(exc):
            return False
        raise
    return True
