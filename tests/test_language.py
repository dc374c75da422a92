"""Welsh detection: a visitor who writes in Welsh gets Welsh; English with Welsh names stays English."""

from __future__ import annotations

import pytest

from switchboard.language import detect_language

WELSH = [
    "Mae fy nghymydog yn chwarae cerddoriaeth uchel bob nos",
    "Dwi eisiau riportio lladrad",
    "Cafodd fy meic ei ddwyn neithiwr",
    "Shwmae, mae gen i gwestiwn am fy achos",
    "Rydw i wedi colli fy waled yn y dref",
    "Mae rhywun wedi torri ffenest fy nghar",
    "Hoffwn i siarad â rhywun yn Gymraeg",
    "Ges i alwad ffôn gan rywun yn dweud eu bod o'r banc",
    "Mae plant yn taflu cerrig at y tai",
    "Helo, oes modd i mi gael diweddariad ar fy adroddiad?",
    "Beth yw'r rhif i ffonio?",
    "Ble mae'r orsaf heddlu agosaf?",
    "Mae car wedi’i barcio ar y palmant ers dyddiau",
    "Mae sŵn ofnadwy drws nesaf",
    "Shwmae",
    "Cymraeg",
]
ENGLISH = [
    "My neighbour plays loud music every night",
    "I want to report a theft",
    "Someone stole my bike from Pen y Bont station",
    "I lost my wallet in Llandudno",
    "Diolch for your help, that's great",
    "There's a car parked on Heol yr Ysgol",
    "My daughter goes to Ysgol Gymraeg Bro Morgannwg and kids are fighting outside",
    "I was at the pan handle bar with my mam",
    "The light was dim and I could not see his face",
]


@pytest.mark.parametrize("text", WELSH)
def test_welsh_is_detected(text):
    assert detect_language(text) == "cy"


@pytest.mark.parametrize("text", ENGLISH)
def test_english_is_not_switched_to_welsh(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["Heol yr Ysgol", "Ffordd y Brenin, Caerdydd", "Tŷ Gwyn", "yes", "diolch", "07700 900123", ""])
def test_short_or_name_only_answers_do_not_decide(text):
    assert detect_language(text) is None


def test_writing_welsh_switches_the_conversation_and_journey_to_welsh(sb_dispatcher):
    d = sb_dispatcher()
    dec = d.dispatch(d.make_message("", choice="intent:crime_report"))
    assert dec.state.language == "en"
    dec = d.dispatch(d.make_message("Cafodd fy meic ei ddwyn o'r tu allan i'r llyfrgell neithiwr", state=dec.state))
    assert dec.state.language == "cy"
    assert dec.replies[0].kind == "notice"  # "language_switched"
    journey = d.journeys.for_intent("crime_report")
    assert dec.replies[-1].text == journey.steps[dec.state.step].prompt["cy"]
