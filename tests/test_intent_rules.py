"""The intent_rules plugin: rule validation, matching, config and the end-to-end vote."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.errors import DataError, PluginError
from switchboard.plugins.intent_rules.plugin import RULES_DIR, IntentRulesPlugin
from switchboard.plugins.intent_rules.rules_file import load_rule_file, load_rules
from switchboard.text import normalise
from switchboard.types import DEFAULT_INTENTS, OUT_OF_SCOPE, Message

INTENTS = (*DEFAULT_INTENTS, OUT_OF_SCOPE)

#: One clear first message per intent, with the rule expected to fire.
CLEAR = {
    "anti_social_behaviour": "Kids on off-road bikes tearing round the rec again every evening",
    "neighbourhood_concern": "pretty sure theres drug dealing going on from the flat opposite",
    "information_sharing": "I want to give information anonymously about someone selling stolen tools",
    "follow_up": "hi any update on my report? crime ref 12345/23",
    "crime_report": "My shed was broken into last night and they took the lawnmower",
    "lost_found_property": "I think I lost my wallet on the number 12 bus yesterday",
    "road_traffic": "I have dashcam footage of a car going through a red light",
    "fraud_scam": "Got scammed buying a PS5 on facebook marketplace, seller blocked me",
    "general_enquiry": "How long does a shotgun certificate renewal take?",
    "out_of_scope": "what day is my bin collection this week",
}


def _msg(text: str) -> Message:
    return Message(text=text, normalised=normalise(text))


@pytest.fixture
def plugin(sb_settings) -> IntentRulesPlugin:
    p = IntentRulesPlugin()
    p.configure(settings=sb_settings(), contributions={})
    return p


def _write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


# -- rule files --------------------------------------------------------------------------------


def test_builtin_rule_files_load_and_cover_every_intent() -> None:
    rules = load_rules([RULES_DIR], [], INTENTS)
    assert {r.intent for r in rules} == set(INTENTS)
    assert len({r.id for r in rules}) == len(rules)
    assert all(0.0 < r.confidence <= 1.0 for r in rules)


@pytest.mark.parametrize(
    ("body", "where", "problem"),
    [
        ('intent = "road_trafic"\n[[rules]]\nid = "x.a"\nconfidence = 0.9\nphrases = ["a"]\n', "intent", "road_traffic"),
        ('intent = "road_traffic"\n[[rules]]\nid = "x.a"\nconfidence = 1.5\nphrases = ["a"]\n', "rules[0].confidence", "(0, 1]"),
        ('intent = "road_traffic"\n[[rules]]\nid = "x.a"\nconfidence = 0.9\nphrase = ["a"]\n', "rules[0].phrase", "phrases"),
        ('intent = "road_traffic"\n[[rules]]\nid = "x.a"\nconfidence = 0.9\npatterns = ["(unclosed"]\n', "rules[0].patterns[0]", "invalid regular expression"),
        ('intent = "road_traffic"\n[[rules]]\nid = "x.a"\nconfidence = 0.9\n', "rules[0]", "at least one of"),
        ('intent = "road_traffic"\n[[rules]]\nid = "x.a"\nconfidence = 0.9\nphrases = ["ok", "  "]\n', "rules[0].phrases[1]", "empty phrase"),
        ('intent = "road_traffic"\n[[rules]]\nid = "x.a"\nconfidence = 0.9\nphrases = ["a*b"]\n', "rules[0].phrases[0]", "'*'"),
        ('intent = "road_traffic"\n[[rules]]\nid = "X A"\nconfidence = 0.9\nphrases = ["a"]\n', "rules[0].id", "lower-case id"),
        ('intent = "road_traffic"\n[[rules]]\nid = "x.a"\nconfidence = 0.9\nphrases = ["a"]\n'
         '[[rules]]\nid = "x.a"\nconfidence = 0.8\nphrases = ["b"]\n', "rules[1].id", "duplicate rule id"),
        ('intent = "road_traffic"\n', "rules", "at least one"),
        ('intent = "road_traffic"\nrule = []\n', "rule", "unknown key"),
        ('intent = "road_traffic"\n[[rules]\n', "", "invalid TOML"),
    ],
)
def test_rule_file_errors_name_file_and_key(tmp_path: Path, body: str, where: str, problem: str) -> None:
    path = _write(tmp_path, "bad.toml", body)
    with pytest.raises(DataError) as info:
        load_rule_file(path, INTENTS)
    assert str(path) in info.value.location
    assert info.value.location.endswith(where)
    assert problem in info.value.problem


def test_missing_force_patterns_key_is_a_data_error(tmp_path: Path, sb_settings) -> None:
    rules = _write(tmp_path, "x.toml", 'intent = "follow_up"\n[[rules]]\nid = "x.ref"\nconfidence = 0.9\nforce_patterns = "nope"\n')
    p = IntentRulesPlugin()
    with pytest.raises(DataError, match=r"x\.toml: rules\[0\]\.force_patterns"):
        p.configure(settings=sb_settings(overrides={"plugins": {"intent_rules": {"extra_rules": [str(rules)]}}}), contributions={})


# -- matching ----------------------------------------------------------------------------------


@pytest.mark.parametrize("intent", sorted(CLEAR))
def test_each_intent_has_a_firing_example(plugin: IntentRulesPlugin, intent: str) -> None:
    scores = plugin.categorise_intent(_msg(CLEAR[intent]))
    assert scores, CLEAR[intent]
    assert scores[0].intent == intent
    assert scores[0].source.startswith(intent + ".")
    assert scores[0].confidence >= 0.8


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("ANY UPDATE ON MY CASE PLS", "follow_up"),
        ("I\u2019ve lost my keys somewhere in town", "lost_found_property"),  # curly apostrophe
        ("a scammer rang pretending to be HMRC", "fraud_scam"),  # prefix phrase "scam*"
        ("there's an abandoned car on our road for weeks", "road_traffic"),
    ],
)
def test_normalised_variants_match(plugin: IntentRulesPlugin, text: str, intent: str) -> None:
    scores = plugin.categorise_intent(_msg(text))
    assert scores and scores[0].intent == intent


@pytest.mark.parametrize(
    "text",
    [
        "my dbsu login isn't working",  # "dbs" inside a longer word
        "I'm a pasbo",  # "asb" inside a word
        "the outsorned parcel",  # "sorn" inside a word
        "bascamp for kids",  # "scam*" needs a word start
    ],
)
def test_phrases_respect_word_boundaries(plugin: IntentRulesPlugin, text: str) -> None:
    assert plugin.categorise_intent(_msg(text)) is None


def test_unless_phrases_silence_a_rule(plugin: IntentRulesPlugin) -> None:
    assert plugin.categorise_intent(_msg("honestly i've lost my patience with the council")) is None
    scores = plugin.categorise_intent(_msg("I lost my passport on holiday, what do I do"))
    assert scores and scores[0].intent == "general_enquiry"


@pytest.mark.parametrize(
    "text",
    [
        "hello",
        "hi there, can you help me please",
        "I need to speak to someone about something",
        "lost my phone, think someone might have stolen it",  # lost vs theft
        "",
    ],
)
def test_abstains_when_unsure(plugin: IntentRulesPlugin, text: str) -> None:
    assert plugin.categorise_intent(_msg(text)) is None


def test_conflict_margin_decides_abstention(sb_settings) -> None:
    # theft (crime_report 0.85) and fraud (fraud_scam 0.9) both fire: too close to call by default
    text = "my wallet was stolen from my bag and then someone used my card online, total fraud"
    default = IntentRulesPlugin()
    default.configure(settings=sb_settings(), contributions={})
    assert default.categorise_intent(_msg(text)) is None
    lenient = IntentRulesPlugin()
    lenient.configure(settings=sb_settings(overrides={"plugins": {"intent_rules": {"conflict_margin": 0.0}}}), contributions={})
    scores = lenient.categorise_intent(_msg(text))
    assert [s.intent for s in scores] == ["fraud_scam", "crime_report"]


def test_follow_up_outranks_the_crime_it_follows(plugin: IntentRulesPlugin) -> None:
    scores = plugin.categorise_intent(_msg("I reported my bike was stolen, any update on my report?"))
    assert [s.intent for s in scores][:2] == ["follow_up", "crime_report"]


@pytest.mark.parametrize(
    "text",
    [
        "47/11111/25 the dashcam footage of the hit and run, has anyone looked at it",  # ref beats road_traffic 0.9
        "still waiting to hear about the dashcam footage i submitted in october",  # dashcam rule silenced
        "my dad reported a fraud last month and nobody's been in touch since",  # fraud rule silenced
    ],
)
def test_an_existing_report_beats_the_matter_it_is_about(plugin: IntentRulesPlugin, text: str) -> None:
    scores = plugin.categorise_intent(_msg(text))
    assert scores and scores[0].intent == "follow_up", text


@pytest.mark.parametrize(
    ("text", "not_intent"),
    [
        ("a lad I know has admitted to me he did the hit and run on the high street", "road_traffic"),
        ("there's a woman wanted in connection with the shoplifting at the Co-op living on my road", "crime_report"),
        ("hello can I pass on information I have about a fraud at my workplace", "fraud_scam"),
    ],
)
def test_someone_elses_crime_is_not_voted_as_the_crime(plugin: IntentRulesPlugin, text: str, not_intent: str) -> None:
    # information about another person's offending: information_sharing wins or the rules abstain
    scores = plugin.categorise_intent(_msg(text)) or []
    top = scores[0].intent if scores else None
    assert top != not_intent and top in (None, "information_sharing"), (text, scores)


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("I gave them a code and now I've lost £1200 from my account", "lost_found_property"),
        ("found a set of car keys on the pavement outside the dentist", "out_of_scope"),
        ("lost my passport and my wallet in town, really want the wallet back", "general_enquiry"),
        ("what are the opening hours for handing in found property", "general_enquiry"),
        ("quad bike being ridden on the main road with no plates", "anti_social_behaviour"),
    ],
)
def test_unless_phrases_stop_known_misfires(plugin: IntentRulesPlugin, text: str, wrong: str) -> None:
    scores = plugin.categorise_intent(_msg(text)) or []
    assert wrong not in [s.intent for s in scores[:1]], (text, scores)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("how do I apply for a provisional driving licence", "out_of_scope"),
        ("the street light outside our house has been out for a fortnight", "out_of_scope"),
        ("we found an old shotgun and cartridges in my late dad's loft, how do we hand them in", "general_enquiry"),
        ("what happens to property taken as evidence once the case is over", "general_enquiry"),
        ("I overheard two lads on the bus planning to rob the garage on Friday", "information_sharing"),
        ("my neighbour is out on tag and keeps breaking his curfew", "information_sharing"),
        ("what's the crime rate like round Fairfield, thinking of moving", "neighbourhood_concern"),
        ("I got mugged outside the station on Saturday, they took my phone", "crime_report"),
    ],
)
def test_high_precision_rules_added_from_error_analysis(plugin: IntentRulesPlugin, text: str, intent: str) -> None:
    scores = plugin.categorise_intent(_msg(text))
    assert scores and scores[0].intent == intent, (text, scores)


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("a man was waving an old shotgun about in the street earlier", "general_enquiry"),  # a weapon in use
        ("the street light got smashed by youths again last night", "out_of_scope"),  # damage, not a council question
        ("my bike got stolen, I overheard the lads who took it talking about it", "information_sharing"),  # own crime
        ("can I get some information about the bin collection days", "information_sharing"),  # asking, not sharing
        ("my friend said the scheme is called Clare's Law, how do I apply", "information_sharing"),  # not a name
    ],
)
def test_new_rules_stay_silent_where_they_would_be_wrong(plugin: IntentRulesPlugin, text: str, wrong: str) -> None:
    scores = plugin.categorise_intent(_msg(text)) or []
    assert not scores or scores[0].intent != wrong, (text, scores)


def test_rules_precision_on_the_training_data(plugin: IntentRulesPlugin) -> None:
    """Where the rules vote, their best vote agrees with the project's label on >= 95% of the
    training rows (bench/intent_error_analysis.py reports the same figure per intent)."""
    import csv

    data = Path(__file__).resolve().parents[1] / "training" / "data" / "intent_train.csv"
    with data.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fired = right = 0
    for row in rows:
        scores = plugin.categorise_intent(_msg(row["text"]))
        if scores:
            fired += 1
            right += scores[0].intent == row["label"]
    assert fired >= 0.15 * len(rows)  # the rules answer a real share of messages
    assert right / fired >= 0.95


# -- crime references from config --------------------------------------------------------------


def test_crime_reference_patterns_come_from_force_config(sb_settings) -> None:
    text = "ref XY-778899 please"
    demo = IntentRulesPlugin()
    demo.configure(settings=sb_settings(), contributions={})
    assert demo.categorise_intent(_msg(text)) is None
    assert demo.categorise_intent(_msg("47/11111/25"))[0].intent == "follow_up"

    custom = IntentRulesPlugin()
    custom.configure(settings=sb_settings(force__crime_reference_patterns=[r"\bXY-\d{6}\b"]), contributions={})
    scores = custom.categorise_intent(_msg(text))
    assert scores and scores[0].intent == "follow_up" and scores[0].source == "follow_up.crime_reference"
    assert scores[0].confidence == pytest.approx(1.0)  # a reference beats every other rule
    assert custom.categorise_intent(_msg("47/11111/25")) is None  # demo format no longer configured


# -- options -----------------------------------------------------------------------------------


def test_validate_config_reports_unknown_and_bad_options(sb_settings) -> None:
    settings = sb_settings(overrides={"plugins": {"intent_rules": {
        "extra_rulez": ["x"], "conflict_margin": 2, "disabled_rules": "road_traffic.dashcam",
        "extra_rules": ["/nonexistent/rules.toml"],
    }}})
    problems = IntentRulesPlugin().validate_config(settings=settings)
    joined = "\n".join(problems)
    assert "plugins.intent_rules.extra_rulez: unknown key" in joined
    assert "plugins.intent_rules.conflict_margin:" in joined
    assert "plugins.intent_rules.disabled_rules:" in joined
    assert "plugins.intent_rules.extra_rules[0]:" in joined
    assert IntentRulesPlugin().validate_config(settings=sb_settings()) == []


def test_extra_rules_override_and_disable(tmp_path: Path, sb_settings) -> None:
    extra = _write(tmp_path, "force_rules.toml", (
        'intent = "neighbourhood_concern"\n'
        '[[rules]]\nid = "neighbourhood_concern.quarry"\nconfidence = 0.9\nphrases = ["the old quarry"]\n'
        '[[rules]]\nid = "road_traffic.dashcam"\nconfidence = 0.5\nphrases = ["never said by anyone"]\n'
    ))
    settings = sb_settings(overrides={"plugins": {"intent_rules": {
        "extra_rules": [str(extra)], "disabled_rules": ["fraud_scam.named"]}}})
    p = IntentRulesPlugin()
    assert p.validate_config(settings=settings) == []
    p.configure(settings=settings, contributions={})
    assert p.categorise_intent(_msg("people hanging round the old quarry at night"))[0].intent == "neighbourhood_concern"
    assert p.categorise_intent(_msg("dashcam footage of a driver")) is None  # built-in rule replaced
    assert p.categorise_intent(_msg("i got scammed")) is None  # rule disabled


# -- end to end --------------------------------------------------------------------------------


def test_dispatcher_ranks_rule_intent_first(sb_dispatcher) -> None:
    d = sb_dispatcher()  # every built-in plugin, as deployed (one build: it is the slow part)
    wrong = {}
    for intent, text in CLEAR.items():
        result = d.categorise_intent(message=d.make_message(text))
        if result.intent != intent or result.clarify or result.candidates[0].plugin != "intent_rules":
            wrong[intent] = (result.intent, result.clarify, result.candidates[0].plugin if result.candidates else None)
    assert wrong == {}
    ambiguous = d.categorise_intent(message=d.make_message("lost my phone, think someone might have stolen it"))
    assert all(c.plugin != "intent_rules" for c in ambiguous.candidates)


def test_bad_extra_rule_file_stops_start_up_naming_it(tmp_path: Path, sb_dispatcher, sb_settings) -> None:
    bad = _write(tmp_path, "broken.toml", 'intent = "follow_up"\n[[rules]]\nid = "x.y"\nconfidence = "high"\nphrases = ["a"]\n')
    settings = sb_settings(overrides={"plugins": {"intent_rules": {"extra_rules": [str(bad)]}}})
    with pytest.raises(PluginError, match=r"broken\.toml: rules\[0\]\.confidence"):
        sb_dispatcher(settings=settings)


@pytest.mark.parametrize(
    ("pattern", "needs"),
    [
        (r"\b\d{5}/\d{2}\b", True), (r"(?:\b\d{5}/\d{2}\b)|(?:\bCRN\s?\d{8}\b)", True), (r"(?>\d+)", True),
        (r"(?i)crn ?[0-9]{8}", True), (r"(\d)\1", True), (r"(?:x\d|\d)", True),
        (r"\bCRN\s?\d{0,8}\b", False), (r"abc", False), (r"[^0-9]", False), (r"(a|1)", False), (r"\d*", False),
        (r"[0-5a]", False), (r"\D", False), (r"(?=\d)x", False), ("(", False),
    ],
)
def test_requires_digit_is_true_only_when_every_match_has_a_digit(pattern, needs):
    import re

    from switchboard.plugins.intent_rules.matcher import requires_digit

    assert requires_digit(pattern, re.IGNORECASE) is needs


def test_skipping_digit_patterns_on_texts_without_digits_changes_no_answer():
    import csv

    from switchboard.config import load_settings
    from switchboard.training.paths import DEFAULT_TRAIN

    plugin = IntentRulesPlugin()
    plugin.configure(settings=load_settings(environ={}), contributions={})
    assert any(needs for _idx, _rx, needs in plugin.matcher._regexes)  # the demo's crime references
    texts = ["update on 12345/23 please", "crn 12345678", "CRN12345678", "my ref is twelve", "ref ١٢٣٤٥/٢٣"]
    for path in DEFAULT_TRAIN.values():
        with open(path, encoding="utf-8", newline="") as fh:
            texts += [row["text"] for row in csv.DictReader(fh)][::4]
    skipping = [plugin.matcher.fired(normalise(t)) for t in texts]
    plugin.matcher._regexes = [(idx, rx, False) for idx, rx, _needs in plugin.matcher._regexes]
    assert [plugin.matcher.fired(normalise(t)) for t in texts] == skipping
    assert sum(1 for f in skipping if f) > 100
