"""The keyword risk plugin: normalisation, context, rule files, hooks and end-to-end decisions."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard import hookimpl
from switchboard.errors import DataError
from switchboard.plugins.risk_keywords.matcher import KeywordMatcher
from switchboard.plugins.risk_keywords.normalise import TEXT, load_lexicon, tokenise
from switchboard.plugins.risk_keywords.plugin import RULES_DIR, RiskKeywordsPlugin, build_matcher
from switchboard.plugins.risk_keywords.rules_io import load_rules, read_rule_file
from switchboard.types import RiskLevel


@pytest.fixture(scope="module")
def matcher() -> KeywordMatcher:
    m, _files = build_matcher([RULES_DIR])
    return m


def level(m: KeywordMatcher, text: str) -> str:
    return max((s.level for s in m.assess(text)), default=RiskLevel.NONE).value


def rules_hit(m: KeywordMatcher, text: str) -> set[str]:
    return {s.rule_id for s in m.assess(text)}


# --- reading what visitors write ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("some1", ["someone"]),
        ("rn", ["right", "now"]),
        ("2nite", ["tonight"]),
        ("gf", ["girlfriend"]),
        ("ppl", ["person"]),  # "people" folds to its lemma
        ("u", ["you"]),
        ("ur", ["your"]),
        ("cos", ["because"]),
        ("bf", ["boyfriend"]),
        ("knif", ["knife"]),
        ("he's", ["he", "is"]),
        ("can't", ["can", "not"]),
        ("he\u2019s", ["he", "is"]),
        ("stabbed stabbing stabs", ["stab", "stab", "stab"]),
        ("k1ll", ["kill"]),
        ("ＫＮＩＦＥ", ["knife"]),
        ("scared", ["scared"]),
    ],
)
def test_tokens_fold_text_speak_contractions_inflections_and_unicode(matcher, text, expected):
    assert [t[TEXT] for t in tokenise(text, matcher.lexicon)] == expected


def test_spans_point_back_into_the_visitors_text_even_after_unicode_folding(matcher):
    text = "HELP he\u2019s got a ｋｎｉｆｅ"
    sig = next(s for s in matcher.assess(text) if s.rule_id == "vw.weapon_present")
    assert sig.matched_text == "ｋｎｉｆｅ"


@pytest.mark.parametrize(
    ("text", "rule", "lvl"),
    [
        ("he has a knif", "vw.weapon_present", "immediate"),
        ("some1 is in my house rn", "cip.intruder", "immediate"),
        ("gonna do it 2nite, I've had enough", "sh.suicide_intent", "immediate"),
        ("my gf's ex is outside her flat banging on the door", "da.abuser_present", "immediate"),
        ("ppl fighting in the street with knives", "vw.weapon_present", "immediate"),
        ("he stabbed my brother", "vw.stabbing", "immediate"),
        ("someone's been stabbing people in the park", "vw.stabbing", "immediate"),
    ],
)
def test_text_speak_and_inflections_fire_rules(matcher, text, rule, lvl):
    assert rule in rules_hit(matcher, text)
    assert level(matcher, text) == lvl


@pytest.mark.parametrize(
    "text",
    [
        "I'm scared of the dark and can't sleep",  # "scar" must not fire in "scared"
        "we've begun the kitchen renovation",  # "gun" must not fire in "begun"
        "my son has a scar on his chin from a fall",
        "the shotgun wedding jokes were terrible at the stag do",  # not "gun"
        "I need advice about a skill course",  # "kill" not in "skill"
    ],
)
def test_word_boundaries(matcher, text):
    assert level(matcher, text) in ("none", "elevated")
    assert "vw.weapon_present" not in rules_hit(matcher, text)


# --- context: now vs past, negation, questions, idioms -----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "there's a man waving a knife in the car park as we speak",
        "my ex hit me and he's still outside",
        "my husband is kicking the door in",
        "he said he's coming back and my partner has threatened to kill me",
        "someone is trying to get in through my back door right now",
        "there's a man with a machete outside rn",
    ],
)
def test_happening_now_is_immediate(matcher, text):
    assert level(matcher, text) == "immediate"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my shed was broken into the other day", "none"),
        ("my bike was taken on Monday from outside the station", "none"),
        ("someone broke into my house, they'd gone by the time I got home", "none"),
        ("someone punched my brother at a party last week, he's fine", "elevated"),
        ("I was threatened with a knife last week", "high"),
        ("my ex hit me last month", "high"),
    ],
)
def test_already_over_is_not_immediate(matcher, text, expected):
    assert level(matcher, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a car went into a lamp post on our road, no one was injured",
        "there's a small fire in a bin on the street but there's no danger to anyone",
        "he hasn't got a knife, he was just shouting",
    ],
)
def test_negation_and_all_clear_are_not_immediate(matcher, text):
    assert level(matcher, text) != "immediate"


@pytest.mark.parametrize(
    "text",
    [
        "can I defend myself if someone attacks me at home",
        "what's the law on carrying a multitool",
        "is it legal to carry a pocket knife for fishing?",
        "what happens if someone breaks in and I hit them?",
    ],
)
def test_questions_and_hypotheticals_are_not_emergencies(matcher, text):
    assert level(matcher, text) == "none"


@pytest.mark.parametrize(
    "text",
    [
        "the traffic was murder this morning",
        "my tyres were slashed overnight",
        "we got slaughtered at football on Sunday",
        "I could kill for a coffee",
        "I'm dying to know if anyone handed my wallet in",
        "my feet are killing me after that walk to the station",
        "have a stab at guessing where the lost property office is",
    ],
)
def test_idioms_are_none(matcher, text):
    assert level(matcher, text) == "none"


def test_ambiguity_errs_to_safety(matcher):
    # both a past and a now cue: the now cue wins
    assert level(matcher, "he hit me last week and now he's outside with a knife") == "immediate"
    # no time information at all for a weapon: keep immediate
    assert level(matcher, "a man pulled a knife on me") == "immediate"


def test_self_harm_stays_with_a_person_even_when_negated_or_past(matcher):
    assert level(matcher, "I tried to kill myself two years ago and I'm struggling again") == "high"
    assert level(matcher, "I'm not going to kill myself but I can't cope") == "high"
    assert level(matcher, "I've taken all my tablets") == "immediate"


# --- signals ---------------------------------------------------------------------------------


def test_signals_carry_rule_id_category_level_and_visitor_text(matcher):
    sigs = matcher.assess("HE'S GOT A KNIF and hes outside")
    weapon = next(s for s in sigs if s.rule_id == "vw.weapon_present")
    assert weapon.category == "violence_weapons"
    assert weapon.level is RiskLevel.IMMEDIATE
    assert weapon.matched_text == "KNIF"
    assert weapon.reason == "Weapon present"


def test_downgraded_signal_reason_says_why(matcher):
    sig = next(s for s in matcher.assess("I was threatened with a knife last week") if s.rule_id == "vw.armed")
    assert sig.level is RiskLevel.HIGH
    assert sig.reason.startswith("Armed person") and "past" in sig.reason


# --- rule files ------------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


_GOOD = """
[[rule]]
id = "force.x"
category = "violence_weapons"
severity = "high"
reason = "test"
phrases = ["zorblax"]
"""


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (_GOOD.replace('reason = "test"', 'reason = "test"\ncolour = "red"'), "unknown key 'colour'"),
        (_GOOD.replace('"high"', '"urgent"'), "unknown severity 'urgent'"),
        (_GOOD.replace('"violence_weapons"', '"weather"'), "unknown category 'weather'"),
        (_GOOD.replace('["zorblax"]', "[]"), "phrases must be a non-empty list"),
        (_GOOD.replace('["zorblax"]', '["ok", "  "]'), "phrases[1] must be a non-empty string"),
        (_GOOD + _GOOD, "duplicate id"),
        (_GOOD.replace('reason = "test"', 'reason = "test"\nif_past = "later"'), "if_past must be one of"),
        (_GOOD.replace('reason = "test"', 'reason = "test"\nnear_window = 0'), "near_window"),
    ],
)
def test_rule_file_errors_name_the_file_and_rule(tmp_path, body, needle):
    path = _write(tmp_path, "force.toml", body)
    with pytest.raises(DataError) as err:
        read_rule_file(path)
    assert needle in str(err.value)
    assert str(path) in str(err.value)
    assert "'force.x'" in str(err.value)


def test_rule_without_id_is_named_by_position(tmp_path):
    path = _write(tmp_path, "bad.toml", _GOOD + _GOOD.replace('id = "force.x"\n', ""))
    with pytest.raises(DataError, match=r"bad.toml: rule #2: missing or empty id"):
        read_rule_file(path)


def test_invalid_toml_and_unknown_top_level_key(tmp_path):
    with pytest.raises(DataError, match="invalid TOML"):
        read_rule_file(_write(tmp_path, "a.toml", "[[rule]\n"))
    with pytest.raises(DataError, match="unknown top-level key"):
        read_rule_file(_write(tmp_path, "b.toml", _GOOD + "\n[rules]\nx = 1\n"))


def test_built_in_rules_are_valid_unique_and_cover_every_category():
    rules, idioms, files = load_rules([RULES_DIR])
    ids = [r.id for r in rules]
    seen: set[str] = set()
    for f in files:
        file_rules, _ = read_rule_file(f)
        for r in file_rules:
            assert r.id not in seen, f"{r.id} defined in two built-in files"
            seen.add(r.id)
    assert len(ids) == len(set(ids))
    cats = {r.category for r in rules}
    for needed in ("threat_to_life", "violence_weapons", "crime_in_progress", "self_harm", "domestic_abuse",
                   "child_safeguarding", "sexual_offence", "missing_person", "fire_medical_road", "hate_crime",
                   "exploitation", "stalking_harassment", "intimate_image_abuse", "financial_abuse"):
        assert needed in cats
        assert sum(len(r.phrases) for r in rules if r.category == needed) >= 25, needed
    assert idioms


def test_later_rule_with_same_id_overrides(tmp_path):
    override = _write(tmp_path, "o.toml", """
[[rule]]
id = "vw.weapon_present"
category = "violence_weapons"
severity = "elevated"
reason = "force override"
phrases = ["zorblax"]
""")
    m, _ = build_matcher([RULES_DIR, override])
    assert level(m, "he has a knife") != "immediate" or "vw.weapon_present" not in rules_hit(m, "he has a knife")
    sig = next(s for s in m.assess("he has a zorblax") if s.rule_id == "vw.weapon_present")
    assert sig.level is RiskLevel.ELEVATED and sig.reason == "force override"


def test_lexicon_loads():
    lex = load_lexicon()
    assert lex.replace["some1"] == ("someone",)
    assert lex.lemma["stabbing"] == "stab"
    assert "scared" not in lex.lemma


# --- hooks and end-to-end --------------------------------------------------------------------


class ForceRules:
    """A force plugin contributing its own rule file."""

    path: Path

    @hookimpl
    def register_risk_rules(self):
        return [ForceRules.path]


def test_force_rules_from_register_hook_add_and_override(sb_dispatcher, tmp_path):
    ForceRules.path = _write(tmp_path, "force_rules.toml", """
[[rule]]
id = "force.moorland_fire"
category = "fire_medical_road"
severity = "immediate"
reason = "Moorland fire (force rule)"
phrases = ["heather burning on the moor"]

[[rule]]
id = "gc.drugs"
category = "exploitation"
severity = "high"
reason = "Drug dealing (force treats as exploitation)"
phrases = ["dealing drugs"]
""")
    d = sb_dispatcher(plugins=[("force", ForceRules)])
    decision = d.triage("there's heather burning on the moor near the car park")
    assert decision.emergency is True
    sig = next(s for s in decision.signals if s.rule_id == "force.moorland_fire")
    assert sig.plugin == "risk_keywords" and sig.matched_text == "heather burning on the moor"
    decision = d.triage("lads dealing drugs by the park")
    sig = next(s for s in decision.signals if s.rule_id == "gc.drugs")
    assert sig.category == "exploitation" and sig.level is RiskLevel.HIGH


def test_extra_rules_option_and_validate_config(sb_settings, sb_dispatcher, tmp_path):
    _write(tmp_path, "extra.toml", _GOOD)
    settings = sb_settings(overrides={"plugins": {"risk_keywords": {"extra_rules": [str(tmp_path / "extra.toml")]}}})
    d = sb_dispatcher(settings=settings)
    assert any(s.rule_id == "force.x" for s in d.triage("a zorblax was left on my car").signals)
    bad = sb_settings(overrides={"plugins": {"risk_keywords": {"extra_rule": ["x"], "extra_rules": "x"}}})
    problems = RiskKeywordsPlugin().validate_config(bad)
    assert any(p.startswith("plugins.risk_keywords.extra_rule:") and "unknown key" in p for p in problems)
    assert any(p.startswith("plugins.risk_keywords.extra_rules:") for p in problems)
    missing = sb_settings(overrides={"plugins": {"risk_keywords": {"extra_rules": ["nope/nothing.toml"]}}})
    assert any("not found" in p for p in RiskKeywordsPlugin().validate_config(missing))


def test_report_health(sb_settings):
    plugin = RiskKeywordsPlugin()
    assert plugin.report_health().status == "down"
    plugin.configure(sb_settings(), {"risk_rules": [RULES_DIR]})
    report = plugin.report_health()
    assert report.status == "ok" and "rules" in report.detail and report.detail.split()[0].isdigit()


@pytest.mark.parametrize(
    ("text", "emergency", "handover"),
    [
        ("there's a bloke with a machete chasing people down my street", True, True),
        ("I've swallowed a bottle of my mum's tablets", True, True),
        ("my ex hit me last month and I'm scared of him", False, True),
        ("I want to report my purse lost on the bus", False, False),
        ("the traffic was murder, can I get a copy of my collision report", False, False),
    ],
)
def test_end_to_end_decisions(sb_dispatcher, text, emergency, handover):
    d = sb_dispatcher(disabled=["risk_ml"])
    decision = d.triage(text)
    assert decision.emergency is emergency
    assert decision.handover is handover
    if emergency:
        assert decision.replies[0].kind == "emergency"
