"""Welsh danger-now phrases, Welsh now / past / question cues, Welsh false friends, and the
precision constraints added on 2026-11-27 (rules that over-diverted on the training data)."""

from __future__ import annotations

import pytest

from switchboard.plugins.risk_keywords.plugin import RULES_DIR, build_matcher


@pytest.fixture(scope="module")
def matcher():
    m, _files = build_matcher([RULES_DIR])
    return m


def _level(matcher, text: str) -> str:
    signals = matcher.assess(text)
    return max((s.level for s in signals), default=None).value if signals else "none"


@pytest.mark.parametrize("text", [
    "Mae rhywun yn trio torri i mewn!",
    "mae rhywun yn y tŷ, dw i'n cuddio lan staer",
    "mae rhywun yn y ty nawr",
    "mae ganddo gyllell ac mae e tu allan",
    "mae dyn yn chwifio cyllell ar y stryd",
    "mae gwn gyda fe",
    "mae e'n fy nharo i",
    "maen nhw'n ymosod ar fy mrawd",
    "dw i eisiau lladd fy hun",
    "dw i wedi cymryd tabledi",
    "mae tân yn y gegin",
    "mae'r tŷ drws nesa ar dân",
    "helpwch fi",
    "help, mae rhywun yn y ty",
    "mae fy mhlentyn ar goll",
    "mae e'n fy nharo i ar hyn o bryd",
    "dwi isio lladd fy hun rŵan",
])
def test_welsh_danger_now_diverts(matcher, text: str) -> None:
    assert _level(matcher, text) == "immediate"


@pytest.mark.parametrize("text", [
    "roedd rhywun yn trio torri i mewn ddoe",
    "ymosod arna i wythnos diwethaf, dw i'n iawn",
    "dw i'n saff nawr ond roedd e'n fy nharo i wythnos diwethaf",
])
def test_welsh_past_cues_lower_to_a_human_not_999(matcher, text: str) -> None:
    assert _level(matcher, text) == "high"


@pytest.mark.parametrize("text", [
    "mae hyn yn od iawn",             # od = odd, not an overdose
    "gwn, diolch yn fawr",            # gwn = I know
    "rydyn ni ar agor tan bump",      # tan = until
    "mae fy ffôn ar goll",            # a lost phone
    "I need help with my DBS check",  # English 'help' stays routine
    "ydy hi'n gyfreithlon cario cyllell bysgota?",
    "bore da, mae gen i gwestiwn am drwydded gwn",
])
def test_welsh_false_friends_and_questions_do_not_divert(matcher, text: str) -> None:
    assert _level(matcher, text) != "immediate"


@pytest.mark.parametrize("text, expected", [
    # remote harassment and received threats go to a human, not 999
    ("I reported harassment before and it's got worse, he's now messaging my kids", "high"),
    ("I've received a death threat in the post", "high"),
    # a state, not an act now
    ("im having a bad week and the voices tell me to hurt myself", "high"),
    ("i've been thinking about ending my life but i'm safe tonight, i'm staying at my sister's", "high"),
])
def test_constrained_rules(matcher, text: str, expected: str) -> None:
    assert _level(matcher, text) == expected


def test_stopped_scam_does_not_divert(matcher) -> None:
    assert _level(matcher, "my mum was about to buy gift cards for hmrc but the shop assistant stopped her") != "immediate"


@pytest.mark.parametrize("text", [
    "my stalker is at my door right now",
    "there's a man who's been stalking me for months and he's outside my house right now",
    "I'm getting death threats and he's outside my house now",
    "my neighbour is having a fit on the floor",
    "my nan's been told to withdraw £5000 and a courier is coming to collect it in 10 minutes",
])
def test_constraints_keep_danger_now(matcher, text: str) -> None:
    assert _level(matcher, text) == "immediate"
