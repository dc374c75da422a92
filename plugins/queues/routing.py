"""Operator queues and routing rules, read from the force file.

``[queues.<id>]`` keys:

``name``                  what the visitor is told, a string or ``{ en = …, cy = … }``
``schedule``              a ``[schedules.<name>]`` (no schedule: always open)
``capacity_per_operator`` chats one operator handles at once (the console uses it)
``priority``              a floor for the handover priority of chats in this queue
``overflow``              the queue to use when this one is closed or full
``out_of_hours``          when a chat lands on a closed queue with no open overflow:
                          ``wait`` (queued until it opens), ``callback`` (details kept, call back)
                          or ``signpost`` (other ways to get help)
``callback_hours``        a text key (``texts.<lang>.<key>``) stating when call-backs happen
``description``           free text for operators

``[[routing.rules]]`` keys: ``id``, ``queue``, ``priority`` and the conditions ``intents``,
``risk_categories``, ``risk_levels``, ``min_risk_level``, ``languages`` and ``during`` (a
schedule that must be open). Rules are tried in order; the first whose every condition holds
picks the queue. No matching rule: ``routing.fallback_queue``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from switchboard.errors import ConfigError
from switchboard.plugins.office_hours.schedule import Schedule, load_schedules, validate_schedules
from switchboard.types import QueueTarget, RiskLevel, RoutingContext

QUEUE_KEYS = frozenset(
    {"name", "schedule", "capacity_per_operator", "max_waiting", "priority", "overflow", "out_of_hours",
     "callback_hours", "description"}
)
RULE_KEYS = frozenset(
    {"id", "queue", "priority", "intents", "risk_categories", "risk_levels", "min_risk_level", "languages", "during", "description"}
)
ROUTING_KEYS = frozenset({"fallback_queue", "rules", "high_risk_to_fallback"})
OUT_OF_HOURS = ("wait", "callback", "signpost")
_LEVELS = {lvl.value: lvl for lvl in RiskLevel}
_MEMO_SIZE = 256


@dataclass(frozen=True)
class Queue:
    """One operator queue."""

    id: str
    names: Mapping[str, str]
    schedule: str | None
    capacity_per_operator: int = 1
    max_waiting: int | None = None  # the queue is full with this many chats waiting
    priority: int = 0
    overflow: str | None = None
    out_of_hours: str = "wait"
    callback_hours: str | None = None
    description: str = ""

    def name(self, language: str = "en") -> str:
        """The queue's name in ``language`` (English, then the id, as fallbacks)."""
        return self.names.get(language) or self.names.get("en") or self.id


@dataclass(frozen=True)
class Rule:
    """One routing rule; empty conditions match anything."""

    id: str
    queue: str
    priority: int = 0
    intents: frozenset[str] = frozenset()
    risk_categories: frozenset[str] = frozenset()
    risk_levels: frozenset[RiskLevel] = frozenset()
    min_risk_level: RiskLevel | None = None
    languages: frozenset[str] = frozenset()
    during: str | None = None

    def matches(self, context: RoutingContext, schedule_open: Callable[[str, datetime], bool | None]) -> bool:
        """Every condition holds; ``schedule_open(name, at)`` answers ``during`` (``None``, for
        an unknown schedule, does not match)."""
        if self.intents and context.intent not in self.intents:
            return False
        if self.risk_categories and not self.risk_categories.intersection(context.risk_categories):
            return False
        if self.risk_levels and context.risk_level not in self.risk_levels:
            return False
        if self.min_risk_level is not None and context.risk_level < self.min_risk_level:
            return False
        if self.languages and context.language not in self.languages:
            return False
        if self.during is not None and not schedule_open(self.during, context.at):
            return False
        return True


@dataclass(frozen=True)
class Router:
    """Queues, rules and schedules of one deployment; :meth:`select` answers ``select_queue``."""

    queues: Mapping[str, Queue]
    rules: tuple[Rule, ...]
    schedules: Mapping[str, Schedule]
    fallback: str
    high_risk_to_fallback: bool = True
    #: Answers of :meth:`_schedule_open` for the latest instants (a batch of messages shares
    #: one clock, and a handover asks the same schedules several times).
    _open_memo: dict[tuple[str, datetime, int], bool | None] = field(default_factory=dict, compare=False, repr=False)
    _chains: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def is_open(self, queue_id: str, at: datetime) -> bool:
        queue = self.queues.get(queue_id)
        if queue is None or queue.schedule is None:
            return True
        answer = self._schedule_open(queue.schedule, at)
        return True if answer is None else answer

    def _schedule_open(self, name: str, at: datetime) -> bool | None:
        """``schedules[name].is_open(at)``, ``None`` for an unknown schedule; remembered, as a
        schedule's answer depends on the instant alone (``fold`` is part of the key: equal
        wall times of one zone compare equal even when they are an hour apart)."""
        key = (name, at, at.fold)
        memo = self._open_memo
        try:
            return memo[key]
        except KeyError:
            pass
        schedule = self.schedules.get(name)
        answer = None if schedule is None else schedule.is_open(at)
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        memo[key] = answer
        return answer

    def next_opening(self, queue_id: str, at: datetime) -> datetime | None:
        queue = self.queues.get(queue_id)
        if queue is None or queue.schedule is None or queue.schedule not in self.schedules:
            return at
        return self.schedules[queue.schedule].next_opening(at)

    def select(self, context: RoutingContext) -> QueueTarget | None:
        """Pick the queue for a handover (see the module docstring)."""
        excluded = set(context.exclude)
        if context.waiting:
            excluded |= self.full_queues(context)
        for rule in self.rules:
            if not rule.matches(context, self._schedule_open):
                continue
            target = self._place(rule.queue, context, excluded, f"rule {rule.id}", rule.priority)
            if target is not None:
                return target
        return self._place(self.fallback, context, excluded, "fallback", 0)

    def full_queues(self, context: RoutingContext) -> set[str]:
        """Queues with ``max_waiting`` chats or more already waiting (never the fallback queue,
        which always takes a chat)."""
        return {
            qid for qid, queue in self.queues.items()
            if queue.max_waiting is not None and qid != self.fallback
            and context.waiting.get(qid, 0) >= queue.max_waiting
        }

    # -- helpers --------------------------------------------------------------------------------
    def _place(
        self, wanted: str, context: RoutingContext, excluded: set[str], why: str, rule_priority: int
    ) -> QueueTarget | None:
        """Follow ``wanted`` and its overflow chain to an open, not excluded queue; if none is
        open, answer the first non-excluded queue of the chain as closed (with its out-of-hours
        behaviour). ``None`` when every queue of the chain is excluded."""
        chain = self._chain(wanted)
        available = [q for q in chain if q not in excluded]
        if not available:
            return None
        first = available[0]
        for queue_id in available:
            if self.is_open(queue_id, context.at):
                return self._target(queue_id, context, why, rule_priority, wanted, first, open_=True)
        # Nothing in the chain is open. A chat at high risk must not wait for office hours.
        if (
            self.high_risk_to_fallback
            and context.risk_level >= RiskLevel.HIGH
            and self.fallback not in excluded
            and self.fallback not in available
            and self.is_open(self.fallback, context.at)
        ):
            return self._target(self.fallback, context, why + "; high risk", rule_priority, wanted, first, open_=True)
        return self._target(first, context, why, rule_priority, wanted, first, open_=False)

    def _target(
        self,
        queue_id: str,
        context: RoutingContext,
        why: str,
        rule_priority: int,
        wanted: str,
        first: str,
        open_: bool,
    ) -> QueueTarget:
        queue = self.queues.get(queue_id) or Queue(queue_id, {}, None)
        priority = max(context.priority, rule_priority, queue.priority)
        fallback_from = None if queue_id == wanted else wanted
        reason = why
        if fallback_from is not None:
            state = ("excluded" if wanted in context.exclude
                     else "full" if wanted in self.full_queues(context) else "closed")
            reason += f": {wanted} {state}, sent to {queue_id}"
            if context.language != "en":
                reason += f" (visitor language {context.language})"
        return QueueTarget(
            queue=queue_id,
            name=queue.name(context.language),
            open=open_,
            opens_at=None if open_ else self.next_opening(queue_id, context.at),
            priority=priority,
            reason=reason,
            out_of_hours=None if open_ else queue.out_of_hours,
            fallback_from=fallback_from,
            plugin="queues",
        )

    def _chain(self, start: str) -> tuple[str, ...]:
        chain = self._chains.get(start)
        if chain is None:
            found: list[str] = []
            current: str | None = start
            while current is not None and current not in found:
                found.append(current)
                queue = self.queues.get(current)
                current = queue.overflow if queue else None
            chain = self._chains[start] = tuple(found)
        return chain


# -- building and validating -----------------------------------------------------------------------


def build_router(settings: Any) -> Router:
    """Build the router from settings.

    :raises ConfigError: naming the file and the first bad key (``validate_routing`` lists all).
    """
    problems = validate_routing(settings)
    if problems:
        key, _, problem = problems[0].partition(": ")
        raise ConfigError(settings.path, key, problem)
    schedules = load_schedules(settings)
    queues = {qid: _queue(qid, table) for qid, table in settings.section("queues").items()}
    routing = settings.section("routing")
    rules = tuple(_rule(i, r) for i, r in enumerate(routing.get("rules", [])))
    fallback = str(routing.get("fallback_queue") or "contact_centre")
    return Router(queues, rules, schedules, fallback, bool(routing.get("high_risk_to_fallback", True)))


def describe_queues(settings: Any, language: str = "en") -> list[dict[str, Any]]:
    """Every configured queue for the operator console: id, name, schedule (name and a short
    description), capacity per operator, overflow, out-of-hours behaviour, open now or not."""
    router = build_router(settings)
    out = []
    for queue in router.queues.values():
        schedule = router.schedules.get(queue.schedule) if queue.schedule else None
        out.append(
            {
                "id": queue.id,
                "name": queue.name(language),
                "schedule": queue.schedule,
                "hours": schedule.describe() if schedule else "24/7",
                "capacity": queue.capacity_per_operator,
                "priority": queue.priority,
                "overflow": queue.overflow,
                "out_of_hours": queue.out_of_hours,
            }
        )
    return out


def _queue(qid: str, table: Mapping[str, Any]) -> Queue:
    name = table.get("name", qid)
    names = dict(name) if isinstance(name, Mapping) else {"en": str(name)}
    return Queue(
        id=qid,
        names=names,
        schedule=table.get("schedule"),
        capacity_per_operator=int(table.get("capacity_per_operator", 1)),
        max_waiting=int(table["max_waiting"]) if table.get("max_waiting") is not None else None,
        priority=int(table.get("priority", 0)),
        overflow=table.get("overflow"),
        out_of_hours=str(table.get("out_of_hours", "wait")),
        callback_hours=table.get("callback_hours"),
        description=str(table.get("description", "")),
    )


def _rule(index: int, table: Mapping[str, Any]) -> Rule:
    min_level = table.get("min_risk_level")
    return Rule(
        id=str(table.get("id", f"rule{index + 1}")),
        queue=str(table["queue"]),
        priority=int(table.get("priority", 0)),
        intents=frozenset(table.get("intents", [])),
        risk_categories=frozenset(table.get("risk_categories", [])),
        risk_levels=frozenset(_LEVELS[v] for v in table.get("risk_levels", [])),
        min_risk_level=_LEVELS[min_level] if min_level else None,
        languages=frozenset(table.get("languages", [])),
        during=table.get("during"),
    )


def validate_routing(settings: Any) -> list[str]:
    """Problems in ``[queues]`` and ``[routing]`` as ``"dotted.key: problem"`` strings."""
    problems: list[str] = []
    queues = settings.raw.get("queues", {})
    routing = settings.raw.get("routing", {})
    schedules = settings.raw.get("schedules", {})
    if not isinstance(queues, Mapping):
        return ["queues: must be a table of queues"]
    if not isinstance(routing, Mapping):
        return ["routing: must be a table"]
    schedule_names = set(schedules) if isinstance(schedules, Mapping) else set()
    languages = set(settings.languages)
    texts = settings.raw.get("texts", {})

    for qid, table in queues.items():
        base = f"queues.{qid}"
        if not isinstance(table, Mapping):
            problems.append(f"{base}: must be a table")
            continue
        for key in table:
            if key not in QUEUE_KEYS:
                problems.append(f"{base}.{key}: unknown key" + _suggest(key, QUEUE_KEYS))
        name = table.get("name")
        if name is None:
            problems.append(f"{base}.name: required (what the visitor is told)")
        elif isinstance(name, Mapping):
            for lang, value in name.items():
                if lang not in languages:
                    problems.append(f"{base}.name.{lang}: language not in force.languages")
                elif not isinstance(value, str) or not value.strip():
                    problems.append(f"{base}.name.{lang}: expected a non-empty string")
            if "en" not in name:
                problems.append(f"{base}.name.en: required")
        elif not isinstance(name, str) or not name.strip():
            problems.append(f"{base}.name: expected a string or a table of languages")
        sched = table.get("schedule")
        if sched is not None and (not isinstance(sched, str) or sched not in schedule_names):
            problems.append(f"{base}.schedule: unknown schedule {sched!r}" + _suggest(str(sched), schedule_names))
        for key in ("capacity_per_operator", "priority", "max_waiting"):
            value = table.get(key, 1)
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append(f"{base}.{key}: expected an integer")
            elif key in ("capacity_per_operator", "max_waiting") and value < 1:
                problems.append(f"{base}.{key}: must be at least 1")
            elif value < 0:
                problems.append(f"{base}.{key}: must not be negative")
        overflow = table.get("overflow")
        if overflow is not None and (not isinstance(overflow, str) or overflow not in queues):
            problems.append(f"{base}.overflow: unknown queue {overflow!r}" + _suggest(str(overflow), set(queues)))
        elif overflow == qid:
            problems.append(f"{base}.overflow: a queue cannot overflow to itself")
        ooh = table.get("out_of_hours", "wait")
        if ooh not in OUT_OF_HOURS:
            problems.append(f"{base}.out_of_hours: expected one of {', '.join(OUT_OF_HOURS)}, got {ooh!r}")
        cb = table.get("callback_hours")
        if cb is not None:
            if not isinstance(cb, str) or not _has_text(texts, "en", cb):
                problems.append(f"{base}.callback_hours: no text texts.en.{cb}")
    problems.extend(_overflow_cycles(queues))

    for key in routing:
        if key not in ROUTING_KEYS:
            problems.append(f"routing.{key}: unknown key" + _suggest(key, ROUTING_KEYS))
    fallback = routing.get("fallback_queue", "contact_centre")
    if queues and fallback not in queues:
        problems.append(f"routing.fallback_queue: unknown queue {fallback!r}" + _suggest(str(fallback), set(queues)))
    if not isinstance(routing.get("high_risk_to_fallback", True), bool):
        problems.append("routing.high_risk_to_fallback: expected true or false")
    rules = routing.get("rules", [])
    if not isinstance(rules, list):
        return problems + ["routing.rules: expected a list of [[routing.rules]] tables"]
    seen_ids: set[str] = set()
    for i, rule in enumerate(rules):
        base = f"routing.rules[{i}]"
        if not isinstance(rule, Mapping):
            problems.append(f"{base}: must be a table")
            continue
        if isinstance(rule.get("id"), str):
            base = f"routing.rules[{i}] ({rule['id']})"
            if rule["id"] in seen_ids:
                problems.append(f"{base}.id: duplicate rule id")
            seen_ids.add(rule["id"])
        for key in rule:
            if key not in RULE_KEYS:
                problems.append(f"{base}.{key}: unknown key" + _suggest(key, RULE_KEYS))
        q = rule.get("queue")
        if q is None:
            problems.append(f"{base}.queue: required")
        elif q not in queues:
            problems.append(f"{base}.queue: unknown queue {q!r}" + _suggest(str(q), set(queues)))
        for key in ("intents", "risk_categories", "languages", "risk_levels"):
            value = rule.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(f"{base}.{key}: expected a list of strings")
        for level in rule.get("risk_levels", []) if isinstance(rule.get("risk_levels", []), list) else []:
            if level not in _LEVELS:
                problems.append(f"{base}.risk_levels: unknown level {level!r} (none, elevated, high, immediate)")
        level = rule.get("min_risk_level")
        if level is not None and level not in _LEVELS:
            problems.append(f"{base}.min_risk_level: unknown level {level!r} (none, elevated, high, immediate)")
        for lang in rule.get("languages", []) if isinstance(rule.get("languages", []), list) else []:
            if lang not in languages:
                problems.append(f"{base}.languages: {lang!r} is not in force.languages")
        during = rule.get("during")
        if during is not None and during not in schedule_names:
            problems.append(f"{base}.during: unknown schedule {during!r}" + _suggest(str(during), schedule_names))
        prio = rule.get("priority", 0)
        if isinstance(prio, bool) or not isinstance(prio, int) or prio < 0:
            problems.append(f"{base}.priority: expected a non-negative integer")
    return problems


def _overflow_cycles(queues: Mapping[str, Any]) -> list[str]:
    problems = []
    reported: set[frozenset[str]] = set()
    for start in queues:
        path: list[str] = []
        current: Any = start
        while isinstance(current, str) and current in queues and current not in path:
            path.append(current)
            table = queues[current]
            current = table.get("overflow") if isinstance(table, Mapping) else None
        if isinstance(current, str) and current in path and current != path[-1]:
            cycle = path[path.index(current):]
            key = frozenset(cycle)
            if key not in reported:
                reported.add(key)
                problems.append(
                    f"queues.{cycle[0]}.overflow: overflow cycle {' -> '.join(cycle + [cycle[0]])}"
                )
    return problems


def _has_text(texts: Any, lang: str, key: str) -> bool:
    node: Any = texts.get(lang, {}) if isinstance(texts, Mapping) else {}
    for part in key.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return isinstance(node, str)


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


__all__ = ["Queue", "Router", "Rule", "build_router", "describe_queues", "validate_routing", "validate_schedules"]
