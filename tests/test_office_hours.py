"""Office hours: weekly periods, clock changes, UK bank holidays per region, closures."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from switchboard.errors import ConfigError
from switchboard.plugins.office_hours.plugin import OfficeHoursPlugin
from switchboard.plugins.office_hours.schedule import Schedule, load_schedules, parse_schedule, validate_schedules

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc


def make(table: dict, name: str = "s") -> Schedule:
    problems: list[str] = []
    schedule = parse_schedule(name, table, "Europe/London", problems)
    assert problems == []
    assert schedule is not None
    return schedule


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- weekly periods ----------------------------------------------------------------------------------

SPLIT = {"hours": {"mon-fri": ["08:00-12:00", "13:00-20:00"]}}


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (local(2026, 11, 24, 7, 59), False),  # Tuesday
        (local(2026, 11, 24, 8, 0), True),
        (local(2026, 11, 24, 11, 59), True),
        (local(2026, 11, 24, 12, 0), False),  # lunch
        (local(2026, 11, 24, 12, 30), False),
        (local(2026, 11, 24, 13, 0), True),
        (local(2026, 11, 24, 19, 59), True),
        (local(2026, 11, 24, 20, 0), False),
        (local(2026, 11, 28, 10, 0), False),  # Saturday
        (local(2026, 11, 29, 10, 0), False),  # Sunday
    ],
)
def test_split_periods_per_weekday(when, expected):
    assert make(SPLIT).is_open(when) is expected


def test_next_opening_after_lunch_and_overnight():
    s = make(SPLIT)
    assert s.next_opening(local(2026, 11, 24, 12, 15)) == local(2026, 11, 24, 13, 0)
    assert s.next_opening(local(2026, 11, 24, 21, 0)) == local(2026, 11, 25, 8, 0)
    open_now = local(2026, 11, 24, 9, 30)
    assert s.next_opening(open_now) == open_now


def test_next_opening_across_weekend():
    s = make(SPLIT)
    assert s.next_opening(local(2026, 11, 27, 20, 30)) == local(2026, 11, 30, 8, 0)  # Fri night -> Mon


def test_aware_utc_input_is_converted_to_london_time():
    s = make({"hours": {"daily": ["09:00-17:00"]}})
    # 16:30 UTC in July is 17:30 BST: closed. In January 16:30 UTC is 16:30 GMT: open.
    assert s.is_open(utc(2026, 7, 15, 16, 30)) is False
    assert s.is_open(utc(2026, 1, 15, 16, 30)) is True
    # 08:30 UTC in July is 09:30 BST: open.
    assert s.is_open(utc(2026, 7, 15, 8, 30)) is True
    nxt = s.next_opening(utc(2026, 7, 15, 17, 0))
    assert nxt == utc(2026, 7, 16, 8, 0)  # 09:00 BST
    assert nxt.utcoffset() == timedelta(hours=1)


def test_always_open():
    s = make({"hours": "24/7"})
    for hour in range(24):
        assert s.is_open(utc(2026, 12, 25, hour, 0))


# -- clock changes ------------------------------------------------------------------------------------


NIGHT = {"hours": {"daily": ["00:30-03:00", "08:00-18:00"]}}


def test_spring_forward_night_window_is_short():
    """2026-03-29: 01:00 GMT becomes 02:00 BST; 00:30-03:00 local is 00:30-02:00 UTC."""
    s = make(NIGHT)
    assert s.is_open(utc(2026, 3, 29, 0, 20)) is False  # 00:20 GMT
    assert s.is_open(utc(2026, 3, 29, 0, 30)) is True  # 00:30 GMT
    assert s.is_open(utc(2026, 3, 29, 0, 59)) is True  # 00:59 GMT
    assert s.is_open(utc(2026, 3, 29, 1, 0)) is True  # 02:00 BST
    assert s.is_open(utc(2026, 3, 29, 1, 59)) is True  # 02:59 BST
    assert s.is_open(utc(2026, 3, 29, 2, 0)) is False  # 03:00 BST
    # after the window the next opening is 08:00 BST = 07:00 UTC
    assert s.next_opening(utc(2026, 3, 29, 2, 0)) == utc(2026, 3, 29, 7, 0)
    # the day before, 08:00 GMT = 08:00 UTC
    assert s.next_opening(utc(2026, 3, 28, 3, 0)) == utc(2026, 3, 28, 8, 0)


def test_fall_back_night_window_is_long():
    """2026-10-25: 02:00 BST becomes 01:00 GMT; 00:30-03:00 local is 23:30 (24th) to 03:00 UTC."""
    s = make(NIGHT)
    assert s.is_open(utc(2026, 10, 24, 23, 20)) is False  # 00:20 BST
    assert s.is_open(utc(2026, 10, 24, 23, 30)) is True  # 00:30 BST
    assert s.is_open(utc(2026, 10, 25, 0, 30)) is True  # 01:30 BST (first time)
    assert s.is_open(utc(2026, 10, 25, 1, 30)) is True  # 01:30 GMT (second time)
    assert s.is_open(utc(2026, 10, 25, 2, 59)) is True  # 02:59 GMT
    assert s.is_open(utc(2026, 10, 25, 3, 0)) is False  # 03:00 GMT
    assert s.next_opening(utc(2026, 10, 24, 23, 0)) == utc(2026, 10, 24, 23, 30)
    # 08:00 GMT = 08:00 UTC after the change; the day before 08:00 BST = 07:00 UTC
    assert s.next_opening(utc(2026, 10, 25, 3, 0)) == utc(2026, 10, 25, 8, 0)
    assert s.next_opening(utc(2026, 10, 24, 3, 0)) == utc(2026, 10, 24, 7, 0)


def test_opening_inside_the_skipped_hour_opens_at_the_jump():
    s = make({"hours": {"sun": ["01:30-05:00"]}})
    nxt = s.next_opening(utc(2026, 3, 28, 23, 0))
    assert nxt == utc(2026, 3, 29, 1, 0)  # clocks jump from 01:00 GMT to 02:00 BST
    assert s.is_open(nxt)
    assert not s.is_open(nxt.astimezone(UTC) - timedelta(seconds=1))  # UTC arithmetic, not wall-clock


def test_next_opening_over_clock_change_weekend():
    s = make({"hours": {"mon-fri": ["08:00-17:00"]}})
    # Friday 23 Oct 2026 evening (BST) -> Monday 26 Oct 08:00 GMT
    nxt = s.next_opening(local(2026, 10, 23, 18, 0))
    assert nxt == utc(2026, 10, 26, 8, 0)
    assert nxt.utcoffset() == timedelta(0)


# -- bank holidays ------------------------------------------------------------------------------------


def office(region: str, closes: bool = True) -> Schedule:
    return make({"region": region, "closed_on_bank_holidays": closes, "hours": {"mon-fri": ["09:00-17:00"]}})


def test_substitute_boxing_day_2026_closed_in_every_region():
    for region in ("england-and-wales", "scotland", "northern-ireland"):
        assert office(region).is_open(local(2026, 12, 28, 10, 0)) is False, region
    assert office("england-and-wales").is_open(local(2026, 12, 29, 10, 0)) is True


def test_st_andrews_day_closes_scotland_only():
    at = local(2026, 11, 30, 10, 0)  # Monday
    assert office("scotland").is_open(at) is False
    assert office("england-and-wales").is_open(at) is True
    assert office("northern-ireland").is_open(at) is True
    assert office("scotland").bank_holiday(at.date()) is not None


def test_st_patricks_day_closes_northern_ireland_only():
    at = local(2026, 3, 17, 10, 0)  # Tuesday
    assert office("northern-ireland").is_open(at) is False
    assert office("england-and-wales").is_open(at) is True
    assert office("scotland").is_open(at) is True


def test_easter_monday_not_a_holiday_in_scotland():
    at = local(2026, 4, 6, 10, 0)
    assert office("england-and-wales").is_open(at) is False
    assert office("scotland").is_open(at) is True


def test_schedule_that_stays_open_on_bank_holidays():
    assert office("england-and-wales", closes=False).is_open(local(2026, 12, 28, 10, 0)) is True


def test_next_opening_across_christmas_weekend_and_bank_holidays():
    s = office("england-and-wales")
    # Thu 24 Dec 17:30 -> Fri 25 (Christmas), Sat, Sun, Mon 28 (substitute) -> Tue 29 Dec 09:00
    assert s.next_opening(local(2026, 12, 24, 17, 30)) == local(2026, 12, 29, 9, 0)
    # Scotland: Thu 31 Dec -> Fri 1 Jan and Sat/Sun; Mon 4 Jan 2027 is the substitute for 2 Jan
    sct = office("scotland")
    nxt = sct.next_opening(local(2026, 12, 31, 18, 0))
    assert nxt.date().isoformat() == "2027-01-05"
    assert sct.bank_holiday(nxt.date()) is None


def test_next_opening_friday_evening_before_easter_monday():
    s = office("england-and-wales")
    # Thu 2 Apr 2026 evening: Good Friday, weekend, Easter Monday closed -> Tue 7 Apr
    assert s.next_opening(local(2026, 4, 2, 18, 0)) == local(2026, 4, 7, 9, 0)


# -- one-off closures ---------------------------------------------------------------------------------


def test_one_off_closures_by_date_and_datetime_range():
    from datetime import date

    s = make(
        {
            "hours": {"daily": ["08:00-20:00"]},
            "closures": [
                date(2026, 12, 2),
                "2026-12-03",
                {"from": datetime(2026, 12, 4, 12, 0), "to": datetime(2026, 12, 4, 15, 30), "reason": "training"},
                {"from": "2026-12-10", "to": "2026-12-11"},
            ],
        }
    )
    assert s.is_open(local(2026, 12, 1, 10, 0)) is True
    assert s.is_open(local(2026, 12, 2, 10, 0)) is False
    assert s.is_open(local(2026, 12, 3, 19, 0)) is False
    assert s.is_open(local(2026, 12, 4, 11, 59)) is True
    assert s.is_open(local(2026, 12, 4, 12, 0)) is False
    assert s.next_opening(local(2026, 12, 4, 12, 30)) == local(2026, 12, 4, 15, 30)
    assert s.next_opening(local(2026, 12, 2, 9, 0)) == local(2026, 12, 4, 8, 0)
    # an inclusive date range: closed on the 10th and 11th
    assert s.is_open(local(2026, 12, 11, 12, 0)) is False
    assert s.next_opening(local(2026, 12, 10, 9, 0)) == local(2026, 12, 12, 8, 0)


def test_closure_applies_to_24_7_schedule():
    s = make({"hours": "24/7", "closures": [{"from": datetime(2026, 12, 1, 2, 0), "to": datetime(2026, 12, 1, 4, 0)}]})
    assert s.is_open(local(2026, 12, 1, 1, 59)) is True
    assert s.is_open(local(2026, 12, 1, 3, 0)) is False
    assert s.next_opening(local(2026, 12, 1, 3, 0)) == local(2026, 12, 1, 4, 0)


# -- validation ---------------------------------------------------------------------------------------


def problems_for(table: dict) -> list[str]:
    out: list[str] = []
    parse_schedule("x", table, "Europe/London", out)
    return out


@pytest.mark.parametrize(
    ("table", "key", "words"),
    [
        ({"hours": "24/7", "colour": "red"}, "schedules.x.colour", "unknown key"),
        ({"hours": {"mon": ["25:00-26:00"]}}, "schedules.x.hours.mon[0]", "bad start time"),
        ({"hours": {"mon": ["09:00-24:30"]}}, "schedules.x.hours.mon[0]", "bad end time"),
        ({"hours": {"mon": ["09:60-10:00"]}}, "schedules.x.hours.mon[0]", "bad start time"),
        ({"hours": {"mon": ["17:00-09:00"]}}, "schedules.x.hours.mon[0]", "not after start"),
        ({"hours": {"mon": ["9am to 5pm"]}}, "schedules.x.hours.mon[0]", "HH:MM-HH:MM"),
        ({"hours": {"funday": ["09:00-17:00"]}}, "schedules.x.hours.funday", "unknown day"),
        ({"hours": {"mon": ["09:00-13:00", "12:00-17:00"]}}, "schedules.x.hours.mon", "overlaps"),
        ({"hours": {"mon-fri": ["09:00-17:00"], "wed": ["16:00-18:00"]}}, "schedules.x.hours.", "overlaps"),
        ({"region": "atlantis", "hours": "24/7"}, "schedules.x.region", "unknown region"),
        ({"closed_on_bank_holidays": True, "hours": "24/7"}, "schedules.x.region", "required"),
        ({"hours": "sometimes"}, "schedules.x.hours", "24/7"),
        ({}, "schedules.x.hours", "required"),
        ({"hours": "24/7", "timezone": "Mars/Olympus"}, "schedules.x.timezone", "unknown time zone"),
        ({"hours": "24/7", "closures": ["2026-13-01"]}, "schedules.x.closures[0]", "expected a date"),
        ({"hours": "24/7", "closures": [{"from": "2026-12-05", "to": "2026-12-01"}]}, "schedules.x.closures[0]", "ends before"),
    ],
)
def test_validation_names_the_key(table, key, words):
    problems = problems_for(table)
    assert problems, table
    assert any(p.startswith(key) and words in p for p in problems), problems


def test_touching_periods_are_not_overlapping():
    assert problems_for({"hours": {"mon": ["08:00-12:00", "12:00-24:00"], "tue": ["00:00-06:00"]}}) == []


def test_demo_force_schedules_are_valid(sb_settings):
    settings = sb_settings()
    assert validate_schedules(settings) == []
    schedules = load_schedules(settings)
    assert schedules["always"].always


def test_load_schedules_raises_config_error_naming_key(sb_settings):
    settings = sb_settings(overrides={"schedules": {"bad": {"hours": {"mon": ["25:00-26:00"]}}}})
    with pytest.raises(ConfigError) as err:
        load_schedules(settings)
    assert err.value.key == "schedules.bad.hours.mon[0]"


def test_validate_config_hook_reports_problems_through_dispatcher(sb_settings, sb_dispatcher):
    settings = sb_settings(overrides={"schedules": {"bad": {"region": "mordor", "hours": "24/7"}}})
    with pytest.raises(ConfigError) as err:
        sb_dispatcher(settings=settings)
    assert "schedules.bad.region" in str(err.value)


# -- the hooks ----------------------------------------------------------------------------------------


def test_hooks_answer_per_queue_and_none_without_schedule(sb_dispatcher):
    d = sb_dispatcher()
    saturday_night = local(2026, 11, 28, 23, 0)
    assert d.pm.hook.is_queue_open(queue="contact_centre", at=saturday_night) is True
    assert d.pm.hook.is_queue_open(queue="fraud", at=saturday_night) is False
    assert d.pm.hook.is_queue_open(queue="no_such_queue", at=saturday_night) is None
    assert d.pm.hook.next_opening(queue="no_such_queue", at=saturday_night) is None
    assert d.next_opening(queue="fraud", at=saturday_night) == local(2026, 11, 30, 9, 0)
    assert d.is_queue_open(queue="fraud", at=local(2026, 11, 30, 9, 0)) is True


def test_force_plugin_overrides_builtin_answer(sb_dispatcher):
    from switchboard import hookimpl

    class AlwaysClosed:
        @hookimpl
        def is_queue_open(self, queue, at):
            return False

    d = sb_dispatcher(plugins=[("force", AlwaysClosed)])
    assert d.is_queue_open(queue="contact_centre", at=local(2026, 11, 24, 10, 0)) is False


def test_plugin_instance_without_configure_abstains():
    plugin = OfficeHoursPlugin()
    assert plugin.is_queue_open(queue="contact_centre", at=local(2026, 11, 24, 10, 0)) is None
