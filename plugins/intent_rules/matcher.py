"""One precompiled matcher for every intent rule.

All phrases (and ``unless`` phrases) of all rules go into a single Aho-Corasick automaton, so a
message is scanned once however many phrases there are; word boundaries are checked on each hit.
Regular-expression rules are compiled once each. Per-message cost is a few microseconds for a
typical chat message (measure with ``python -m switchboard.plugins.intent_rules.bench``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import ahocorasick

from switchboard.errors import DataError

from .rules_file import Rule

_FIRE = 0
_VETO = 1


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


_DIGIT = re.compile(r"\d")


def requires_digit(pattern: str, flags: int = 0) -> bool:
    """True when every match of ``pattern`` contains a decimal digit (so a text with none cannot
    match and need not be searched). Conservative: ``False`` whenever unsure."""
    try:
        from re import _constants, _parser  # what ``re`` itself compiles with

        return _needs_digit(_parser.parse(pattern, flags).data, _constants)
    except Exception:  # noqa: BLE001 - another Python's internals: simply search every text
        return False


def _needs_digit(items: Any, c: Any) -> bool:
    """A sequence needs a digit when one of its items always consumes one."""
    return any(_item_needs_digit(op, av, c) for op, av in items)


def _item_needs_digit(op: Any, av: Any, c: Any) -> bool:
    if op is c.LITERAL:
        return chr(av).isdecimal()
    if op is c.IN:  # a class of digits only (a negated class has a NEGATE item)
        return all(
            (kind is c.CATEGORY and value is c.CATEGORY_DIGIT)
            or (kind is c.LITERAL and chr(value).isdecimal())
            or (kind is c.RANGE and all(chr(v).isdecimal() for v in range(value[0], value[1] + 1)))
            for kind, value in av
        )
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        low, _high, sub = av
        return low >= 1 and _needs_digit(sub, c)
    if op is c.SUBPATTERN:
        return _needs_digit(av[-1], c)
    if op is getattr(c, "ATOMIC_GROUP", None):
        return _needs_digit(av, c)
    if op is c.BRANCH:
        return all(_needs_digit(alt, c) for alt in av[1])
    return False  # anchors, look-arounds, back-references, anything else: no digit known


@dataclass(frozen=True)
class Hit:
    """The best rule that fired for one intent."""

    intent: str
    confidence: float
    rule_id: str
    matched: str


class RuleMatcher:
    """Matches normalised text against a set of rules.

    :param rules: validated rules.
    :param force: the ``[force]`` settings section (for rules with ``force_patterns``).
    :raises DataError: when a rule names a ``force_patterns`` key that is not a list of valid
        regular expressions.
    """

    def __init__(self, rules: Sequence[Rule], force: Mapping[str, object] | None = None) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        force = force or {}
        self._automaton: ahocorasick.Automaton | None = None
        entries: dict[str, list[tuple[int, int, bool]]] = {}
        for idx, rule in enumerate(self.rules):
            for kind, phrases in ((_FIRE, rule.phrases), (_VETO, rule.unless)):
                for phrase in phrases:
                    prefix = phrase.endswith("*")
                    key = phrase[:-1].rstrip() if prefix else phrase
                    entries.setdefault(key, []).append((idx, kind, prefix))
        if entries:
            automaton = ahocorasick.Automaton()
            for key, items in entries.items():
                # left/right boundary checks apply only where the phrase edge is a word character
                automaton.add_word(key, (len(key), _is_word(key[0]), _is_word(key[-1]), tuple(items)))
            automaton.make_automaton()
            self._automaton = automaton
        self._regexes: list[tuple[int, re.Pattern[str], bool]] = []
        for idx, rule in enumerate(self.rules):
            patterns = list(rule.patterns)
            if rule.force_patterns:
                configured = force.get(rule.force_patterns)
                if not isinstance(configured, list) or not all(isinstance(p, str) for p in configured):
                    raise DataError(
                        f"{rule.origin}.force_patterns",
                        f"force.{rule.force_patterns} is not a list of regular expressions in the config",
                    )
                patterns.extend(configured)
            if not patterns:
                continue
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise DataError(f"{rule.origin}.force_patterns", f"invalid pattern {pattern!r}: {exc}") from None
            # one compiled alternation per rule: one search per rule, not per pattern
            combined = "|".join(f"(?:{p})" for p in patterns)
            self._regexes.append((idx, re.compile(combined, re.IGNORECASE), requires_digit(combined, re.IGNORECASE)))

    def fired(self, text: str) -> dict[int, str]:
        """Indices of the rules that fire on ``text`` (already normalised), with the matched text."""
        fired: dict[int, str] = {}
        vetoed: set[int] = set()
        if self._automaton is not None and text:
            n = len(text)
            for end, (length, check_left, check_right, items) in self._automaton.iter(text):
                start = end - length + 1
                if check_left and start > 0 and _is_word(text[start - 1]):
                    continue
                bounded = not check_right or end + 1 >= n or not _is_word(text[end + 1])
                for idx, kind, prefix in items:
                    if not (bounded or prefix):
                        continue
                    if kind == _VETO:
                        vetoed.add(idx)
                    elif idx not in fired:
                        fired[idx] = text[start:end + 1]
        has_digit: bool | None = None
        for idx, regex, needs_digit in self._regexes:
            if idx in fired:
                continue
            if needs_digit:  # e.g. crime references: a text without a digit cannot match
                if has_digit is None:
                    has_digit = _DIGIT.search(text) is not None
                if not has_digit:
                    continue
            m = regex.search(text)
            if m:
                fired[idx] = m.group(0)
        for idx in vetoed:
            fired.pop(idx, None)
        return fired

    def best_per_intent(self, text: str) -> list[Hit]:
        """The highest-confidence firing rule per intent, best first (ties: first rule loaded)."""
        best: dict[str, Hit] = {}
        for idx, matched in sorted(self.fired(text).items()):
            rule = self.rules[idx]
            current = best.get(rule.intent)
            if current is None or rule.confidence > current.confidence:
                best[rule.intent] = Hit(rule.intent, rule.confidence, rule.id, matched)
        return sorted(best.values(), key=lambda h: -h.confidence)

    @property
    def intents(self) -> set[str]:
        return {r.intent for r in self.rules}


def build(rules: Iterable[Rule], force: Mapping[str, object] | None = None) -> RuleMatcher:
    """Compile ``rules`` into a :class:`RuleMatcher`."""
    return RuleMatcher(list(rules), force)
