"""Built-in plugin: when a chat goes to a person.

Votes through ``decide_escalation`` (collect-all; any ``handover=True`` vote hands over). Every
threshold is configuration (``[escalation]`` in the force file), so a force tunes it without code:

* risk at or above ``handover_risk_level`` (default ``high``);
* any signal whose category is in ``safeguarding_categories`` at or above ``elevated``;
* ``max_misunderstood`` messages in a row the bot could not use;
* ``max_no_progress`` turns without journey progress;
* the visitor asking for a person (the "Talk to a person" button or words like "real person");
* frustration (``frustration_phrases``) seen ``max_frustration`` times;
* a journey that ends in a handover (for example a follow-up that needs identity checks:
  no case details are given in chat before a person has verified who they are).

The ``trylast`` marker keeps force plugins' votes first in the record.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import ahocorasick

from switchboard import hookimpl
from switchboard.types import EscalationContext, EscalationVote, RiskLevel

DEFAULTS: dict[str, Any] = {
    "handover_risk_level": "high",
    "safeguarding_categories": [
        "domestic_abuse", "child_safeguarding", "sexual_offence", "missing_person", "self_harm",
        "exploitation", "hate_crime", "stalking_harassment", "intimate_image_abuse", "financial_abuse",
    ],
    "max_misunderstood": 2,
    "max_no_progress": 6,
    "max_frustration": 2,
    "human_phrases": [
        "speak to a person", "speak to someone", "talk to a person", "talk to someone", "talk to a human",
        "speak to a human", "real person", "actual person", "human please", "a human", "an operator",
        "speak to an officer", "talk to an officer", "speak to a real", "talk to a real", "live agent",
        "siarad â pherson", "siarad gyda pherson", "siarad â rhywun", "person go iawn",
    ],
    "frustration_phrases": [
        "useless", "not helping", "pointless", "waste of time", "this is ridiculous", "stupid bot",
        "for god's sake", "ffs", "you're not listening", "not listening", "already told you",
        "i just said", "rubbish bot", "di-werth",
    ],
}

_LEVELS = {lvl.value: lvl for lvl in RiskLevel}


def _phrase_regex(phrases: list[str]) -> re.Pattern[str]:
    alternatives = sorted((re.escape(p.casefold()) for p in phrases), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


class _Phrases:
    """Whether a (case-folded) text contains one of ``phrases`` as whole words.

    The word-bounded regular expression decides; it runs only when an Aho-Corasick automaton
    (one pass over the text) has seen one of the phrases at all, which most messages do not
    contain, so the answer is the expression's and the cost is the automaton's.
    """

    def __init__(self, phrases: list[str]) -> None:
        self.regex = _phrase_regex(phrases)
        folded = [p.casefold() for p in phrases]
        self.automaton: Any = None
        if folded and all(folded):  # an empty phrase matches in ways no substring test sees
            self.automaton = ahocorasick.Automaton()
            for phrase in folded:
                self.automaton.add_word(phrase, phrase)
            self.automaton.make_automaton()

    def search(self, text: str) -> bool:
        if self.automaton is not None:
            for _found in self.automaton.iter(text):
                break
            else:
                return False
        return self.regex.search(text) is not None


class EscalationPlugin:
    """Default escalation thresholds (configurable under ``[escalation]``)."""

    def __init__(self) -> None:
        self.options: dict[str, Any] = dict(DEFAULTS)
        self._human = _Phrases(DEFAULTS["human_phrases"])
        self._frustration = _Phrases(DEFAULTS["frustration_phrases"])
        self._safeguarding = frozenset(DEFAULTS["safeguarding_categories"])

    @hookimpl
    def validate_config(self, settings: Any) -> list[str]:
        section: Mapping[str, Any] = settings.section("escalation")
        problems = []
        for key, value in section.items():
            if key not in DEFAULTS:
                problems.append(f"escalation.{key}: unknown key")
                continue
            expected = type(DEFAULTS[key])
            if isinstance(value, bool) or not isinstance(value, expected):
                problems.append(f"escalation.{key}: expected {expected.__name__}")
        level = section.get("handover_risk_level", "high")
        if level not in ("elevated", "high", "immediate"):
            problems.append("escalation.handover_risk_level: must be elevated, high or immediate")
        for key in ("max_misunderstood", "max_no_progress", "max_frustration"):
            value = section.get(key, 1)
            if isinstance(value, int) and value < 1:
                problems.append(f"escalation.{key}: must be at least 1")
        return problems

    @hookimpl
    def configure(self, settings: Any) -> None:
        self.options = {**DEFAULTS, **dict(settings.section("escalation"))}
        self._human = _Phrases(self.options["human_phrases"])
        self._frustration = _Phrases(self.options["frustration_phrases"])
        self._safeguarding = frozenset(self.options["safeguarding_categories"])

    @hookimpl(trylast=True)
    def decide_escalation(self, context: EscalationContext) -> list[EscalationVote] | None:
        """Every threshold that is crossed votes, so the record shows all the reasons."""
        opts = self.options
        state = context.state
        text = context.message.normalised
        votes: list[EscalationVote] = []
        threshold = _LEVELS[opts["handover_risk_level"]]
        if context.risk_level >= threshold and context.risk_level >= RiskLevel.HIGH:
            reason = "risk_immediate" if context.risk_level is RiskLevel.IMMEDIATE else "risk_high"
            votes.append(EscalationVote(True, reason, f"risk level {context.risk_level.value}",
                                        priority=context.risk_level.rank))
        safeguarding = self._safeguarding
        hit = next((s for s in context.signals if s.category in safeguarding and s.level >= RiskLevel.ELEVATED), None)
        if hit is not None:
            votes.append(EscalationVote(True, "safeguarding", hit.category, priority=2))
        if context.message.choice == "human" or state.asked_for_human or (text and self._human.search(text)):
            votes.append(EscalationVote(True, "asked_for_human", "the visitor asked for a person", priority=1))
        if state.outcome == "handover":
            votes.append(EscalationVote(True, "journey_handover", state.journey_handover or "journey outcome",
                                        priority=1))
        if state.misunderstood >= opts["max_misunderstood"]:
            votes.append(EscalationVote(True, "misunderstood",
                                        f"{state.misunderstood} messages in a row not understood", priority=1))
        if state.no_progress >= opts["max_no_progress"]:
            votes.append(EscalationVote(True, "no_progress", f"{state.no_progress} turns without progress", priority=1))
        if text and self._frustration.search(text):
            count = 1 + sum(1 for earlier in context.message.history if self._frustration.search(earlier.casefold()))
            if count >= opts["max_frustration"]:
                votes.append(EscalationVote(True, "frustration", f"frustration seen {count} times", priority=1))
        return votes or None
