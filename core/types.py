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
        return self._rank  # type: ignore[attr-defined, no-any-return]

    # Compared on every message: the rank is a plain attribute of each member (enum members
    # hash through Python code, so a dict look-up per comparison is slow).
    def __lt__(self, other: object) -> bool:  # type: ignore[override]
        if isinstance(other, RiskLevel):
            return self._rank < other._rank  # type: ignore[attr-defined, no-any-return]
        return NotImplemented

    def __le__(self, other: object) -> bool:  # type: ignore[override]
        if isinstance(other, RiskLevel):
            return self._rank <= other._rank  # type: ignore[attr-defined, no-any-return]
        return NotImplemented

    def __gt__(self, other: object) -> bool:  # type: ignore[override]
        if isinstance(other, RiskLevel):
            return self._rank > other._rank  # type: ignore[attr-defined, no-any-return]
        return NotImplemented

    def __ge__(self, other: object) -> bool:  # type: ignore[override]
        if isinstance(other, RiskLevel):
            return self._rank >= other._rank  # type: ignore[attr-defined, no-any-return]
        return NotImplemented

    def __str__(self) -> str:
        return self.value


for _rank, _level in enumerate((RiskLevel.NONE, RiskLevel.ELEVATED, RiskLevel.HIGH, RiskLevel.IMMEDIATE)):
    _level._rank = _rank  # type: ignore[attr-defined]
del _rank, _level


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
        return replace_fields(self, **changes)

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
    ``rule_id``, ``matched_text`` and ``context`` (the time context that decided its level:
    ``"now"``, ``"past"``, ``"negated"``, ``"question"``, ``"habitual"``, or ``""`` when the
    message says nothing about when); a model sets ``model_version``, ``score`` and
    ``p_immediate`` (its probability that the message needs 999 now). A model may return a
    ``none``-level signal only to report ``p_immediate``: the core uses it to corroborate keyword
    signals and then drops it.
    """

    level: RiskLevel
    category: str
    reason: str
    rule_id: str | None = None
    matched_text: str | None = None
    model_version: str | None = None
    score: float | None = None
    plugin: str = ""
    context: str = ""
    p_immediate: float | None = None

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


# -- the hot path ------------------------------------------------------------------------------------
# Triage builds and copies these objects many times per message. A frozen dataclass's generated
# ``__init__`` stores each field through ``object.__setattr__`` (slow), and ``dataclasses.replace``
# rebuilds every field's keyword argument before running it. For a *plain* dataclass (generated
# ``__init__``, no ``__post_init__``, no ``__slots__``, no ``InitVar``, ``init=False`` or
# keyword-only fields) ``__init__`` does nothing but store the values in the instance's
# ``__dict__``, so storing them there directly gives the same object, several times faster.

#: Per dataclass: its field names if it is plain (see above), else ``None``.
_PLAIN: dict[type, frozenset[str] | None] = {}
#: Names the generated ``__init__`` uses itself (a field may not be called so).
_INIT_NAMES = frozenset({"self", "_attrs", "_HAS_FACTORY"})


def plain_fields(cls: type) -> frozenset[str] | None:
    """The field names of a plain dataclass (its instances may be built or copied by storing
    attributes directly), else ``None``."""
    try:
        return _PLAIN[cls]
    except KeyError:
        pass
    fields = getattr(cls, "__dataclass_fields__", None)
    init = getattr(cls, "__init__", None)
    if (
        fields is None
        or hasattr(cls, "__post_init__")
        or "__slots__" in cls.__dict__
        or getattr(getattr(init, "__code__", None), "co_filename", "") != "<string>"  # hand-written __init__
        or any(
            not f.init or f.kw_only or f._field_type is not dataclasses._FIELD  # type: ignore[attr-defined]
            for f in fields.values()
        )
    ):
        names = None
    else:
        names = frozenset(fields)
    _PLAIN[cls] = names
    return names


def replace_fields(obj: Any, **changes: Any) -> Any:
    """``dataclasses.replace(obj, **changes)``, copying a plain dataclass attribute by attribute.

    Anything else, and unknown field names (which raise ``TypeError``), go through
    ``dataclasses.replace``.
    """
    cls = type(obj)
    names = _PLAIN.get(cls, False)
    if names is False:
        names = plain_fields(cls)
    if names is None or not names.issuperset(changes):  # type: ignore[union-attr]
        return dataclasses.replace(obj, **changes)
    new = object.__new__(cls)
    attrs = new.__dict__
    attrs.update(obj.__dict__)
    attrs.update(changes)
    return new


class _HasFactory:
    def __repr__(self) -> str:
        return "<factory>"


def _store_fields_directly(cls: type) -> None:
    """Give plain frozen dataclass ``cls`` an ``__init__`` with the same signature (names, order,
    defaults, default factories) that stores each argument in the instance ``__dict__``."""
    if plain_fields(cls) is None or _INIT_NAMES.intersection(cls.__dataclass_fields__):  # type: ignore[attr-defined]
        return
    namespace: dict[str, Any] = {"_HAS_FACTORY": _HasFactory()}
    params: list[str] = []
    body: list[str] = []
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            namespace[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
            body.append(f"    _attrs[{f.name!r}] = {f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_HAS_FACTORY")
            body.append(f"    _attrs[{f.name!r}] = _factory_{f.name}() if {f.name} is _HAS_FACTORY else {f.name}")
        else:
            params.append(f.name)
            body.append(f"    _attrs[{f.name!r}] = {f.name}")
    source = f"def __init__(self, {', '.join(params)}):\n    _attrs = self.__dict__\n" + "\n".join(body) + "\n"
    exec(compile(source, "<string>", "exec"), namespace)  # noqa: S102 - as dataclasses builds __init__
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__annotations__ = dict(cls.__init__.__annotations__)  # type: ignore[misc]
    init.__doc__ = cls.__init__.__doc__  # type: ignore[misc]
    cls.__init__ = init  # type: ignore[misc]


for _cls in (
    Option, Citation, Reply, Slot, ConversationState, Message, RiskSignal, IntentScore, IntentResult,
    EscalationContext, EscalationVote, RoutingContext, QueueTarget, GuidancePassage, HealthReport, Event,
    Decision,
):
    _store_fields_directly(_cls)
del _cls
