"""The journey engine: prefill, skip_if_known, branching, re-prompts, optional steps, Welsh,
summaries with a reference, guidance steps and handovers."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from switchboard import hookimpl
from switchboard.journeys import JourneyBook
from switchboard.types import DEFAULT_INTENTS, ConversationState, GuidancePassage, Message, Slot

JOURNEY = '''
id = "test_crime"
intent = "crime_report"
version = 2
languages = ["en", "cy"]

[texts]
skip = {en = "Skip", cy = "Hepgor"}
yes = {en = "Yes", cy = "Ie"}
no = {en = "No", cy = "Na"}

[labels]
postcode = {en = "Postcode", cy = "Cod post"}

[[steps]]
id = "what"
type = "ask"
slot = "description"
prefill = true
prefill_min_words = 5
label = {en = "What happened", cy = "Beth ddigwyddodd"}
prompt = {en = "What happened?", cy = "Beth ddigwyddodd?"}
reprompt = {en = "Please say a bit more.", cy = "Dywedwch ychydig mwy."}
min_length = 5

[[steps]]
id = "ref"
type = "ask"
answer = "crime_reference"
slot = "crime_reference"
skip_if_known = true
optional = true
label = {en = "Crime reference", cy = "Cyfeirnod trosedd"}
prompt = {en = "Your crime reference?", cy = "Eich cyfeirnod trosedd?"}
reprompt = {en = "That is not one of our reference formats.", cy = "Nid yw hwnnw'n un o'n fformatau."}

[[steps]]
id = "where"
type = "ask"
slot = "location"
skip_if_known = ["location", "postcode"]
label = {en = "Where", cy = "Ble"}
prompt = {en = "Where was it?", cy = "Ble oedd e?"}
reprompt = {en = "Where, please?", cy = "Ble, os gwelwch yn dda?"}

[[steps]]
id = "hurt"
type = "ask"
answer = "yes_no"
slot = "hurt"
label = {en = "Anyone hurt", cy = "Unrhyw un wedi'i anafu"}
prompt = {en = "Was anyone hurt?", cy = "Gafodd unrhyw un ei anafu?"}
reprompt = {en = "Yes or no: was anyone hurt?", cy = "Ie neu na: gafodd unrhyw un ei anafu?"}
next = "contact"
[[steps.branch]]
equals = "yes"
then = "person"

[[steps]]
id = "person"
type = "handover"
reason = "injury_reported"
prompt = {en = "A colleague will take this.", cy = "Bydd cydweithiwr yn cymryd hyn."}

[[steps]]
id = "contact"
type = "ask"
answer = "choice"
slot = "contact_preference"
label = {en = "Contact", cy = "Cyswllt"}
prompt = {en = "How should we contact you?", cy = "Sut ddylen ni gysylltu â chi?"}
reprompt = {en = "Pick phone or none.", cy = "Dewiswch ffôn neu ddim."}
options = [
  {id = "phone", label = {en = "By phone", cy = "Dros y ffôn"}},
  {id = "no_contact", label = {en = "Don't contact me", cy = "Peidiwch â chysylltu"}},
]
next = "summary"
[[steps.branch]]
equals = "phone"
then = "phone"

[[steps]]
id = "phone"
type = "ask"
answer = "phone"
slot = "phone"
skip_if_known = true
label = {en = "Phone", cy = "Ffôn"}
prompt = {en = "Your number?", cy = "Eich rhif?"}
reprompt = {en = "That is not a UK number.", cy = "Nid yw hwnnw'n rhif yn y DU."}
next = "summary"

[[steps]]
id = "summary"
type = "summary"
prompt = {en = "Thanks.\\n{details}\\nReference: {reference}", cy = "Diolch.\\n{details}\\nCyfeirnod: {reference}"}
'''

GUIDE = '''
id = "test_guide"
intent = "general_enquiry"
languages = ["en", "cy"]

[[steps]]
id = "question"
type = "ask"
slot = "question"
prefill = true
prefill_min_words = 2
prompt = {en = "Your question?", cy = "Eich cwestiwn?"}
reprompt = {en = "Type a question.", cy = "Teipiwch gwestiwn."}

[[steps]]
id = "answer"
type = "guidance"
query_slot = "question"
slot = "guidance_doc"
no_answer = "sorry"
next = "fin"

[[steps]]
id = "fin"
type = "end"
prompt = {en = "Bye.", cy = "Hwyl."}

[[steps]]
id = "sorry"
type = "handover"
reason = "no_guidance"
'''


class JourneyFiles:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @hookimpl
    def register_journeys(self):
        return [self.folder]


class FakeSlots:
    """Deterministic slot extraction for these tests (wins over the built-in extractor)."""

    @hookimpl(tryfirst=True)
    def extract_slots(self, message):
        out = []
        if "ab1 2cd" in message.normalised:
            out.append(Slot("postcode", "AB1 2CD", "AB1 2CD"))
        m = re.search(r"\b\d{5}/\d{2}\b", message.text)
        if m:
            out.append(Slot("crime_reference", m.group(0), m.group(0)))
        return out


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "j").mkdir()
    (tmp_path / "j" / "crime.toml").write_text(JOURNEY, encoding="utf-8")
    (tmp_path / "j" / "guide.toml").write_text(GUIDE, encoding="utf-8")
    return tmp_path / "j"


@pytest.fixture
def book(folder, sb_settings):
    return JourneyBook.load([folder], sb_settings(), DEFAULT_INTENTS)


def msg(text="", *, state=None, choice=None, history=()):
    state = state or ConversationState()
    return Message(text=text, normalised=text.casefold(), turn=state.turn + 1, is_first=state.turn == 0,
                   language=state.language, choice=choice, history=tuple(history), state=state,
                   received_at=datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc))


def no_guidance(query, language, intent):
    return []


def answer(book, result, text="", choice=None, slots=None, guidance=no_guidance):
    return book.advance(state=result.state, message=msg(text, state=result.state, choice=choice),
                        slots=slots or {}, guidance=guidance)


def start(book, text="", state=None, slots=None, choice="intent:crime_report", history=(), journey="test_crime",
          guidance=no_guidance):
    state = state or ConversationState()
    return book.start(journey, state=state, message=msg(text, state=state, choice=choice, history=history),
                      slots=slots or {}, guidance=guidance)


# --- the engine, called directly ------------------------------------------------------------------


def test_start_asks_first_question_and_sets_state(book):
    r = start(book)
    assert [x.text for x in r.replies] == ["What happened?"]
    assert r.replies[0].kind == "question"
    assert r.state.journey == "test_crime" and r.state.step == "what" and r.state.awaiting == "journey_step"
    assert r.progressed and r.understood and r.handover is None


def test_free_text_first_message_prefills_and_known_slots_are_not_asked_again(book):
    text = "someone smashed my car window outside AB1 2CD, reference 12345/26"
    slots = {"postcode": Slot("postcode", "AB1 2CD"), "crime_reference": Slot("crime_reference", "12345/26")}
    r = start(book, text, slots=slots, choice=None)
    # description, crime reference and location (via postcode) are all known: straight to "hurt"
    assert r.state.step == "hurt"
    assert r.state.slots["description"] == text
    assert r.state.slots["crime_reference"] == "12345/26"
    assert [x.text for x in r.replies] == ["Was anyone hurt?"]


def test_short_first_message_is_not_taken_as_the_description(book):
    r = start(book, "report a crime", choice=None)
    assert r.state.step == "what" and "description" not in r.state.slots


def test_text_before_a_clarifying_question_is_used_after_the_category_choice(book):
    earlier = "my bike was stolen from the station rack"
    state = ConversationState(turn=1, awaiting="intent_choice")
    r = start(book, "", state=state, choice="intent:crime_report", history=[earlier])
    assert r.state.slots["description"] == earlier and r.state.step == "ref"


def test_invalid_answer_reprompts_without_moving(book):
    r = start(book)
    r = answer(book, r, "too long ago to remember what exactly")
    assert r.state.step == "ref"
    bad = answer(book, r, "it's ABC-99")
    assert bad.understood is False and bad.progressed is False
    assert bad.state.step == "ref"
    assert [x.text for x in bad.replies] == ["That is not one of our reference formats."]
    assert [o.id for o in bad.replies[0].options] == ["skip"]  # optional: the skip button stays
    good = answer(book, bad, "it's 54321/25 I think")
    assert good.understood and good.state.slots["crime_reference"] == "54321/25"
    assert good.state.step == "where"


def test_crime_reference_formats_come_from_force_config(folder, sb_settings):
    settings = sb_settings(overrides={"force": {"crime_reference_patterns": [r"\bWX\d{6}\b"]}})
    book = JourneyBook.load([folder], settings, DEFAULT_INTENTS)
    r = answer(book, start(book), "a long description of events")
    assert answer(book, r, "12345/23").understood is False
    assert answer(book, r, "wx123456").state.slots["crime_reference"] == "WX123456"


def test_skip_on_optional_step_moves_on_and_records_nothing(book):
    r = answer(book, start(book), "a long description of events")
    for how in ({"text": "don't know"}, {"choice": "skip"}, {"text": "Not sure."}):
        s = answer(book, r, **how)
        assert s.understood and s.progressed and s.state.step == "where"
        assert "crime_reference" not in s.state.slots


def test_skip_on_required_step_is_not_understood(book):
    r = start(book)
    s = answer(book, r, "don't know")
    assert s.understood is False and s.state.step == "what"
    assert [o.id for o in s.replies[0].options] == []  # required: no skip button


def test_yes_no_branch_to_handover(book):
    r = start(book, "x" * 0)
    for text in ("a long description of events", "skip", "High Street"):
        r = answer(book, r, text)
    assert r.state.step == "hurt"
    assert [o.id for o in r.replies[0].options] == ["yes", "no"]
    h = answer(book, r, "yes, my friend was")
    assert h.handover == "injury_reported"
    assert h.state.outcome == "handover" and h.state.awaiting is None
    assert [x.text for x in h.replies] == ["A colleague will take this."]


@pytest.mark.parametrize("typed", ["no", "No.", "nope", "nobody", "na", "nac oes"])
def test_yes_no_understands_typed_no(book, typed):
    r = start(book)
    for text in ("a long description of events", "skip", "High Street"):
        r = answer(book, r, text)
    n = answer(book, r, typed)
    assert n.understood, typed
    assert n.state.slots["hurt"] == "no" and n.state.step == "contact"


def test_choice_accepts_button_label_or_number_and_rejects_other_buttons(book):
    r = start(book)
    for text in ("a long description of events", "skip", "High Street", "no"):
        r = answer(book, r, text)
    assert r.state.step == "contact"
    assert answer(book, r, "by phone").state.step == "phone"
    assert answer(book, r, "2").state.slots["contact_preference"] == "no_contact"
    assert answer(book, r, "", choice="yes").understood is False  # not an option of this step


def test_summary_lists_details_with_labels_and_gives_reference(book, sb_settings):
    r = start(book)
    for text in ("a long description of events", "12345/23", "High Street", "no", "by phone"):
        r = answer(book, r, text)
    bad = answer(book, r, "call me on 12345")
    assert bad.understood is False and bad.replies[0].text == "That is not a UK number."
    done = answer(book, bad, "07700 900123")
    assert done.state.outcome == "summary"
    ref = done.state.reference
    assert re.fullmatch(r"DC-[2-9A-HJKMNP-Z]{6}", ref)
    text = done.replies[0].text
    assert done.replies[0].kind == "summary"
    assert text.startswith("Thanks.\n")
    assert "What happened: a long description of events" in text
    assert "Crime reference: 12345/23" in text
    assert "Where: High Street" in text
    assert "Anyone hurt: No" in text  # the option label, not the stored id
    assert "Contact: By phone" in text
    assert "Phone: 07700 900123" in text
    assert text.endswith(f"Reference: {ref}")


def test_references_differ_between_conversations(book):
    refs = set()
    for _ in range(20):
        r = start(book)
        for text in ("a long description of events", "skip", "High Street", "no", "2"):
            r = answer(book, r, text)
        refs.add(r.state.reference)
    assert len(refs) == 20


def test_welsh_journey_texts_when_state_language_is_cy(book):
    r = start(book, state=ConversationState(language="cy"))
    assert r.replies[0].text == "Beth ddigwyddodd?"
    for text in ("disgrifiad hir o'r digwyddiad", "hepgor", "Stryd Fawr"):
        r = answer(book, r, text)
    assert r.replies[0].text == "Gafodd unrhyw un ei anafu?"
    assert [o.label for o in r.replies[0].options] == ["Ie", "Na"]
    r = answer(book, r, "na")
    r = answer(book, r, "", choice="no_contact")
    assert r.state.outcome == "summary"
    assert "Beth ddigwyddodd: disgrifiad hir o'r digwyddiad" in r.replies[0].text
    assert "Cyswllt: Peidiwch â chysylltu" in r.replies[0].text
    assert "Cyfeirnod: DC-" in r.replies[0].text


def test_guidance_step_cites_top_passage(book):
    passage = GuidancePassage("lost-property", "Lost property", "Check with the venue first.",
                              "https://example.police.uk/lost", "Contact Mgmt", "2027-06-01", 0.8)
    seen = []

    def finder(query, language, intent):
        seen.append((query, language, intent))
        return [passage]

    r = start(book, "where do I hand in a found wallet", choice=None, journey="test_guide", guidance=finder)
    assert seen == [("where do I hand in a found wallet", "en", "general_enquiry")]
    guidance = [x for x in r.replies if x.kind == "guidance"]
    assert guidance and guidance[0].text == "Check with the venue first."
    assert guidance[0].citations[0].source_url == "https://example.police.uk/lost"
    assert r.state.slots["guidance_doc"] == "lost-property"
    assert r.state.outcome == "self_service" and r.replies[-1].text == "Bye."


def test_guidance_step_without_passages_says_no_guidance_and_goes_to_no_answer(book, sb_settings):
    r = start(book, "how tall is a police horse", choice=None, journey="test_guide")
    settings = sb_settings()
    assert r.replies[0].kind == "no_guidance"
    assert r.replies[0].text == settings.text("no_guidance", "en")
    assert r.handover == "no_guidance" and r.state.outcome == "handover"


def test_second_journey_keeps_contact_details_but_not_the_first_incident(book):
    r = start(book)
    for text in ("a long description of events", "12345/23", "High Street", "no", "by phone", "07700 900123"):
        r = answer(book, r, text)
    assert r.state.outcome == "summary"
    again = start(book, "", state=r.state.replace(turn=7))
    assert again.state.step == "what" and again.state.outcome is None and again.state.reference is None
    assert dict(again.state.slots) == {"phone": "07700900123"}


def test_advance_with_unknown_step_hands_over(book):
    state = ConversationState(journey="test_crime", step="gone")
    r = book.advance(state=state, message=msg("hi", state=state), slots={}, guidance=no_guidance)
    assert r.handover == "journey_error" and r.state.outcome == "handover"


# --- through the dispatcher ---------------------------------------------------------------------


@pytest.fixture
def dispatcher(sb_dispatcher, folder):
    return lambda **kw: sb_dispatcher(plugins=[("force_journeys", JourneyFiles(folder)), ("fake_slots", FakeSlots)], **kw)


def test_force_journey_overrides_default_through_the_dispatcher(dispatcher):
    d = dispatcher()
    dec = d.dispatch(d.make_message("", choice="intent:crime_report"))
    assert dec.state.journey == "test_crime"
    assert dec.replies[-1].text == "What happened?"


def test_postcode_and_reference_in_first_message_are_not_asked_again(dispatcher):
    d = dispatcher()
    first = d.dispatch(d.make_message("", choice="intent:crime_report"))
    dec = d.dispatch(d.make_message("my garden shed door was damaged at AB1 2CD, ref 12345/23", state=first.state))
    assert dec.state.slots["postcode"] == "AB1 2CD"
    assert dec.state.slots["crime_reference"] == "12345/23"
    assert dec.state.step == "hurt"  # skipped "ref" and "where"
    assert dec.replies[-1].text == "Was anyone hurt?"


def test_two_misunderstood_answers_escalate(dispatcher):
    d = dispatcher(disabled={"queues", "office_hours"})
    dec = d.dispatch(d.make_message("", choice="intent:crime_report"))
    for text in ("a long description of events", "skip", "High Street"):
        dec = d.dispatch(d.make_message(text, state=dec.state))
    assert dec.state.step == "hurt"
    dec = d.dispatch(d.make_message("purple", state=dec.state))
    assert dec.state.misunderstood == 1 and not dec.handover
    assert dec.replies[-1].text == "Yes or no: was anyone hurt?"
    dec = d.dispatch(d.make_message("banana", state=dec.state))
    assert dec.handover and "misunderstood" in dec.handover_reasons


def test_valid_answer_resets_misunderstood_and_no_progress(dispatcher):
    d = dispatcher()
    dec = d.dispatch(d.make_message("", choice="intent:crime_report"))
    dec = d.dispatch(d.make_message("hm", state=dec.state))
    assert dec.state.misunderstood == 1 and dec.state.no_progress == 1
    dec = d.dispatch(d.make_message("a long description of events", state=dec.state))
    assert dec.state.misunderstood == 0 and dec.state.no_progress == 0
