"""The built-in answer validators used by journey steps."""

from __future__ import annotations

from datetime import datetime

import pytest

from switchboard import validators as v

NOW = datetime(2026, 11, 27, 14, 30)  # a Friday afternoon


@pytest.mark.parametrize(
    "text, value",
    [("it's sw1a 1aa", "SW1A 1AA"), ("CF10 3NN", "CF10 3NN"), ("near ll551aa please", "LL55 1AA"), ("M1 1AE", "M1 1AE")],
)
def test_postcode(text, value):
    assert v.validate_postcode(text).value == value


@pytest.mark.parametrize("text", ["High Street", "12345", "QV1 1AA", "SW1A"])
def test_not_a_postcode(text):
    assert v.validate_postcode(text) is None


@pytest.mark.parametrize(
    "text, value",
    [("07700 900123", "07700900123"), ("+44 7700 900123", "07700900123"), ("(029) 2022 2111", "02920222111"),
     ("call 01234-567890 after 6", "01234567890"), ("+44 (0)20 7946 0018", "02079460018")],
)
def test_phone(text, value):
    assert v.validate_phone(text).value == value


@pytest.mark.parametrize("text", ["12345", "07700", "09876 543210", "my number is secret"])
def test_not_a_phone(text):
    assert v.validate_phone(text) is None


def test_phone_and_when_display_formats():
    assert v.display_value("phone", "07700900123") == "07700 900123"
    assert v.display_value("phone", "02920222111") == "029 2022 2111"
    assert v.display_value("when", "2026-11-26T21:00") == "26/11/2026 21:00"
    assert v.display_value("when", "2026-11-26") == "26/11/2026"
    assert v.display_value("when", "every weekend") == "every weekend"


def test_email():
    assert v.validate_email("it's Sam.Jones@Example.CO.UK thanks").value == "Sam.Jones@example.co.uk"
    assert v.validate_email("sam at example dot com") is None


@pytest.mark.parametrize(
    "text, value",
    [("ab12cde", "AB12 CDE"), ("a white van AB12 CDE", "AB12 CDE"), ("P123 ABC", "P123 ABC"), ("ABC 123D", "ABC 123D")],
)
def test_vehicle_reg(text, value):
    assert v.validate_vehicle_reg(text).value == value


def test_not_a_vehicle_reg():
    assert v.validate_vehicle_reg("a blue car") is None


def test_crime_reference_uses_force_patterns():
    patterns = v.compile_crime_patterns([r"\b\d{5}/\d{2}\b", r"\bCRN\s?\d{8}\b"])
    assert v.validate_crime_reference("ref 12345/23 please", patterns).value == "12345/23"
    assert v.validate_crime_reference("crn 87654321", patterns).value == "CRN 87654321"
    assert v.validate_crime_reference("1234/23", patterns) is None
    assert v.validate_crime_reference("12345/23", []) is None


@pytest.mark.parametrize(
    "text, value",
    [
        ("last night", "2026-11-26T22:00"),
        ("yesterday about 7pm", "2026-11-26T19:00"),
        ("Tuesday about 9pm", "2026-11-24T21:00"),
        ("this morning", "2026-11-27T09:00"),
        ("at 10:15", "2026-11-27T10:15"),
        ("at 18:00", "2026-11-26T18:00"),  # later than now today: taken as yesterday
        ("12/11 at 9pm", "2026-11-12T21:00"),
        ("3 November", "2026-11-03"),
        ("14th of December", "2025-12-14"),  # in the future this year: last year
        ("neithiwr", "2026-11-26T22:00"),
        ("dydd Llun", "2026-11-23"),
        ("friday", "2026-11-27"),
        ("last friday", "2026-11-20"),
    ],
)
def test_when_phrases(text, value):
    assert v.parse_when(text, NOW).value == value


@pytest.mark.parametrize("text", ["about two weeks ago", "every weekend", "most evenings", "ers wythnos"])
def test_vague_when_kept_as_written(text):
    assert v.parse_when(text, NOW).value == text


@pytest.mark.parametrize("text", ["blue", "my neighbour", "High Street"])
def test_not_a_when(text):
    assert v.parse_when(text, NOW) is None


@pytest.mark.parametrize("text", ["yes", "Yeah", "yes please", "ie", "Ydw", "oes", "I think so, yes"])
def test_yes(text):
    assert v.validate_yes_no(text).value == "yes"


@pytest.mark.parametrize("text", ["no", "Nope.", "no thanks", "na", "nac oes", "naddo", "not really", "nobody"])
def test_no(text):
    assert v.validate_yes_no(text).value == "no"


@pytest.mark.parametrize("text", ["banana", "maybe", "the red one over there by the tree", ""])
def test_unclear_yes_no(text):
    assert v.validate_yes_no(text) is None


@pytest.mark.parametrize("text", ["skip", "Don't know", "not sure.", "dunno", "dim syniad", "dwi ddim yn gwybod", "um, no idea"])
def test_skip_words(text):
    assert v.is_skip(text)


@pytest.mark.parametrize("text", ["a man who did not know where he was going", "Skipton Road", "no"])
def test_not_skip(text):
    assert not v.is_skip(text)


def test_choice_by_id_label_number_and_words():
    options = [("phone", ["By phone", "Dros y ffôn"]), ("email", ["By email", "Drwy e-bost"])]
    assert v.validate_choice("phone", options).value == "phone"
    assert v.validate_choice("Drwy e-bost", options).value == "email"
    assert v.validate_choice("2", options).value == "email"
    assert v.validate_choice("by phone please", options).value == "phone"
    assert v.validate_choice("3", options) is None
    assert v.validate_choice("pigeon", options) is None
    # labels must match whole words ("na" is not inside "banana")
    assert v.validate_choice("banana", [("no", ["Na"])]) is None


def test_text_min_length():
    assert v.validate_text("  ok  ", 2).value == "ok"
    assert v.validate_text("x", 2) is None
    assert v.validate_text("...", 2) is None
