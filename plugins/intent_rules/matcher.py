"""One precompiled matcher for every intent rule.

All phrases (and ``unless`` phrases) of all rules go into a single Aho-Corasick automaton, so a
message is scanned once however many phrases there are; word boundaries are checked on each hit.
Regular-expression rules are compiled once each. Per-message cost is a few microseconds for a
typical chat message (measure with ``python -m switchboard.plugins.intent_rules.bench``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import ahocorasick

from switchboard.errors import DataError

from .rules_file import Rule

_FIRE = 0
_VETO = 1


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


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
        self._regexes: list[tuple[int, re.Pattern[str]]] = []
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
            self._regexes.append((idx, re.compile(combined, re.IGNORECASE)))

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
        for idx, regex in self._regexes:
            if idx in fired:
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
