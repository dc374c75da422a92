"""The escalation plugin's phrase checks: the automaton pre-check never changes an answer."""

from __future__ import annotations

import csv

import pytest

from switchboard.plugins.escalation.plugin import DEFAULTS, EscalationPlugin, _phrase_regex, _Phrases
from switchboard.text import normalise
from switchboard.types import ConversationState, EscalationContext, Message, RiskLevel

CRAFTED = [
    "", "a", "can i talk to a person please", "i want to talk to a personal trainer", "TALK TO A PERSON",
    "this bot is useless!!!", "uselessness", "ffs", "ffs.", "offs", "i just said that", "human please.",
    "is there a human?", "a humane society", "speak to an operator-now", "siarad â pherson os gwelwch yn dda",
    "real person", "unreal personas", "not helping at all", "not listening", "you're not listening",
]


def _training_texts(every: int = 5) -> list[str]:
    from switchboard.training.paths import DEFAULT_TRAIN

    texts: list[str] = []
    for path in DEFAULT_TRAIN.values():
        with open(path, encoding="utf-8", newline="") as fh:
            texts += [row["text"] for row in csv.DictReader(fh)][::every]
    return texts


@pytest.mark.parametrize("key", ["human_phrases", "frustration_phrases"])
def test_phrase_check_answers_as_the_word_bounded_expression(key):
    phrases = _Phrases(DEFAULTS[key])
    regex = _phrase_regex(DEFAULTS[key])
    texts = [normalise(t) for t in CRAFTED + _training_texts()]
    assert len(texts) > 500
    found = 0
    for text in texts:
        assert phrases.search(text) is (regex.search(text) is not None), text
        found += phrases.search(text)
    assert found >= 3


def test_phrase_lists_with_an_empty_phrase_or_none_keep_the_expressions_answer():
    for phrases in ([], [""], ["", "help me"]):
        check, regex = _Phrases(phrases), _phrase_regex(phrases)
        for text in ("", "!", "hi there", "please help me now"):
            assert check.search(text) is (regex.search(text) is not None)


def _context(text: str, history: tuple[str, ...] = ()) -> EscalationContext:
    state = ConversationState()
    message = Message(text=text, normalised=normalise(text), history=history, state=state)
    return EscalationContext(message=message, state=state, risk_level=RiskLevel.NONE, signals=(), intent=None, slots={})


def test_votes_for_asking_for_a_person_and_for_repeated_frustration(sb_settings):
    plugin = EscalationPlugin()
    plugin.configure(settings=sb_settings())
    votes = plugin.decide_escalation(context=_context("Can I talk to a PERSON please"))
    assert [v.reason for v in votes] == ["asked_for_human"]
    assert plugin.decide_escalation(context=_context("I'd like a personal alarm")) is None
    assert plugin.decide_escalation(context=_context("this is useless")) is None  # once is not enough
    votes = plugin.decide_escalation(context=_context("still useless", history=("USELESS bot",)))
    assert [v.reason for v in votes] == ["frustration"]
