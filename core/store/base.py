"""The store interface: every read and write of conversations, messages, decisions and events.

The embedded default is :class:`~switchboard.store.sqlite.SQLiteStore`; a PostgreSQL store will
implement the same :class:`Store` protocol. Every method takes the tenant (``force``) explicitly
and every row carries it, so one database can serve several forces without a query ever crossing
between them.

Records are immutable dataclasses; timestamps are aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, Protocol, Sequence, runtime_checkable

from ..errors import SwitchboardError
from ..staff import AuditRecord, OperatorRecord
from ..types import ConversationState, Event, HealthReport


class StoreError(SwitchboardError):
    """A storage operation failed (the database is unreachable, corrupt or full)."""

    code = "store_error"


class StoreConflict(StoreError):
    """An optimistic-concurrency check failed: the conversation changed since it was read."""

    code = "conflict"


class DuplicateClientId(StoreError):
    """A message with this ``client_id`` is already stored for the conversation."""

    code = "duplicate_client_id"


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ConversationRecord:
    """One stored conversation. ``status``, ``queue`` and ``priority`` mirror ``state`` as
    columns so the operator console can query queues without parsing JSON."""

    id: str
    force: str
    site: str
    token_hash: str
    state: ConversationState
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def status(self) -> str:
        return self.state.status.value


@dataclass(frozen=True)
class MessageRecord:
    """One stored message. ``seq`` orders a conversation's messages (assigned by the store).

    ``reply_to`` is the id of the visitor message a bot reply answers; ``author`` names the
    operator for operator messages; ``client_id`` makes visitor sends idempotent.
    """

    id: str
    conversation_id: str
    role: str  # visitor | bot | operator | system
    text: str
    created_at: datetime
    kind: str = "message"
    options: tuple[Mapping[str, str], ...] = ()
    client_id: str | None = None
    reply_to: str | None = None
    author: str | None = None
    seq: int = 0

    def public(self) -> dict[str, Any]:
        """The message as the visitor API v1 shows it."""
        return {
            "id": self.id,
            "role": self.role,
            "kind": self.kind,
            "text": self.text,
            "options": [{"id": str(o["id"]), "label": str(o["label"])} for o in self.options],
            "at": iso(self.created_at),
            **({"client_id": self.client_id} if self.client_id else {}),
        }


@dataclass(frozen=True)
class DecisionRecord:
    """The dispatcher's :class:`~switchboard.types.Decision` for one visitor message, as JSON."""

    conversation_id: str
    message_id: str
    turn: int
    decision: Mapping[str, Any]
    created_at: datetime
    id: int = 0


@dataclass(frozen=True)
class StoredEvent:
    """An :class:`~switchboard.types.Event` with the id the store gave it (ascending)."""

    id: int
    event: Event


@dataclass(frozen=True)
class ConversationUpdate:
    """What :meth:`Store.update_conversation` writes in one transaction."""

    state: ConversationState
    at: datetime
    messages: Sequence[MessageRecord] = ()
    decision: DecisionRecord | None = None
    events: Sequence[Event] = field(default_factory=tuple)


def iso(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` (the API's timestamp format)."""
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@runtime_checkable
class Store(Protocol):
    """Persistence for the conversation service (and, later, the operator console).

    Implementations must be safe to call from several threads. Every method is scoped by the
    ``force`` (tenant) id.
    """

    def migrate(self) -> list[int]:
        """Apply pending schema migrations; return the versions applied now."""

    def close(self) -> None:
        """Release connections."""

    def health(self) -> HealthReport:
        """``ok`` when a trivial query succeeds, ``down`` otherwise."""

    # -- conversations ------------------------------------------------------------------------
    def create_conversation(
        self, *, force: str, conversation: ConversationRecord,
        messages: Sequence[MessageRecord] = (), events: Sequence[Event] = (),
    ) -> list[MessageRecord]:
        """Insert a conversation with its first messages and events atomically; return the
        messages with their ``seq``."""

    def get_conversation(self, *, force: str, conversation_id: str) -> ConversationRecord | None:
        """One conversation, or ``None``."""

    def list_conversations(
        self, *, force: str, status: str | None = None, queue: str | None = None, limit: int = 100,
    ) -> list[ConversationRecord]:
        """Conversations, most urgent first (priority descending, then oldest update first)."""

    def update_conversation(
        self, *, force: str, conversation_id: str, expected_version: int, update: ConversationUpdate,
    ) -> tuple[ConversationRecord, list[MessageRecord]]:
        """Write a new state with messages, decision and events in one transaction.

        :raises StoreConflict: when the stored version is not ``expected_version``.
        :returns: the updated conversation and the inserted messages (with ``seq``).
        """

    # -- messages -----------------------------------------------------------------------------
    def add_message(self, *, force: str, message: MessageRecord) -> MessageRecord:
        """Insert one message (committed on return) and return it with its ``seq``.

        :raises DuplicateClientId: when the conversation already has this ``client_id``.
        """

    def get_message_by_client_id(
        self, *, force: str, conversation_id: str, client_id: str,
    ) -> MessageRecord | None:
        """The message sent with ``client_id``, or ``None``."""

    def list_messages(
        self, *, force: str, conversation_id: str, reply_to: str | None = None, after_seq: int = 0,
    ) -> list[MessageRecord]:
        """Messages in order; only replies to ``reply_to`` when given."""

    # -- decisions and events ------------------------------------------------------------------
    def get_decision(self, *, force: str, message_id: str) -> DecisionRecord | None:
        """The decision for a visitor message, or ``None``."""

    def list_decisions(self, *, force: str, conversation_id: str) -> list[DecisionRecord]:
        """Decisions of a conversation in turn order."""

    def add_events(self, *, force: str, events: Sequence[Event]) -> list[int]:
        """Store events; return their ids."""

    def list_events(
        self, *, force: str, conversation_id: str | None = None, type: str | None = None,
        after_id: int = 0, limit: int = 1000,
    ) -> list[StoredEvent]:
        """Events in id order, optionally for one conversation or of one type."""

    # -- staff and audit (the operator console) ---------------------------------------------------
    def upsert_operator(self, *, force: str, operator: OperatorRecord) -> None:
        """Create or update a staff account."""

    def get_operator(self, *, force: str, username: str) -> OperatorRecord | None:
        """A staff account, or ``None``."""

    def add_audit(self, *, force: str, record: AuditRecord) -> int:
        """Append an access-log entry (who, what, which conversation, when, why); return its id."""

    def list_audit(
        self, *, force: str, conversation_id: str | None = None, actor: str | None = None,
        after_id: int = 0, limit: int = 200,
    ) -> list[AuditRecord]:
        """Access-log entries in id order, optionally for one conversation or one actor."""
