"""The conversation service: the one place a visitor turn is stored, decided, recorded and
announced.

Order of a visitor turn (the guarantees the API documents):

1. under a per-conversation lock, a retry with a known ``client_id`` returns the original answer
   (nothing is stored twice);
2. the visitor message is stored and committed **before** the reply is computed, so a crash or a
   failing plugin never loses what the visitor said (a retry with the same ``client_id`` then
   finishes the turn);
3. :meth:`Dispatcher.dispatch` decides the turn;
4. the replies, the new state, the :class:`~switchboard.types.Decision` JSON and the structured
   events are written in one transaction (optimistic version check);
5. the events go to the ``on_event`` observers and the live channel gets the new messages and
   state.

Events (``switchboard.types.Event``, ``schema_version`` 1) carry ids, codes and counts, never the
visitor's words: ``conversation.started``, ``message.received``, ``decision.made``,
``emergency.diverted``, ``handover.requested``, ``status.changed``, ``message.sent``,
``turn.failed``, ``state.changed``, ``visitor.left``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import secrets
import threading
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence

from . import handover
from .card import waited_seconds
from .config import Settings
from .dispatch import Dispatcher
from .errors import SwitchboardError
from .staff import outcomes
from .store import (
    ConversationRecord,
    ConversationUpdate,
    DecisionRecord,
    DuplicateClientId,
    MessageRecord,
    Store,
    StoreConflict,
    iso,
    utcnow,
)
from .store.pubsub import PubSub, conversation_channel
from .types import ConversationState, Decision, Event, Reply, RiskLevel, Status

log = logging.getLogger("switchboard.service")

#: Version of the event schema this module emits.
EVENT_SCHEMA_VERSION = 1

_CONFLICT_RETRIES = 3


class ServiceError(SwitchboardError):
    """A request the service refuses; ``code`` is the API error code."""

    code = "service_error"


class UnknownSite(ServiceError):
    code = "unknown_site"


class ConversationNotFound(ServiceError):
    code = "not_found"


class InvalidToken(ServiceError):
    code = "unauthorized"


class TurnFailed(ServiceError):
    """The visitor message is stored but no reply could be computed; retrying with the same
    ``client_id`` finishes the turn."""

    code = "internal_error"


def hash_token(token: str) -> str:
    """The stored form of a conversation token (sha256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class StartResult:
    conversation: ConversationRecord
    token: str
    messages: list[MessageRecord]


@dataclass(frozen=True)
class LeaveResult:
    """The conversation after the visitor left; ``changed`` is False when it was already closed."""

    conversation: ConversationRecord
    changed: bool
    previous: ConversationState


class _StatusMoved(Exception):
    """The status changed between reading a conversation and changing it: decide again."""


@dataclass(frozen=True)
class TurnResult:
    messages: list[MessageRecord]
    state: ConversationState
    replayed: bool = False


class _ConvLock:
    """A per-conversation lock; the ``with`` statement keeps it alive while held."""

    __slots__ = ("lock", "__weakref__")

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def __enter__(self) -> _ConvLock:
        self.lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


class ConversationService:
    """Start conversations, take visitor messages, post staff messages, fan out live events.

    Methods are synchronous and thread-safe (the web layer runs them in a thread pool).

    :param clock: returns the current aware UTC time (injectable for tests).
    """

    def __init__(
        self, *, settings: Settings, dispatcher: Dispatcher, store: Store, pubsub: PubSub,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.store = store
        self.pubsub = pubsub
        self.force = settings.force_id
        self._clock = clock
        self._locks: weakref.WeakValueDictionary[str, _ConvLock] = weakref.WeakValueDictionary()
        self._locks_guard = threading.Lock()
        dispatcher.queue_waiting = self.waiting_counts

    # -- helpers --------------------------------------------------------------------------------
    def _lock(self, conversation_id: str) -> _ConvLock:
        with self._locks_guard:
            lock = self._locks.get(conversation_id)
            if lock is None:
                lock = _ConvLock()
                self._locks[conversation_id] = lock
            return lock

    def event(self, type: str, conversation_id: str | None, at: datetime | None = None, **data: Any) -> Event:
        """Build an event of this force (schema version :data:`EVENT_SCHEMA_VERSION`)."""
        return Event(type=type, force=self.force, at=at or self._clock(), conversation_id=conversation_id,
                     data=data, schema_version=EVENT_SCHEMA_VERSION)

    def _emit(self, events: Sequence[Event]) -> None:
        for e in events:
            self.dispatcher.emit(e)

    def publish(self, conversation_id: str, payload: Mapping[str, Any]) -> None:
        """Send a payload on the conversation's live channel (``{"type": "queue", ...}`` etc.)."""
        self.pubsub.publish(conversation_channel(self.force, conversation_id), payload)

    def _publish_messages(self, conversation_id: str, messages: Sequence[MessageRecord]) -> None:
        for m in messages:
            self.publish(conversation_id, {"type": "message", "message": m.public()})

    def _publish_state(self, conversation_id: str, state: ConversationState) -> None:
        self.publish(conversation_id, {"type": "state", "state": state.public()})

    def _reply_record(self, conversation_id: str, reply: Reply, at: datetime, reply_to: str | None) -> MessageRecord:
        return MessageRecord(
            id=new_id(), conversation_id=conversation_id, role=reply.role, text=reply.text, created_at=at,
            kind=reply.kind, options=tuple({"id": o.id, "label": o.label} for o in reply.options), reply_to=reply_to,
        )

    def waiting_counts(self) -> dict[str, int]:
        """Chats waiting in each queue now (routing treats a queue at ``max_waiting`` as full)."""
        counts: dict[str, int] = {}
        for conv in self.store.list_conversations(force=self.force, status="queued", limit=10_000):
            if conv.state.queue:
                counts[conv.state.queue] = counts.get(conv.state.queue, 0) + 1
        return counts

    # -- conversations --------------------------------------------------------------------------
    def start(self, *, site: str) -> StartResult:
        """Start a conversation for a configured site and return it with its token (shown once)
        and the greeting messages.

        :raises UnknownSite: when ``sites.<site>`` is not configured.
        """
        site_cfg = self.settings.site(site)
        if site_cfg is None:
            raise UnknownSite(f"unknown site {site!r}")
        language = str(site_cfg.get("language", "en"))
        if language not in self.settings.languages:
            language = "en"
        now = self._clock()
        token = secrets.token_urlsafe(32)
        conv = ConversationRecord(
            id=new_id(), force=self.force, site=site, token_hash=hash_token(token),
            state=ConversationState(language=language), created_at=now, updated_at=now,
        )
        replies = [self._reply_record(conv.id, r, now, None) for r in self.dispatcher.greeting(language)]
        events = [self.event("conversation.started", conv.id, now, site=site, language=language)]
        events += [self.event("message.sent", conv.id, now, message_id=m.id, role=m.role, kind=m.kind) for m in replies]
        stored = self.store.create_conversation(force=self.force, conversation=conv, messages=replies, events=events)
        self._emit(events)
        log.info("conversation %s started (site %s)", conv.id, site)
        return StartResult(conversation=conv, token=token, messages=stored)

    def get(self, conversation_id: str) -> ConversationRecord:
        conv = self.store.get_conversation(force=self.force, conversation_id=conversation_id)
        if conv is None:
            raise ConversationNotFound("unknown conversation")
        return conv

    def authenticate(self, conversation_id: str, token: str | None) -> ConversationRecord:
        """The conversation if ``token`` is its token.

        :raises InvalidToken: no token, or the wrong one. :raises ConversationNotFound:
        """
        if not token:
            raise InvalidToken("a conversation token is required")
        conv = self.get(conversation_id)
        if not hmac.compare_digest(hash_token(token), conv.token_hash):
            raise InvalidToken("wrong conversation token")
        return conv

    def transcript(self, conversation_id: str) -> tuple[list[MessageRecord], ConversationRecord]:
        conv = self.get(conversation_id)
        return self.store.list_messages(force=self.force, conversation_id=conversation_id), conv

    # -- the visitor turn -----------------------------------------------------------------------
    def handle_visitor_message(
        self, conversation_id: str, *, text: str | None = None, choice: str | None = None,
        client_id: str | None = None,
    ) -> TurnResult:
        """Store the visitor message, decide the reply, store and announce everything.

        :raises ConversationNotFound: :raises TurnFailed: (the visitor message stays stored)
        """
        with self._lock(conversation_id):
            conv = self.get(conversation_id)
            visitor: MessageRecord | None = None
            if client_id:
                existing = self.store.get_message_by_client_id(
                    force=self.force, conversation_id=conversation_id, client_id=client_id)
                if existing is not None:
                    done = self.store.get_decision(force=self.force, message_id=existing.id)
                    if done is not None:
                        log.info("conversation %s: replayed client_id turn %s", conversation_id, done.turn)
                        replies = self.store.list_messages(
                            force=self.force, conversation_id=conversation_id, reply_to=existing.id)
                        state = ConversationState.from_dict(done.decision["state"])
                        return TurnResult([existing, *replies], state, replayed=True)
                    visitor = existing  # stored earlier, reply never computed: finish the turn
            if visitor is None:
                visitor = self._store_visitor_message(conv, text=text, choice=choice, client_id=client_id)
            return self._decide(conversation_id, visitor)

    def _store_visitor_message(
        self, conv: ConversationRecord, *, text: str | None, choice: str | None, client_id: str | None,
    ) -> MessageRecord:
        now = self._clock()
        if choice is not None:
            label = self._option_label(conv.id, choice)
            record = MessageRecord(
                id=new_id(), conversation_id=conv.id, role="visitor", text=label, created_at=now, kind="choice",
                options=({"id": choice, "label": label},), client_id=client_id,
            )
        else:
            record = MessageRecord(
                id=new_id(), conversation_id=conv.id, role="visitor", text=text or "", created_at=now,
                client_id=client_id,
            )
        try:
            stored = self.store.add_message(force=self.force, message=record)
        except DuplicateClientId:  # another worker stored it between our read and write
            found = self.store.get_message_by_client_id(
                force=self.force, conversation_id=conv.id, client_id=client_id or "")
            if found is None:
                raise
            return found
        received = self.event(
            "message.received", conv.id, now, message_id=stored.id, role="visitor", kind=stored.kind,
            chars=len(stored.text), choice=choice, turn=conv.state.turn + 1,
        )
        self.store.add_events(force=self.force, events=[received])
        self._emit([received])
        self._publish_messages(conv.id, [stored])
        return stored

    def _option_label(self, conversation_id: str, choice: str) -> str:
        for m in reversed(self.store.list_messages(force=self.force, conversation_id=conversation_id)):
            for o in m.options:
                if o.get("id") == choice:
                    return str(o.get("label", choice))
        return choice

    def _decide(self, conversation_id: str, visitor: MessageRecord) -> TurnResult:
        for attempt in range(_CONFLICT_RETRIES):
            conv = self.get(conversation_id)
            history = [
                m.text for m in self.store.list_messages(force=self.force, conversation_id=conversation_id)
                if m.role == "visitor" and m.kind == "message" and m.seq < visitor.seq
            ]
            choice = visitor.options[0]["id"] if visitor.kind == "choice" and visitor.options else None
            message = self.dispatcher.make_message(
                "" if choice is not None else visitor.text, state=conv.state, conversation_id=conversation_id,
                choice=choice, history=history, received_at=visitor.created_at,
            )
            try:
                decision = self.dispatcher.dispatch(message)
            except Exception as exc:  # noqa: BLE001 - the visitor message is kept; the client may retry
                log.exception("conversation %s: turn failed for message %s", conversation_id, visitor.id)
                failed = self.event("turn.failed", conversation_id, message_id=visitor.id, error=type(exc).__name__)
                self.store.add_events(force=self.force, events=[failed])
                self._emit([failed])
                raise TurnFailed("the reply could not be prepared; please send again") from exc
            self.dispatcher.after_decision(decision=decision, message=message)
            try:
                return self._commit_turn(conv, visitor, decision)
            except StoreConflict:
                log.warning("conversation %s changed during a turn (attempt %s)", conversation_id, attempt + 1)
        raise TurnFailed("the conversation is busy; please send again")

    def _commit_turn(self, conv: ConversationRecord, visitor: MessageRecord, decision: Decision) -> TurnResult:
        now = self._clock()
        state = decision.state
        replies = [self._reply_record(conv.id, r, now, visitor.id) for r in decision.replies]
        ev = [self.event(
            "decision.made", conv.id, now, message_id=visitor.id, turn=decision.turn,
            risk_level=decision.risk_level.value, risk_categories=sorted({s.category for s in decision.signals}),
            emergency=decision.emergency, handover=decision.handover, handover_reasons=list(decision.handover_reasons),
            intent=decision.intent.intent if decision.intent else None,
            intent_confidence=round(decision.intent.confidence, 4) if decision.intent else None,
            journey=state.journey, step=state.step, language=decision.language,
            plugin_errors=list(decision.plugin_errors), model_versions=dict(decision.model_versions),
        )]
        if decision.emergency:
            ev.append(self.event("emergency.diverted", conv.id, now, turn=decision.turn, first_message=decision.turn == 1,
                                 categories=sorted({s.category for s in decision.signals})))
        if decision.queue is not None:
            ev.append(self.event("handover.requested", conv.id, now, queue=decision.queue.queue,
                                 open=decision.queue.open, priority=decision.queue.priority,
                                 reasons=list(decision.handover_reasons)))
        if state.status != conv.state.status:
            ev.append(self.event("status.changed", conv.id, now, **{"from": conv.state.status.value, "to": state.status.value}))
        ev += [self.event("message.sent", conv.id, now, message_id=m.id, role=m.role, kind=m.kind) for m in replies]
        record = DecisionRecord(conversation_id=conv.id, message_id=visitor.id, turn=decision.turn,
                                decision=decision.to_dict(), created_at=now)
        updated, stored = self.store.update_conversation(
            force=self.force, conversation_id=conv.id, expected_version=conv.version,
            update=ConversationUpdate(state=state, at=now, messages=replies, decision=record, events=ev),
        )
        self._emit(ev)
        self._publish_messages(conv.id, stored)
        self._publish_state(conv.id, updated.state)
        log.info("conversation %s turn %s: risk=%s emergency=%s handover=%s status=%s", conv.id, decision.turn,
                 decision.risk_level.value, decision.emergency, decision.handover, updated.state.status.value)
        return TurnResult([visitor, *stored], updated.state)

    # -- staff and system side (the operator console builds on these) ----------------------------
    def post_message(
        self, conversation_id: str, *, role: str, text: str, author: str | None = None, kind: str = "message",
        options: Sequence[Mapping[str, str]] = (),
        change_state: Callable[[ConversationState], ConversationState] | None = None,
        events: Sequence[Event] = (),
    ) -> tuple[MessageRecord, ConversationRecord]:
        """Add an operator or system message (optionally changing the state in the same
        transaction), store ``events`` with it, and announce it live.

        :param role: ``operator`` or ``system``.
        """
        if role not in ("operator", "system"):
            raise ValueError(f"post_message role must be operator or system, not {role!r}")
        with self._lock(conversation_id):
            for _attempt in range(_CONFLICT_RETRIES):
                conv = self.get(conversation_id)
                now = self._clock()
                record = MessageRecord(
                    id=new_id(), conversation_id=conversation_id, role=role, text=text, created_at=now, kind=kind,
                    options=tuple(options), author=author,
                )
                state = change_state(conv.state) if change_state else conv.state
                ev = [*events, self.event("message.sent", conversation_id, now, message_id=record.id, role=role,
                                          kind=kind, author=author)]
                if state.status != conv.state.status:
                    ev.append(self.event("status.changed", conversation_id, now,
                                         **{"from": conv.state.status.value, "to": state.status.value}))
                try:
                    updated, stored = self.store.update_conversation(
                        force=self.force, conversation_id=conversation_id, expected_version=conv.version,
                        update=ConversationUpdate(state=state, at=now, messages=[record], events=ev),
                    )
                except StoreConflict:
                    continue
                self._emit(ev)
                self._publish_messages(conversation_id, stored)
                if state != conv.state:
                    self._publish_state(conversation_id, updated.state)
                return stored[0], updated
        raise TurnFailed("the conversation is busy; please try again")

    def change_state(
        self, conversation_id: str, change: Callable[[ConversationState], ConversationState],
        *, events: Sequence[Event] = (), expected_version: int | None = None,
    ) -> ConversationRecord:
        """Change a conversation's state (claim, transfer, close...) and announce it live.

        :param expected_version: when given, fail with ``StoreConflict`` if the conversation
            changed since the caller read it (e.g. two operators claiming one chat).
        """
        with self._lock(conversation_id):
            conv = self.get(conversation_id)
            now = self._clock()
            state = change(conv.state)
            ev = list(events)
            if state.status != conv.state.status:
                ev.append(self.event("status.changed", conversation_id, now,
                                     **{"from": conv.state.status.value, "to": state.status.value}))
            ev.append(self.event("state.changed", conversation_id, now, status=state.status.value, queue=state.queue))
            updated, _ = self.store.update_conversation(
                force=self.force, conversation_id=conversation_id,
                expected_version=conv.version if expected_version is None else expected_version,
                update=ConversationUpdate(state=state, at=now, events=ev),
            )
            self._emit(ev)
            self._publish_state(conversation_id, updated.state)
            return updated

    def leave(self, conversation_id: str) -> LeaveResult:
        """The visitor left (quick exit or "End chat"): apply
        :func:`switchboard.handover.visitor_left`, record a ``visitor.left`` event and announce
        the new state live.

        When an operator has the chat, a ``system`` message of kind ``visitor_left`` tells them
        so, in the same transaction; its text is the label of the ``visitor_left`` outcome in
        ``[console]`` (operator-facing: visitor clients do not show it). Nothing is said to the
        visitor. Idempotent: leaving a closed conversation changes nothing.

        :raises ConversationNotFound:
        """
        for _attempt in range(_CONFLICT_RETRIES):
            conv = self.get(conversation_id)
            before = conv.state
            if before.status is Status.CLOSED:
                return LeaveResult(conv, changed=False, previous=before)
            now = self._clock()
            event = self.event(
                "visitor.left", conversation_id, now, **{"from": before.status.value}, queue=before.queue,
                operator=before.operator, turn=before.turn, emergency=before.emergency,
                risk_level=before.risk_level.value,
                waited_seconds=waited_seconds(before, now) if before.status is Status.QUEUED else None,
            )

            # A visitor who leaves an emergency or high-risk chat (the quick exit on a domestic
            # abuse page, say) may be in more danger, not less: the chat stays with staff, marked,
            # so a person can decide what to do. Routine chats close.
            keep_open = before.status in (Status.QUEUED, Status.WITH_OPERATOR) and (
                before.emergency or before.risk_level >= RiskLevel.HIGH)
            event = dataclasses.replace(event, data={**event.data, "kept_open": keep_open})

            def change(state: ConversationState, expected: Status = before.status) -> ConversationState:
                if state.status is not expected:
                    raise _StatusMoved  # claimed, closed or requeued meanwhile: decide again
                if keep_open:
                    return state.replace(visitor_left_at=now.isoformat(timespec="seconds"))
                return handover.visitor_left(state).state

            try:
                if before.status is Status.WITH_OPERATOR or keep_open:
                    _msg, updated = self.post_message(
                        conversation_id, role="system", text=self._visitor_left_notice(), kind="visitor_left",
                        change_state=change, events=[event])
                else:
                    updated = self.change_state(conversation_id, change, events=[event])
            except (_StatusMoved, StoreConflict):
                continue
            log.info("conversation %s: visitor left (was %s)", conversation_id, before.status.value)
            return LeaveResult(updated, changed=True, previous=before)
        raise TurnFailed("the conversation is busy; please try again")

    def _visitor_left_notice(self) -> str:
        labels = {o["id"]: o["label"] for o in outcomes(self.settings.section("console"))}
        return labels.get("visitor_left") or {o["id"]: o["label"] for o in outcomes({})}["visitor_left"]


def public_messages(messages: Sequence[MessageRecord]) -> list[dict[str, Any]]:
    """Messages as the API shows them."""
    return [m.public() for m in messages]


__all__ = [
    "ConversationNotFound", "ConversationService", "EVENT_SCHEMA_VERSION", "InvalidToken", "LeaveResult",
    "ServiceError",
    "StartResult", "TurnFailed", "TurnResult", "UnknownSite", "hash_token", "iso", "public_messages",
]
