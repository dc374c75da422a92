"""Each default journey, completed end to end through the Dispatcher, reaches its outcome.

The answers are keyed by step id, so a slot the extractor found earlier (which skips a question)
does not derail the script; ``steps`` records the path taken so branches can be checked.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from switchboard import hookimpl
from switchboard.config import load_settings
from switchboard.dispatch import Dispatcher
from switchboard.plugin_manager import make_plugin_manager
from switchboard.types import ConversationState, GuidancePassage

REF = re.compile(r"\bDC-[2-9A-HJKMNP-Z]{6}\b")


class FakeGuidance:
    """Approved passages for lost property, parking and a police-report question."""

    DOCS = {
        "lost": ("lost-property", "Lost property", "Most lost items are handed to the venue or transport operator first."),
        "found": ("found-property", "Found property", "Hand found items to the venue where you found them."),
        "parking": ("parking", "Parking problems", "Parking on yellow lines or across dropped kerbs is enforced by the council."),
        "report": ("copy-of-report", "Copies of reports", "You can request a copy of a police report through our website."),
    }

    @hookimpl
    def find_guidance(self, query, language, intent, limit):
        q = query.casefold()
        for key, (doc, title, text) in self.DOCS.items():
            if key in q or (key == "lost" and "coll" in q) or (key == "found" and "dod o hyd" in q) or (key == "parking" and "parcio" in q):
                return [GuidancePassage(doc, title, text, f"https://example.police.uk/{doc}", "Contact Mgmt",
                                        "2027-06-01", 0.9)]
        return []


@pytest.fixture(scope="module")
def d(tmp_path_factory) -> Dispatcher:
    """One dispatcher for the module (dispatching is pure, so sharing it is safe; building one
    with every built-in plugin takes about a second)."""
    settings = load_settings(environ={}, overrides={"storage": {"data_dir": str(tmp_path_factory.mktemp("data"))}})
    pm = make_plugin_manager(disabled={"guidance"}, extra_plugins=[("fake_guidance", FakeGuidance)])
    return Dispatcher(pm, settings)


def run(d: Dispatcher, intent: str, answers: dict[str, str], language: str = "en", max_turns: int = 25) -> tuple[Any, list[str], list[Any]]:
    """Pick ``intent`` by button, then answer each question by its step id ("!id" = press a button)."""
    state = ConversationState(language=language)
    dec = d.dispatch(d.make_message("", state=state, choice=f"intent:{intent}"))
    replies = list(dec.replies)
    steps = [dec.state.step]
    for _ in range(max_turns):
        if dec.state.outcome or dec.handover:
            return dec, steps, replies
        step = dec.state.step
        assert step in answers, f"{intent}: no scripted answer for step {step!r} (path {steps})"
        answer = answers[step]
        if answer.startswith("!"):
            dec = d.dispatch(d.make_message("", state=dec.state, choice=answer[1:]))
        else:
            dec = d.dispatch(d.make_message(answer, state=dec.state))
        if dec.state.outcome != "handover":  # a handover step may declare risk (checked per test)
            assert not dec.emergency and dec.risk_level.value in ("none", "elevated"), (step, answer, dec.reasons)
        assert dec.state.misunderstood == 0, f"{intent}: answer {answer!r} to {step!r} was not understood"
        replies.extend(dec.replies)
        steps.append(dec.state.step)
    raise AssertionError(f"{intent}: no outcome after {max_turns} turns (path {steps})")


def summary_text(dec) -> str:
    assert dec.state.outcome == "summary", dec.state
    texts = [r.text for r in dec.replies if r.kind == "summary"]
    assert len(texts) == 1
    assert dec.state.reference and dec.state.reference in texts[0]
    assert REF.search(texts[0])
    assert dec.handover is False
    return texts[0]


def assert_journey_handover(dec, reason_step: str) -> None:
    assert dec.state.outcome == "handover"
    assert dec.state.step == reason_step
    assert dec.handover is True and "journey_handover" in dec.handover_reasons
    assert dec.state.handover is True


# --- anti-social behaviour -------------------------------------------------------------------------

ASB = {
    "what": "Teenagers kicking footballs against my garage door every evening",
    "ongoing": "!no",
    "when": "yesterday about 7pm",
    "repeat": "!yes",
    "how_long": "about three months",
    "where": "Elm Road, by the shops",
    "people": "!skip",
    "vehicle": "don't know",
    "contact": "!email",
    "email": "sam.jones@example.com",
}


def test_anti_social_behaviour_repeat_problem_ends_in_summary(d):
    dec, steps, _ = run(d, "anti_social_behaviour", ASB)
    assert "how_long" in steps and "at_risk" not in steps
    text = summary_text(dec)
    assert "How long it has been going on: about three months" in text
    assert "Where: Elm Road, by the shops" in text
    assert "Email: sam.jones@example.com" in text
    assert "People involved" not in text  # skipped


def test_anti_social_behaviour_happening_now_with_risk_hands_over(d):
    dec, steps, replies = run(d, "anti_social_behaviour", {**ASB, "ongoing": "!yes", "at_risk": "!yes"})
    assert steps[:3] == ["what", "ongoing", "at_risk"]
    assert_journey_handover(dec, "danger")
    assert any("call 999" in r.text for r in replies if r.kind == "handover_notice")
    # "someone is in danger right now" is an emergency: the standard 999 diversion comes first
    assert dec.emergency is True and dec.risk_level.value == "immediate"
    assert dec.replies[0].kind == "emergency" and dec.replies[0].text.startswith("Call 999 now")
    assert "risk_immediate" in dec.handover_reasons and dec.state.priority == 3
    assert any(s.rule_id == "journey:anti_social_behaviour:danger" for s in dec.signals)


def test_anti_social_behaviour_happening_now_no_risk_goes_to_where(d):
    dec, steps, _ = run(d, "anti_social_behaviour", {**ASB, "ongoing": "!yes", "at_risk": "!no"})
    assert "when" not in steps and "where" in steps
    assert "Happening now: Yes" in summary_text(dec)


# --- neighbourhood concern -------------------------------------------------------------------------

def test_neighbourhood_concern(d):
    dec, _, _ = run(d, "neighbourhood_concern", {
        "what": "Lots of cars stop outside one flat for a few minutes at all hours",
        "where": "Church Lane",
        "when_noticed": "evenings mostly",
        "people": "!skip",
        "raised_before": "!no",
        "contact": "!no_contact",
    })
    text = summary_text(dec)
    assert "Your concern: Lots of cars stop" in text and "Raised with us before: No" in text


# --- information sharing ---------------------------------------------------------------------------

def test_information_sharing_offers_anonymity_and_crimestoppers(d):
    dec, steps, replies = run(d, "information_sharing", {
        "what": "I know who has been taking bikes from the station car park",
        "where": "!skip",
        "when": "!skip",
        "people": "a man in his twenties called Dan who lives on Park Street",
        "vehicle": "!skip",
        "anonymous": "!anonymous",
    })
    assert "0800 555 111" in replies[0].text and replies[0].kind == "info"
    assert "phone" not in steps and "email" not in steps
    text = summary_text(dec)
    assert "Contact: Stay anonymous" in text and "0800 555 111" in text


# --- follow-up -------------------------------------------------------------------------------------

def test_follow_up_asks_reference_then_hands_over_for_identity_checks(d):
    dec, steps, replies = run(d, "follow_up", {
        "crime_reference": "it's 47/12345/25",
        "reason": "!new_information",
        "new_information": "I have found a neighbour who saw the van",
    })
    assert steps == ["crime_reference", "reason", "new_information", "verify"]
    assert dec.state.slots["crime_reference"] == "47/12345/25"
    assert_journey_handover(dec, "verify")
    notice = [r.text for r in replies if r.kind == "handover_notice"]
    assert notice and "check who you are" in notice[0]


def test_follow_up_without_a_reference_still_goes_to_a_person(d):
    dec, steps, _ = run(d, "follow_up", {"crime_reference": "!skip", "reason": "!update"})
    assert "crime_reference" not in dec.state.slots
    assert_journey_handover(dec, "verify")


# --- crime report ----------------------------------------------------------------------------------

CRIME = {
    "what": "Someone took my bicycle from outside the library on Monday",
    "when": "Monday about 3pm",
    "where": "the library on Queen Street",
    "injured": "!no",
    "suspect": "!yes",
    "people": "a teenager in a grey hoodie, about 5ft 8",
    "vehicle": "!skip",
    "property": "a blue Raleigh mountain bike",
    "contact": "!phone",
    "phone": "07700 900456",
}


def test_crime_report(d):
    dec, steps, _ = run(d, "crime_report", CRIME)
    assert "people" in steps and "injuries" not in steps
    text = summary_text(dec)
    assert "Description of people: a teenager in a grey hoodie" in text
    assert "Stolen or damaged property: a blue Raleigh mountain bike" in text
    assert "Phone: 07700 900456" in text


def test_crime_report_in_welsh(d):
    dec, steps, replies = run(d, "crime_report", {
        **CRIME,
        "what": "Mae rhywun wedi dwyn fy meic o'r tu allan i'r llyfrgell",
        "where": "y llyfrgell ar Stryd y Frenhines",
        "suspect": "!no",
    }, language="cy")
    assert replies[0].text.startswith("Mae'n ddrwg gen i fod hyn wedi digwydd")
    assert [o.label for o in replies[0].options] == []
    text = summary_text(dec)
    assert "Eich cyfeirnod yw" in text and "Beth ddigwyddodd: Mae rhywun wedi dwyn" in text
    assert "Unrhyw un wedi'i anafu: Na" in text and "Dewis cyswllt: Dros y ffôn" in text
    assert dec.state.language == "cy"


# --- lost and found property -----------------------------------------------------------------------

def test_lost_property_shows_cited_guidance(d):
    dec, steps, replies = run(d, "lost_found_property", {
        "lost_or_found": "!lost",
        "item": "black leather wallet",
        "lost_where": "on the number 12 bus on Tuesday",
        "stolen": "!no",
        "contact": "!email",
        "email": "pat@example.org",
    })
    guidance = [r for r in replies if r.kind == "guidance"]
    assert guidance and guidance[0].citations[0].doc_id == "lost-property"
    assert "found_where" not in steps
    text = summary_text(dec)
    assert "Lost or found: I've lost something" in text and "Item: black leather wallet" in text


def test_found_property_branch(d):
    dec, steps, replies = run(d, "lost_found_property", {
        "lost_or_found": "!found",
        "item": "a set of car keys",
        "found_where": "in the park by the pond",
        "has_it": "!handed_in",
        "contact": "!no_contact",
    })
    assert "found_where" in steps and "lost_where" not in steps
    assert [r.citations[0].doc_id for r in replies if r.kind == "guidance"] == ["found-property"]
    assert "Where the item is now: I've handed it in" in summary_text(dec)


# --- road traffic ----------------------------------------------------------------------------------

ROAD = {
    "kind": "!driving",
    "what": "A white van kept overtaking on a blind bend and forced cars onto the verge",
    "when": "this morning about 8am",
    "where": "the A470 near Builth",
    "vehicle": "white Transit van AB12 CDE",
    "contact": "!no_contact",
    "exchanged": "!yes",
}


def test_road_traffic_bad_driving(d):
    dec, steps, _ = run(d, "road_traffic", ROAD)
    assert "exchanged" not in steps and "injured" not in steps
    assert "Vehicles: white Transit van AB12 CDE" in summary_text(dec)


def test_road_traffic_collision_without_injury_asks_about_exchanging_details(d):
    dec, steps, _ = run(d, "road_traffic", {**ROAD, "kind": "!collision", "injured": "!no"})
    assert "exchanged" in steps
    assert "Details exchanged: Yes" in summary_text(dec)


def test_road_traffic_collision_with_injury_hands_over(d):
    dec, _, _ = run(d, "road_traffic", {**ROAD, "kind": "!collision", "injured": "!yes"})
    assert_journey_handover(dec, "injury_handover")


def test_road_traffic_parking_answered_from_guidance(d):
    dec, steps, replies = run(d, "road_traffic", {**ROAD, "kind": "!parking", "parking_helped": "!yes"})
    assert [r.citations[0].doc_id for r in replies if r.kind == "guidance"] == ["parking"]
    assert dec.state.outcome == "self_service" and dec.handover is False
    assert dec.state.reference is None


# --- fraud -----------------------------------------------------------------------------------------

FRAUD = {
    "money": "!yes",
    "still_in_contact": "!no",
    "vulnerable": "!no",
    "what": "A caller said he was from my bank and I moved money to a safe account",
    "how": "!phone_call",
    "when": "last Friday",
    "amount": "£900",
}


def test_fraud_signposts_reporting_service_and_bank(d):
    dec, steps, replies = run(d, "fraud_scam", FRAUD)
    said = " ".join(r.text for r in replies)
    assert "actionfraud.police.uk" in said and "159" in said
    text = summary_text(dec)
    assert "Amount lost: £900" in text and "How they made contact: Phone call" in text


def test_fraud_without_loss_skips_amount(d):
    dec, steps, replies = run(d, "fraud_scam", {**FRAUD, "money": "!no"})
    assert "amount" not in steps and "when" in steps
    assert not any("159" in r.text for r in replies)  # no "call your bank" step
    summary_text(dec)


def test_fraud_with_vulnerable_victim_hands_over(d):
    dec, _, _ = run(d, "fraud_scam", {**FRAUD, "vulnerable": "!yes"})
    assert_journey_handover(dec, "vulnerable_handover")


def test_fraud_signpost_is_configurable(sb_settings, tmp_path):
    settings = sb_settings(overrides={"texts": {"en": {"signposts": {"fraud": "Police Scotland on 101"}}}})
    d = Dispatcher(make_plugin_manager(disabled={"guidance"}), settings)
    dec = d.dispatch(d.make_message("", choice="intent:fraud_scam"))
    assert "Police Scotland on 101" in dec.replies[0].text and "actionfraud" not in dec.replies[0].text


# --- general enquiry -------------------------------------------------------------------------------

def test_general_enquiry_answered_from_guidance(d):
    dec, steps, replies = run(d, "general_enquiry", {
        "question": "how do I get a copy of a police report",
        "helped": "!yes",
    })
    guidance = [r for r in replies if r.kind == "guidance"]
    assert guidance[0].citations[0].source_url == "https://example.police.uk/copy-of-report"
    assert dec.state.outcome == "self_service" and not dec.handover


def test_general_enquiry_not_answered_hands_over(d):
    dec, _, _ = run(d, "general_enquiry", {"question": "how do I get a copy of a police report", "helped": "!no"})
    assert_journey_handover(dec, "not_answered")


def test_general_enquiry_without_guidance_offers_a_person(d):
    dec, steps, replies = run(d, "general_enquiry", {"question": "can I fly a drone over the beach", "offer_person": "!yes"})
    assert [r.kind for r in replies if r.kind in ("guidance", "no_guidance")] == ["no_guidance"]
    assert_journey_handover(dec, "not_answered")
    dec, _, _ = run(d, "general_enquiry", {"question": "can I fly a drone over the beach", "offer_person": "no thanks"})
    assert dec.state.outcome == "self_service" and not dec.handover


@pytest.mark.parametrize("intent", ["anti_social_behaviour", "crime_report", "fraud_scam", "general_enquiry"])
def test_first_question_is_welsh_for_a_welsh_visitor(d, intent):
    en = d.dispatch(d.make_message("", choice=f"intent:{intent}"))
    cy = d.dispatch(d.make_message("", state=ConversationState(language="cy"), choice=f"intent:{intent}"))
    journey = d.journeys.for_intent(intent)
    step = journey.steps[cy.state.step]
    assert cy.replies[-1].text == step.prompt["cy"] != en.replies[-1].text


SCRIPTS = {
    "anti_social_behaviour": ASB,
    "neighbourhood_concern": {"what": "Cars stop outside one flat for a few minutes at all hours", "where": "Church Lane",
                              "when_noticed": "!skip", "people": "!skip", "raised_before": "!no", "contact": "!no_contact"},
    "information_sharing": {"what": "I know who has been taking bikes from the station", "where": "!skip", "when": "!skip",
                            "people": "!skip", "vehicle": "!skip", "anonymous": "!anonymous"},
    "follow_up": {"crime_reference": "12345/23", "reason": "!update"},
    "crime_report": CRIME,
    "lost_found_property": {"lost_or_found": "!lost", "item": "black leather wallet", "lost_where": "!skip",
                            "stolen": "!no", "contact": "!no_contact"},
    "road_traffic": ROAD,
    "fraud_scam": FRAUD,
    "general_enquiry": {"question": "how do I get a copy of a police report", "helped": "!yes"},
}


def _english_texts(journey) -> set[str]:
    out = set()
    for step in journey.steps.values():
        for texts in (step.prompt, step.reprompt or {}):
            if texts:
                out.add(texts["en"].split("{")[0].strip())
        for option in step.options:
            out.add(option.labels["en"])
    return {t for t in out if t}


@pytest.mark.parametrize("intent", sorted(SCRIPTS))
def test_every_default_journey_runs_in_welsh(d, intent):
    dec, steps, replies = run(d, intent, SCRIPTS[intent], language="cy")
    assert dec.state.outcome in ("summary", "handover", "self_service")
    english = _english_texts(d.journeys.for_intent(intent))
    for reply in replies:
        if reply.kind in ("question", "info", "summary", "handover_notice", "end"):
            assert not any(reply.text.startswith(en) for en in english), reply.text
            assert all(o.label not in english for o in reply.options), reply.options
    if dec.state.outcome == "summary":
        assert "Eich cyfeirnod yw" in summary_text(dec)


def test_guidance_search_words_are_per_language(d):
    seen = []
    original = d._guidance_finder

    def spy(errors):
        find = original(errors)

        def wrapped(query, language, intent):
            seen.append((query, language))
            return find(query, language, intent)

        return wrapped

    d._guidance_finder = spy
    try:
        run(d, "lost_found_property", SCRIPTS["lost_found_property"], language="cy")
        run(d, "lost_found_property", SCRIPTS["lost_found_property"])
    finally:
        d._guidance_finder = original
    assert ("eiddo coll beth i'w wneud", "cy") in seen
    assert ("lost property what to do", "en") in seen
