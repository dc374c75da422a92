"""Journey files are validated at load: every problem names the file and the step or key."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.errors import DataError
from switchboard.journeys import JourneyBook
from switchboard.plugins.journeys.plugin import DATA_DIR
from switchboard.types import DEFAULT_INTENTS

VALID = '''
id = "tiny"
intent = "crime_report"
version = 1
languages = ["en", "cy"]

[texts]
skip = {en = "Skip", cy = "Hepgor"}
yes = {en = "Yes", cy = "Ie"}
no = {en = "No", cy = "Na"}

[[steps]]
id = "what"
type = "ask"
slot = "description"
label = {en = "What happened", cy = "Beth ddigwyddodd"}
prompt = {en = "What happened?", cy = "Beth ddigwyddodd?"}
reprompt = {en = "Tell me more.", cy = "Dywedwch fwy."}

[[steps]]
id = "hurt"
type = "ask"
answer = "yes_no"
slot = "hurt"
prompt = {en = "Anyone hurt?", cy = "Unrhyw un wedi'i anafu?"}
reprompt = {en = "Yes or no?", cy = "Ie neu na?"}
next = "summary"
[[steps.branch]]
equals = "yes"
then = "person"

[[steps]]
id = "person"
type = "handover"
reason = "injury"

[[steps]]
id = "summary"
type = "summary"
prompt = {en = "Ref {reference}\\n{details}", cy = "Cyf {reference}\\n{details}"}
'''


def _load(tmp_path: Path, settings, text: str, name: str = "tiny.toml") -> JourneyBook:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return JourneyBook.load([path], settings, DEFAULT_INTENTS)


def _error(tmp_path: Path, settings, text: str) -> DataError:
    with pytest.raises(DataError) as info:
        _load(tmp_path, settings, text)
    assert "tiny.toml" in str(info.value)
    return info.value


@pytest.fixture
def settings(sb_settings):
    return sb_settings()


def test_valid_file_loads_with_steps_in_order(tmp_path, settings):
    book = _load(tmp_path, settings, VALID)
    journey = book.get("tiny")
    assert journey is not None and book.for_intent("crime_report") is journey
    assert list(journey.steps) == ["what", "hurt", "person", "summary"]
    assert journey.steps["what"].next == "hurt"  # falls through to the next step in the file
    assert [o.id for o in journey.steps["hurt"].options] == ["yes", "no"]  # from [texts] yes/no


def test_default_journeys_cover_every_intent_in_both_languages(settings):
    book = JourneyBook.load([DATA_DIR], settings, DEFAULT_INTENTS)
    assert {book.for_intent(i).intent for i in DEFAULT_INTENTS} == set(DEFAULT_INTENTS)
    for journey in book:
        assert journey.languages == ("en", "cy")


def test_unknown_top_level_key_is_named_with_suggestion(tmp_path, settings):
    err = _error(tmp_path, settings, VALID.replace('version = 1', 'version = 1\nlanguage = ["en"]'))
    assert "language" in str(err) and "did you mean 'languages'" in str(err)


def test_unknown_step_key_names_step(tmp_path, settings):
    err = _error(tmp_path, settings, VALID.replace('slot = "description"', 'slot = "description"\nslots = "x"'))
    assert "step 'what'" in str(err) and "slots" in str(err) and "unknown key" in str(err)


def test_unknown_next_step(tmp_path, settings):
    err = _error(tmp_path, settings, VALID.replace('next = "summary"', 'next = "sumary"'))
    assert "step 'hurt'" in str(err) and "unknown step 'sumary'" in str(err) and "did you mean 'summary'" in str(err)


def test_unknown_branch_target(tmp_path, settings):
    err = _error(tmp_path, settings, VALID.replace('then = "person"', 'then = "someone"'))
    assert "step 'hurt'" in str(err) and "'someone'" in str(err)


def test_unreachable_step(tmp_path, settings):
    text = VALID + '''
[[steps]]
id = "orphan"
type = "end"
prompt = {en = "Bye", cy = "Hwyl"}
'''
    err = _error(tmp_path, settings, text)
    assert "step 'orphan'" in str(err) and "unreachable" in str(err)


LOOP = '''
id = "tiny"
intent = "crime_report"
languages = ["en", "cy"]

[[steps]]
id = "intro"
type = "ask"
answer = "choice"
prompt = {en = "Pick", cy = "Dewiswch"}
reprompt = {en = "Pick one", cy = "Dewiswch un"}
options = [{id = "out", label = {en = "Out", cy = "Allan"}}, {id = "in", label = {en = "In", cy = "Mewn"}}]
next = "a"
[[steps.branch]]
equals = "out"
then = "fin"

[[steps]]
id = "a"
type = "ask"
prompt = {en = "A?", cy = "A?"}
reprompt = {en = "A!", cy = "A!"}
next = "b"

[[steps]]
id = "b"
type = "ask"
prompt = {en = "B?", cy = "B?"}
reprompt = {en = "B!", cy = "B!"}
next = "a"

[[steps]]
id = "fin"
type = "end"
prompt = {en = "Bye", cy = "Hwyl"}
'''


def test_loop_with_no_exit(tmp_path, settings):
    err = _error(tmp_path, settings, LOOP)
    assert "step 'a'" in str(err) and "loop with no exit" in str(err)
    # give the loop an exit and it loads
    fixed = LOOP.replace('next = "a"\n\n[[steps]]\nid = "fin"', 'next = "a"\n[[steps.branch]]\nequals = "done"\nthen = "fin"\n\n[[steps]]\nid = "fin"')
    assert fixed != LOOP
    assert _load(tmp_path, settings, fixed).get("tiny") is not None


def test_loop_that_never_waits_is_rejected(tmp_path, settings):
    text = VALID.replace('[[steps]]\nid = "person"', '''[[steps]]
id = "a"
type = "say"
prompt = {en = "A", cy = "A"}
next = "b"
[[steps.branch]]
slot = "hurt"
equals = "no"
then = "summary"

[[steps]]
id = "b"
type = "say"
prompt = {en = "B", cy = "B"}
next = "a"

[[steps]]
id = "person"''').replace('then = "person"', 'then = "a"').replace('next = "summary"\n[[steps.branch]]', 'next = "person"\n[[steps.branch]]')
    err = _error(tmp_path, settings, text)
    assert "never waits" in str(err)
    assert "a -> b -> a" in str(err) or "b -> a -> b" in str(err)


def test_missing_welsh_text_names_step_and_language(tmp_path, settings):
    err = _error(tmp_path, settings, VALID.replace('prompt = {en = "Anyone hurt?", cy = "Unrhyw un wedi\'i anafu?"}',
                                                   'prompt = {en = "Anyone hurt?"}'))
    assert "step 'hurt'" in str(err) and "prompt" in str(err) and "missing 'cy' text" in str(err)


def test_journey_without_a_configured_language_is_rejected(tmp_path, settings):
    err = _error(tmp_path, settings, VALID.replace('languages = ["en", "cy"]', 'languages = ["en"]'))
    assert "languages" in str(err) and "cy" in str(err)


def test_english_only_journey_loads_for_english_only_force(tmp_path, sb_settings):
    from switchboard.config import DEMO_CONFIG

    demo = DEMO_CONFIG.read_text(encoding="utf-8")
    demo = demo[: demo.index("[texts.cy]")].replace('languages = ["en", "cy"]', 'languages = ["en"]')
    (tmp_path / "force.toml").write_text(demo, encoding="utf-8")
    en_only = sb_settings(tmp_path / "force.toml")
    text = VALID.replace('languages = ["en", "cy"]', 'languages = ["en"]')
    # still carries cy texts, which is fine; a missing cy text is not an error for an en-only force
    text = text.replace('prompt = {en = "Anyone hurt?", cy = "Unrhyw un wedi\'i anafu?"}', 'prompt = {en = "Anyone hurt?"}')
    assert _load(tmp_path, en_only, text).get("tiny") is not None


def test_intent_not_in_taxonomy(tmp_path, settings):
    err = _error(tmp_path, settings, VALID.replace('intent = "crime_report"', 'intent = "crime_reports"'))
    assert "intent" in str(err) and "not in the intent taxonomy" in str(err) and "crime_report'" in str(err)


def test_intent_added_by_plugin_is_accepted(tmp_path, settings):
    path = tmp_path / "tiny.toml"
    path.write_text(VALID.replace('intent = "crime_report"', 'intent = "firearms_licensing"'), encoding="utf-8")
    book = JourneyBook.load([path], settings, (*DEFAULT_INTENTS, "firearms_licensing"))
    assert book.for_intent("firearms_licensing").id == "tiny"


@pytest.mark.parametrize(
    "change, expected",
    [
        (('type = "handover"', 'type = "handoff"'), "type must be one of"),
        (('answer = "yes_no"', 'answer = "boolean"'), "unknown answer type 'boolean'"),
        (('reason = "injury"', 'reason = ""'), "reason"),
        (('prompt = {en = "Ref {reference}\\n{details}", cy = "Cyf {reference}\\n{details}"}',
          'prompt = {en = "Thanks", cy = "Diolch"}'), "{reference}"),
        (('prompt = {en = "What happened?", cy = "Beth ddigwyddodd?"}',
          'prompt = {en = "What happened {when}?", cy = "Beth ddigwyddodd?"}'), "unknown placeholder {when}"),
        (('equals = "yes"', 'equals = "yeah"'), "'yeah' is not an option of this step"),
        (('id = "hurt"', 'id = "what"'), "duplicate step id"),
    ],
)
def test_step_problems_are_named(tmp_path, settings, change, expected):
    old, new = change
    assert old in VALID
    err = _error(tmp_path, settings, VALID.replace(old, new, 1) if old != 'id = "hurt"' else VALID.replace(old, new))
    assert expected in str(err)
    assert "step '" in str(err)


def test_missing_reprompt_is_an_error(tmp_path, settings):
    err = _error(tmp_path, settings, VALID.replace('reprompt = {en = "Yes or no?", cy = "Ie neu na?"}\n', ""))
    assert "step 'hurt'" in str(err) and "reprompt" in str(err)


def test_optional_step_needs_skip_label(tmp_path, settings):
    text = VALID.replace('skip = {en = "Skip", cy = "Hepgor"}\n', "").replace(
        'slot = "description"', 'slot = "description"\noptional = true')
    err = _error(tmp_path, settings, text)
    assert "step 'what'" in str(err) and "texts.skip" in str(err)


def test_last_step_without_next_is_an_error(tmp_path, settings):
    text = VALID + '''
[[steps]]
id = "dangling"
type = "say"
prompt = {en = "x", cy = "x"}
'''
    text = text.replace('next = "summary"', 'next = "dangling"')
    err = _error(tmp_path, settings, text)
    assert "step 'dangling'" in str(err) and "no next step" in str(err)


def test_invalid_toml_names_file(tmp_path, settings):
    err = _error(tmp_path, settings, VALID + "\n[[steps]\n")
    assert "invalid TOML" in str(err)


def test_missing_path_is_an_error(tmp_path, settings):
    with pytest.raises(DataError) as info:
        JourneyBook.load([tmp_path / "nowhere"], settings, DEFAULT_INTENTS)
    assert "nowhere" in str(info.value)


def test_signpost_placeholder_needs_a_text(tmp_path, settings):
    text = VALID.replace('prompt = {en = "What happened?", cy = "Beth ddigwyddodd?"}',
                         'prompt = {en = "Call {signposts.victim_support}", cy = "Ffoniwch {signposts.victim_support}"}')
    err = _error(tmp_path, settings, text)
    assert "signposts.victim_support" in str(err) and "step 'what'" in str(err)
    text = text.replace("[texts]", '[signposts.victim_support]\nen = "08 08 16 89 111"\ncy = "08 08 16 89 111"\n\n[texts]')
    assert _load(tmp_path, settings, text).get("tiny") is not None


def test_later_file_with_same_id_replaces_earlier(tmp_path, settings):
    first = tmp_path / "a"
    second = tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "tiny.toml").write_text(VALID, encoding="utf-8")
    (second / "tiny.toml").write_text(VALID.replace('"What happened?"', '"Tell me what happened."'), encoding="utf-8")
    book = JourneyBook.load([first, second], settings, DEFAULT_INTENTS)
    assert len(book) == 1
    assert book.get("tiny").steps["what"].prompt["en"] == "Tell me what happened."
    assert book.get("tiny").path == second / "tiny.toml"


def test_force_journey_with_other_id_takes_over_the_intent(tmp_path, settings):
    (tmp_path / "force.toml").write_text(VALID.replace('id = "tiny"', 'id = "force_crime"'), encoding="utf-8")
    book = JourneyBook.load([DATA_DIR, tmp_path / "force.toml"], settings, DEFAULT_INTENTS)
    assert book.for_intent("crime_report").id == "force_crime"
    assert book.get("crime_report") is not None  # the default is still loaded, just not started


def test_disabled_journey_is_not_loaded(sb_settings):
    settings = sb_settings(overrides={"journeys": {"disabled": ["fraud_scam"]}})
    book = JourneyBook.load([DATA_DIR], settings, DEFAULT_INTENTS)
    assert book.for_intent("fraud_scam") is None and book.for_intent("crime_report") is not None


def test_journeys_config_section_is_validated(sb_dispatcher, sb_settings):
    from switchboard.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        sb_dispatcher(settings=sb_settings(overrides={"journeys": {"disable": ["x"]}}))
    assert "journeys.disable" in str(info.value)
