"""The value types that cross the plugin contract.

Everything a hook receives or returns is one of these immutable dataclasses, so plugins and the
core share one vocabulary. Add fields only with defaults: third-party plugins construct these.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

#: The default intent taxonomy (a contract: tests, reports and evaluation sets use these ids).
DEFAULT_INTENTS: tuple[str, ...] = (
    "anti_social_behaviour",
    "neighbourhood_concern",
    "information_sharing",
    "follow_up",
    "crime_report",
    "lost_found_property",
    "road_traffic",
    "fraud_scam",
    "general_enquiry",
)

#: Pseudo-intent for messages that are not a police matter at all (signposted elsewhere).
OUT_OF_SCOPE = "out_of_scope"

#: Risk categories used by the built-in risk plugins. A force may add its own.
RISK_CATEGORIES: tuple[str, ...] = (
    "threat_to_life",
    "violence_weapons",
    "crime_in_progress",
    "self_harm",
    "domestic_abuse",
    "child_safeguarding",
    "sexual_offence",
    "missing_person",
    "fire_medical_road",
    "hate_crime",
    "exploitation",
    "stalking_harassment",
    "intimate_image_abuse",
    "financial_abuse",
    "plugin_failure",
    "other",
)


class RiskLevel(str, enum.Enum):
    """Ordered risk levels: none < elevated < high < immediate."""

    NONE = "none"
    ELEVATED = "elevated"
    HIGH = "high"
    IMMEDIATE = "immediate"

    @property
    def rank(self) -> int:
        return _RISK_ORDER[self]

    def __lt__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, RiskLevel):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, RiskLevel):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, RiskLevel):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, RiskLevel):
            return NotImplemented
        return self.rank >= other.rank

    def __str__(self) -> str:
        return self.value


_RISK_ORDER = {
    RiskLevel.NONE: 0,
    RiskLevel.ELEVATED: 1,
    RiskLevel.HIGH: 2,
    RiskLevel.IMMEDIATE: 3,
}


class Status(str, enum.Enum):
    """Where a conversation is: with the bot, waiting for an operator, with one, or closed."""

    BOT = "bot"
    QUEUED = "queued"
    WITH_OPERATOR = "with_operator"
    CLOSED = "closed"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Option:
    """A quick-reply button offered to the visitor."""

    id: str
    label: str


@dataclass(frozen=True)
class Citation:
    """Where a guidance answer came from."""

    doc_id: str
    title: str
    source_url: str


@dataclass(frozen=True)
class Reply:
    """One message the bot (or the system) sends. ``text`` comes from config or approved guidance."""

    text: str
    role: str = "bot"  # bot | system
    kind: str = "message"  # greeting, emergency, urgent, question, clarify, guidance, summary, notice, ...
    options: tuple[Option, ...] = ()
    citations: tuple[Citation, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "text": self.text,
            "kind": self.kind,
            "options": [{"id": o.id, "label": o.label} for o in self.options],
            "citations": [dataclasses.asdict(c) for c in self.citations],
        }


@dataclass(frozen=True)
class Slot:
    """A detail extracted from free text (postcode, phone, date, crime reference, ...)."""

    name: str
    value: str
    text: str = ""  # the matched span as written
    confidence: float = 1.0
    plugin: str = ""


@dataclass(frozen=True)
class ConversationState:
    """Everything the core knows about a conversation between messages (stored as JSON)."""

    status: Status = Status.BOT
    emergency: bool = False
    handover: bool = False
    handover_reasons: tuple[str, ...] = ()
    risk_level: RiskLevel = RiskLevel.NONE
    risk_categories: tuple[str, ...] = ()
    intent: str | None = None
    intent_confidence: float = 0.0
    queue: str | None = None
    priority: int = 0
    language: str = "en"
    journey: str | None = None
    step: str | None = None
    slots: Mapping[str, str] = field(default_factory=dict)
    awaiting: str | None = None  # e.g. "intent_choice", "journey_step", "language"
    turn: int = 0
    misunderstood: int = 0  # consecutive turns the bot could not use
    no_progress: int = 0  # consecutive turns with no journey progress
    outcome: str | None = None  # self_service | summary | handover
    reference: str | None = None  # reference number given to the visitor
    asked_for_human: bool = False
    frustration: int = 0
    journey_handover: str | None = None  # the reason code of a journey's handover step
    operator: str | None = None  # username of the operator who has the chat
    queued_at: str | None = None  # ISO 8601 UTC time the chat joined its current queue
    claimed_at: str | None = None  # ISO 8601 UTC time an operator claimed it
    visitor_left_at: str | None = None  # the visitor left an at-risk chat, which stays with staff

    def replace(self, **changes: Any) -> ConversationState:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["status"] = self.status.value
        d["risk_level"] = self.risk_level.value
        d["handover_reasons"] = list(self.handover_reasons)
        d["risk_categories"] = list(self.risk_categories)
        d["slots"] = dict(self.slots)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConversationState:
        known = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in data.items() if k in known}
        if "status" in kw:
            kw["status"] = Status(kw["status"])
        if "risk_level" in kw:
            kw["risk_level"] = RiskLevel(kw["risk_level"])
        for k in ("handover_reasons", "risk_categories"):
            if k in kw:
                kw[k] = tuple(kw[k])
        if "slots" in kw:
            kw["slots"] = dict(kw["slots"])
        return cls(**kw)

    def public(self) -> dict[str, Any]:
        """The visitor-facing state of the API contract."""
        return {
            "status": self.status.value,
            "emergency": self.emergency,
            "handover": self.handover,
            "intent": self.intent,
            "queue": self.queue,
            "language": self.language,
        }


@dataclass(frozen=True)
class Message:
    """A visitor message as hooks see it.

    ``text`` is as received; ``normalised`` is NFKC-folded, lower-cased, with curly quotes and
    dashes straightened and white space collapsed (see :func:`switchboard.text.normalise`).
    ``choice`` is set when the visitor pressed a quick-reply button instead of typing.
    """

    text: str
    normalised: str
    force: str = "demo"
    conversation_id: str | None = None
    turn: int = 1
    is_first: bool = True
    language: str = "en"
    choice: str | None = None
    history: tuple[str, ...] = ()  # earlier visitor texts, oldest first
    state: ConversationState = field(default_factory=ConversationState)
    received_at: datetime | None = None


@dataclass(frozen=True)
class RiskSignal:
    """One reason to think a message carries risk.

    ``plugin`` is filled in by the core with the registered plugin name. A keyword rule sets
    ``rule_id`` and ``matched_text``; a model sets ``model_version`` and ``score``.
    """

    level: RiskLevel
    category: str
    reason: str
    rule_id: str | None = None
    matched_text: str | None = None
    model_version: str | None = None
    score: float | None = None
    plugin: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["level"] = self.level.value
        return d


@dataclass(frozen=True)
class IntentScore:
    """A plugin's belief that a message belongs to ``intent`` (confidence in 0..1)."""

    intent: str
    confidence: float
    source: str = ""  # rule id or model version
    plugin: str = ""


@dataclass(frozen=True)
class IntentResult:
    """The combined intent decision."""

    intent: str | None
    confidence: float
    candidates: tuple[IntentScore, ...] = ()
    clarify: bool = False  # confidence too low: ask which category

    def to_dict(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "clarify": self.clarify,
            "candidates": [dataclasses.asdict(c) for c in self.candidates[:5]],
        }


@dataclass(frozen=True)
class EscalationContext:
    """What an escalation hook may look at."""

    message: Message
    state: ConversationState  # state after this message's risk and intent were applied
    risk_level: RiskLevel
    signals: tuple[RiskSignal, ...]
    intent: IntentResult | None
    slots: Mapping[str, Slot]


@dataclass(frozen=True)
class EscalationVote:
    """A plugin's vote to hand the chat to a human (``handover=True``) and why."""

    handover: bool
    reason: str  # stable code: risk_immediate, risk_high, safeguarding, misunderstood, ...
    detail: str = ""
    priority: int = 0  # higher is more urgent
    plugin: str = ""


@dataclass(frozen=True)
class RoutingContext:
    """What a queue-selection hook may look at."""

    force: str
    intent: str | None
    risk_level: RiskLevel
    risk_categories: tuple[str, ...]
    language: str
    at: datetime
    priority: int = 0
    reasons: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # queues already tried (full, closed) or transferred from
    waiting: Mapping[str, int] = field(default_factory=dict)  # chats waiting now, per queue


@dataclass(frozen=True)
class QueueTarget:
    """Where a handover goes, and what to tell the visitor if that queue is closed."""

    queue: str
    name: str = ""
    open: bool = True
    opens_at: datetime | None = None
    priority: int = 0
    reason: str = ""
    out_of_hours: str | None = None  # callback | signpost | wait
    fallback_from: str | None = None
    plugin: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["opens_at"] = self.opens_at.isoformat() if self.opens_at else None
        return d


@dataclass(frozen=True)
class GuidancePassage:
    """An approved passage of force guidance, with provenance."""

    doc_id: str
    title: str
    text: str
    source_url: str
    approved_by: str
    review_date: str
    score: float
    plugin: str = ""


@dataclass(frozen=True)
class HealthReport:
    """A component's health: ``ok``, ``degraded`` (working with reduced safety/quality) or ``down``."""

    component: str
    status: str
    detail: str = ""


@dataclass(frozen=True)
class Event:
    """A structured event (one schema, versioned) emitted through observers and stored."""

    type: str
    force: str
    at: datetime
    conversation_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    schema_version: int = 1


@dataclass(frozen=True)
class Decision:
    """The immutable outcome of dispatching one visitor message."""

    conversation_id: str | None
    turn: int
    risk_level: RiskLevel
    signals: tuple[RiskSignal, ...]
    emergency: bool
    handover: bool
    handover_reasons: tuple[str, ...]
    intent: IntentResult | None
    slots: Mapping[str, Slot]
    queue: QueueTarget | None
    replies: tuple[Reply, ...]
    state: ConversationState
    language: str = "en"
    model_versions: Mapping[str, str] = field(default_factory=dict)
    plugin_errors: tuple[str, ...] = ()

    @property
    def reasons(self) -> list[str]:
        """Short human-readable reasons (why this risk level, why a handover)."""
        out = [f"{s.plugin}:{s.rule_id or s.model_version or s.category}: {s.reason}" for s in self.signals]
        out.extend(f"handover:{r}" for r in self.handover_reasons)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "turn": self.turn,
            "risk_level": self.risk_level.value,
            "signals": [s.to_dict() for s in self.signals],
            "emergency": self.emergency,
            "handover": self.handover,
            "handover_reasons": list(self.handover_reasons),
            "intent": self.intent.to_dict() if self.intent else None,
            "slots": {k: dataclasses.asdict(v) for k, v in self.slots.items()},
            "queue": self.queue.to_dict() if self.queue else None,
            "replies": [r.to_dict() for r in self.replies],
            "state": self.state.to_dict(),
            "language": self.language,
            "model_versions": dict(self.model_versions),
            "plugin_errors": list(self.plugin_errors),
        }
