"""Slot extraction: many positive and negative examples (typos, lower case, spacing)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from switchboard import hookimpl
from switchboard.plugins.slots.plugin import SlotsPlugin
from switchboard.types import Slot

LONDON = ZoneInfo("Europe/London")
# Friday 27 November 2026, 14:30 GMT
NOW = datetime(2026, 11, 27, 14, 30, tzinfo=LONDON)


@pytest.fixture(scope="module")
def plugin():
    from switchboard.config import load_settings

    p = SlotsPlugin()
    p.configure(settings=load_settings(environ={}))
    return p


def slots(plugin, text, now=NOW):
    return {s.name: s for s in plugin.extract(text, now)}


def value(plugin, text, name, now=NOW):
    found = slots(plugin, text, now).get(name)
    return found.value if found else None


# -- postcode -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It happened outside SW1A 1AA", "SW1A 1AA"),
        ("postcode sw1a1aa", "SW1A 1AA"),
        ("my address is 10 High St, Leeds LS1 4AP", "LS1 4AP"),
        ("m1 1ae", "M1 1AE"),
        ("B33 8TH please", "B33 8TH"),
        ("cr2 6xh.", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
        ("ec1a  1bb", "EC1A 1BB"),
        ("(CF10 3NQ)", "CF10 3NQ"),
        ("GIR 0AA", "GIR 0AA"),
    ],
)
def test_postcode_positive(plugin, text, expected):
    assert value(plugin, text, "postcode") == expected


@pytest.mark.parametrize(
    "text",
    [
        "the car was AB12 CDE",  # a registration, not a postcode
        "call 07700 900123",
        "reference 12345/23",
        "I waited 2 hours",
        "SW1A 1CA",  # C is never an inward-code letter
        "QA1 1AA",  # Q never starts a postcode
        "it was 10am",
        "route A1 to the M25",
    ],
)
def test_postcode_negative(plugin, text):
    assert value(plugin, text, "postcode") is None


# -- phone --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call me on 07700 900123", "07700 900123"),
        ("07700900123", "07700 900123"),
        ("mob: 07700-900-123", "07700 900123"),
        ("+447700900123", "07700 900123"),
        ("+44 7700 900123", "07700 900123"),
        ("0044 7700 900 123", "07700 900123"),
        ("+44 (0)20 7946 0018", "020 7946 0018"),
        ("020 7946 0018", "020 7946 0018"),
        ("(020) 7946 0018", "020 7946 0018"),
        ("landline 0161 496 0000", "0161 496 0000"),
        ("01632 960123", "01632 960123"),
        ("0113 496 0123", "0113 496 0123"),
        ("0300 123 4567", "0300 123 4567"),
        ("my number is 01632960123.", "01632 960123"),
    ],
)
def test_phone_positive(plugin, text, expected):
    assert value(plugin, text, "phone") == expected


@pytest.mark.parametrize(
    "text",
    [
        "call 101",
        "I called 999",
        "07700 90012",  # too short for a mobile
        "077009001234",  # too long
        "05700 900123",  # not a UK geographic, non-geographic or mobile prefix
        "crime number 12345/23",
        "on 01/12/2026",
        "£1,234.56",
        "+33 1 23 45 67 89",  # French
    ],
)
def test_phone_negative(plugin, text):
    assert value(plugin, text, "phone") is None


# -- email --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("email me at jo.bloggs@example.com", "jo.bloggs@example.com"),
        ("Jo.Bloggs@Example.CO.UK.", "Jo.Bloggs@example.co.uk"),
        ("<sam+police@mail.example.org>", "sam+police@mail.example.org"),
        ("my email is alex_99@demo-mail.uk, thanks", "alex_99@demo-mail.uk"),
    ],
)
def test_email_positive(plugin, text, expected):
    assert value(plugin, text, "email") == expected


@pytest.mark.parametrize("text", ["@police on twitter", "meet me @ 5", "john@localhost", "a@b.c"])
def test_email_negative(plugin, text):
    assert value(plugin, text, "email") is None


# -- vehicle registration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reg AB12 CDE", "AB12 CDE"),
        ("the van was ab12cde", "AB12 CDE"),
        ("a silver car, reg yk70 abc", "YK70 ABC"),
        ("plate BD51  SMR", "BD51 SMR"),
        ("old car P123 ABC", "P123 ABC"),
        ("a car reg p123 abc", "P123 ABC"),
        ("classic car ABC 123D", "ABC 123D"),
        ("the bike was abc123d", "ABC 123D"),
        ("registration L7 MXR", "L7 MXR"),
    ],
)
def test_vehicle_reg_positive(plugin, text, expected):
    assert value(plugin, text, "vehicle_reg") == expected


@pytest.mark.parametrize(
    "text",
    [
        "on the m25 the traffic stopped",
        "we took the a40 and then",
        "he sat at 10 and ate",
        "SW1A 1AA",
        "my flat is apt 3b",
        "I was on 12 may",
        "drove down the a127 for miles",
        "it was a p45 form",
        "b12 9hh",  # a postcode
        "there were 3 men",
        "IQ12 ABC",  # I never starts a current-format registration
    ],
)
def test_vehicle_reg_negative(plugin, text):
    assert value(plugin, text, "vehicle_reg") is None


def test_lower_case_old_format_needs_vehicle_context(plugin):
    assert value(plugin, "p123 abc", "vehicle_reg") is None
    assert value(plugin, "the car was p123 abc", "vehicle_reg") == "P123 ABC"


# -- crime reference ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my crime number is 12345/23", "12345/23"),
        ("ref 47/11111/25", "47/11111/25"),
        ("CRN 87654321", "CRN 87654321"),
        ("crn87654321 follow up", "CRN87654321"),
        ("crn 87654321", "CRN 87654321"),
    ],
)
def test_crime_reference_positive(plugin, text, expected):
    assert value(plugin, text, "crime_reference") == expected


@pytest.mark.parametrize("text", ["1234/23", "123456/23", "CRN 1234567", "order 12345-23"])
def test_crime_reference_negative(plugin, text):
    assert value(plugin, text, "crime_reference") is None


def test_crime_reference_patterns_come_from_force_config(sb_settings):
    settings = sb_settings(overrides={"force": {"crime_reference_patterns": [r"\bDC-\d{6}\b"]}})
    p = SlotsPlugin()
    p.configure(settings=settings)
    assert {s.name: s.value for s in p.extract("ref dc-123456", NOW)}["crime_reference"] == "DC-123456"
    assert "crime_reference" not in {s.name for s in p.extract("ref 12345/23", NOW)}


# -- when ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "written"),
    [
        ("someone kicked my door last night", "2026-11-26T22:00", "last night"),
        ("it was yesterday afternoon", "2026-11-26T15:00", "yesterday afternoon"),
        ("it happened Tuesday about 9pm", "2026-11-24T21:00", "Tuesday about 9pm"),
        ("on the 3rd a man took my bag", "2026-11-03", "the 3rd"),
        ("20/11 there was a fight", "2026-11-20", "20/11"),
        ("2 hours ago a van hit my wall", "2026-11-27T12:30", "2 hours ago"),
        ("this morning my neighbour shouted", "2026-11-27T09:00", "this morning"),
        ("yesterday", "2026-11-26", "yesterday"),
        ("yesterdy at 3pm", "2026-11-26T15:00", "yesterdy at 3pm"),
        ("last nite around 11", "2026-11-26T23:00", "last nite around 11"),
        ("last night about 2am", "2026-11-27T02:00", "last night about 2am"),
        ("on friday at 11pm", "2026-11-20T23:00", "on friday at 11pm"),  # today is Friday, 11pm not yet
        ("on friday at 9am", "2026-11-27T09:00", "on friday at 9am"),
        ("last friday", "2026-11-20", "last friday"),
        ("wensday evening", "2026-11-25T19:00", "wensday evening"),
        ("at 9.30pm on Monday", "2026-11-23T21:30", "at 9.30pm on Monday"),
        ("on sat at 14:00", "2026-11-21T14:00", "on sat at 14:00"),
        ("since 5 nov", "2026-11-05", "5 nov"),
        ("3rd November 2025", "2025-11-03", "3rd November 2025"),
        ("december 1st", "2025-12-01", "december 1st"),  # the most recent 1 December is last year's
        ("20/11/2026", "2026-11-20", "20/11/2026"),
        ("01.10.26", "2026-10-01", "01.10.26"),
        ("30 minutes ago", "2026-11-27T14:00", "30 minutes ago"),
        ("half an hour ago", "2026-11-27T14:00", "half an hour ago"),
        ("a couple of hours ago", "2026-11-27T12:30", "a couple of hours ago"),
        ("3 days ago", "2026-11-24", "3 days ago"),
        ("at 3pm", "2026-11-26T15:00", "at 3pm"),  # 3pm today is still to come
        ("at 10am", "2026-11-27T10:00", "at 10am"),
        ("the day before yesterday", "2026-11-25", "the day before yesterday"),
        ("earlier today", "2026-11-27", "earlier today"),
        ("2026-11-01", "2026-11-01", "2026-11-01"),
    ],
)
def test_when_positive(plugin, text, expected, written):
    found = slots(plugin, text).get("when")
    assert found is not None, text
    assert (found.value, found.text) == (expected, written)


@pytest.mark.parametrize(
    "text",
    [
        "I sat down and waited",  # "sat" alone is not Saturday
        "the sun was out",
        "there were 3 men",
        "my crime number is 12345/23",
        "call me on 07700 900123",
        "I live at 10 Downing Street",
        "32/13 is not a date",
        "about 5 people",
    ],
)
def test_when_negative(plugin, text):
    assert "when" not in slots(plugin, text), text


def test_when_uses_received_at_in_london_time(plugin):
    # 00:30 UTC on 1 July is 01:30 BST: "yesterday" is 30 June
    received = datetime(2026, 7, 1, 0, 30, tzinfo=timezone.utc)
    assert value(plugin, "yesterday", "when", received) == "2026-06-30"
    # "on the 3rd" on 1 December resolves to 3 November
    assert value(plugin, "on the 3rd", "when", datetime(2026, 12, 1, 9, tzinfo=LONDON)) == "2026-11-03"
    # "on the 31st" on 15 December skips November (30 days) to 31 October? No: 31 December is in the future,
    # November has no 31st, so the most recent is 31 October.
    assert value(plugin, "on the 31st", "when", datetime(2026, 12, 15, 9, tzinfo=LONDON)) == "2026-10-31"


def test_weekday_today_before_the_time_counts(plugin):
    # Friday 14:30: "friday morning" is this morning
    assert value(plugin, "friday morning", "when") == "2026-11-27T09:00"


# -- several slots and the hook -----------------------------------------------------------------------


def test_many_slots_in_one_message(plugin):
    found = slots(
        plugin,
        "Last night about 11pm a van AB12 CDE hit my car outside LS1 4AP. ref 12345/23, call 07700 900123 or jo@example.com",
    )
    assert {k: v.value for k, v in found.items()} == {
        "when": "2026-11-26T23:00",
        "vehicle_reg": "AB12 CDE",
        "postcode": "LS1 4AP",
        "crime_reference": "12345/23",
        "phone": "07700 900123",
        "email": "jo@example.com",
    }
    assert found["when"].text == "Last night about 11pm"


def test_disabled_slots_option(sb_settings):
    p = SlotsPlugin()
    settings = sb_settings(overrides={"plugins": {"slots": {"disabled_slots": ["postcode"]}}})
    assert p.validate_config(settings=settings) == []
    p.configure(settings=settings)
    assert {s.name for s in p.extract("SW1A 1AA yesterday", NOW)} == {"when"}
    bad = sb_settings(overrides={"plugins": {"slots": {"disabled_slots": ["postcodes"], "colour": 1}}})
    problems = p.validate_config(settings=bad)
    assert any(x.startswith("plugins.slots.colour") for x in problems)
    assert any(x.startswith("plugins.slots.disabled_slots") for x in problems)


def test_through_dispatcher_and_force_plugin_wins(sb_dispatcher):
    class ForcePostcode:
        @hookimpl
        def extract_slots(self, message):
            return [Slot("postcode", "ZZ1 1ZZ", "x")]

    d = sb_dispatcher()
    msg = d.make_message("my car AB12 CDE was hit yesterday in SW1A 1AA", received_at=NOW)
    found = d.extract_slots(message=msg)
    assert found["postcode"].value == "SW1A 1AA"
    assert found["postcode"].plugin == "slots"
    assert found["when"].value == "2026-11-26"
    d2 = sb_dispatcher(plugins=[("force", ForcePostcode)])
    found2 = d2.extract_slots(message=d2.make_message("SW1A 1AA", received_at=NOW))
    assert found2["postcode"].value == "ZZ1 1ZZ"


def _token_starts(text):
    """Where find_when may start matching, from its plain tokenisation (the reference)."""
    from switchboard.plugins.slots import when as w

    tokens = [(m.start(), m.group().lower()) for m in w._TOKEN.finditer(text)]
    words = {tok for _, tok in tokens}
    return (
        [pos for pos, tok in tokens if tok[0].isdigit() or tok in w._DAY_TRIGGERS],
        [pos for pos, tok in tokens if tok[0].isdigit() or tok in w._TIME_TRIGGERS],
        # ASCII: only "ago" or "just now" can begin one (other texts: "ago" or "now", as IGNORECASE
        # lets letters such as the long s match)
        ("ago" in words or {"just", "now"} <= words) if text.isascii() else bool(words & w._AGO_TRIGGERS),
    )


def test_start_positions_of_ascii_texts_equal_the_tokenised_reference(monkeypatch):
    import csv

    from switchboard.plugins.slots import when as w
    from switchboard.plugins.slots.when import _starts
    from switchboard.training.paths import DEFAULT_TRAIN

    # every trigger word counts here (leaving out impossible starts is tested below)
    monkeypatch.setattr(w, "_may_start_day", lambda word, low, end: True)
    monkeypatch.setattr(w, "_may_start_time", lambda word, low, end: True)

    texts = [
        "", "x", "5pm", "at5 on Mon", "abc123def the4th", "Yesterday at 10:30AM", "THE day BEFORE yesterday",
        "2 hrs ago!! now", "on on onon the-the", "then there other athens", "MONDAY mon.monday", "12/11 at 9",
        "thursday,sat;sun:tonight", "lastnight last night", "Ｍｏｎ at ９pm", "café on tuesday", "ago\nago\tnow",
    ]
    for path in DEFAULT_TRAIN.values():
        with open(path, encoding="utf-8", newline="") as fh:
            texts += [row["text"] for row in csv.DictReader(fh)][::7]
    assert len(texts) > 500
    for text in texts:
        assert _starts(text) == _token_starts(text), text


def test_skipping_starts_the_patterns_cannot_match_changes_no_answer(monkeypatch):
    import csv

    from switchboard.plugins.slots import when as w
    from switchboard.training.paths import DEFAULT_TRAIN

    texts = [
        "on  tuesday at  9", "the 3rd at noon", "the day before yesterday about 5", "on mon", "on\tfri at\n9pm",
        "gone midnight", "around mid-day", "c. 9pm", "approx. 9pm", "at 5", "at5", "the5th", "on tues",
        "on tuesdays", "the  day before yesterday", "about noon on the 4th", "after 10.30 on sunday",
    ]
    for path in DEFAULT_TRAIN.values():
        with open(path, encoding="utf-8", newline="") as fh:
            texts += [row["text"] for row in csv.DictReader(fh)][::3]
    texts += ["just now", "NOW", "right now, 2 hours ago", "a moment ago", "now just", "half an hour ago"]
    skipping = [w.find_when(t, NOW) for t in texts]
    monkeypatch.setattr(w, "_may_start_day", lambda word, low, end: True)
    monkeypatch.setattr(w, "_may_start_time", lambda word, low, end: True)
    starts = w._starts

    def every_ago_word(text):  # look for an "ago" expression wherever "ago" or "now" occurs
        days, times, _ago = starts(text)
        return days, times, any(t in w._AGO_TRIGGERS for t in re.findall(r"[a-z]+", text.lower()))

    monkeypatch.setattr(w, "_starts", every_ago_word)
    trying_all = [w.find_when(t, NOW) for t in texts]
    assert skipping == trying_all
    assert sum(1 for found in trying_all if found) > 100


def test_registration_pre_check_never_hides_a_registration(monkeypatch):
    import csv

    from switchboard.plugins.slots import patterns as p
    from switchboard.training.paths import DEFAULT_TRAIN

    texts = ["AB12 CDE", "ab12cde outside", "reg ab12 cde", "A123 BCD", "ABC 123D", "ABC\t\t123 D", "ſk12 cde",
             "van KA51 XYZ", "car reg abc 123d", "12 34 56", "the 4x4 was parked", "W 123 ABC"]
    for path in DEFAULT_TRAIN.values():
        with open(path, encoding="utf-8", newline="") as fh:
            texts += [row["text"] for row in csv.DictReader(fh) if any(c.isdigit() for c in row["text"])]
    checked = [p.find_vehicle_regs(t) for t in texts]
    monkeypatch.setattr(p, "_VEHICLE_HINT", re.compile(""))  # matches everywhere: no pre-check
    assert [p.find_vehicle_regs(t) for t in texts] == checked
    assert sum(1 for found in checked if found) >= 5
