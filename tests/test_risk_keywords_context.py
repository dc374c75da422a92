"""Context handling of the keyword rules: habits, safe-now cues, negated now cues, gerunds,
progressives near the phrase, and paraphrases of danger now without fixed keywords.

Messages are written for this test (not taken from the training or evaluation data).
"""

from __future__ import annotations

import pytest

from switchboard.plugins.risk_keywords.plugin import RULES_DIR, build_matcher
from switchboard.types import RiskLevel


@pytest.fixture(scope="module")
def matcher():
    return build_matcher([RULES_DIR])[0]


def _level(matcher, text: str) -> str:
    return max((s.level for s in matcher.assess(text)), default=RiskLevel.NONE).value


@pytest.mark.parametrize("text", [
    # habitual, not said to be happening now
    "my ex keeps following me to the gym and it's scaring me",
    "people keep stealing plant pots from the front gardens on our road",
    "my boyfriend slaps me when he's drunk, he's not here right now",
    # the person is safe / the danger is over; a now cue inside a safe cue does not count
    "I'm not in danger but my ex sent threatening texts about harassment",
    "my partner threatened to kill me last month, he is out right now at work",
    # gerund after a preposition or habit verb is not a progressive
    "he's been arrested before for hitting me and now he messages me",
    "I keep having thoughts of jumping in front of a train, not today though",
])
def test_not_diverted(matcher, text: str) -> None:
    assert _level(matcher, text) != "immediate", [(s.rule_id, s.level.value, s.reason) for s in matcher.assess(text)]


@pytest.mark.parametrize("text", [
    "he's gone but says he's coming back tonight",
    "he's gone but says he's coming back tonight to finish what he started",
    "someone's in the garden trying the door",
    "I can hear them downstairs, I'm hiding upstairs",
    "he isn't moving and there's blood",
    "she's not breathing",
    "car in the canal with someone in it",
    "took the whole packet about half an hour ago",
    "said goodbye to everyone, i'm standing on the bridge",
    "he's kicking off again and the kids are here",
    "locked myself in the bathroom, he's trying to get in",
    "my 7 year old has wandered off at the park",
    "mum with dementia isn't in the house and it's dark",
    "THERE IS A MAN THREATENING TO KILL MY DAD IN THE GARDEN RIGHT NOW",
    # a progressive close to the phrase beats a past cue further away
    "lost my bag on the bus earlier. also my neighbour is having a fit on the floor outside",
])
def test_diverted(matcher, text: str) -> None:
    assert _level(matcher, text) == "immediate", [(s.rule_id, s.level.value, s.reason) for s in matcher.assess(text)]


def test_habit_stays_high_until_a_now_cue_raises_it(matcher) -> None:
    assert _level(matcher, "my ex keeps turning up at my work") == "high"
    assert _level(matcher, "my ex keeps turning up at my work and he's in the car park right now") == "immediate"
