"""Opening-hours schedules: weekly periods, UK bank holidays, one-off closures, Europe/London.

A schedule is configuration (``[schedules.<name>]`` in the force file)::

    [schedules.office]
    region = "england-and-wales"      # or "scotland", "northern-ireland" (or ENG / SCT / NIR)
    closed_on_bank_holidays = true
    closures = [2026-12-24, { from = 2026-12-31T17:00:00, to = 2027-01-01T09:00:00 }]
    [schedules.office.hours]
    mon-fri = ["08:00-12:00", "13:00-20:00"]
    sat = ["09:00-13:00"]

    [schedules.always]
    hours = "24/7"

Day keys are ``mon`` … ``sun``, ranges such as ``mon-fri`` or ``sat-sun``, and ``daily``.
A period is ``"HH:MM-HH:MM"`` on one day; ``24:00`` ends a period at midnight (split an
overnight shift into ``"22:00-24:00"`` and a next-day ``"00:00-06:00"``). Times are wall-clock
times in the schedule's time zone (the force's by default), so a 08:00 opening is 08:00 GMT in
winter and 08:00 BST in summer, and a window across a clock change is as long or as short as the
wall clock says. Closures are local dates (a whole day), local datetimes, ``"YYYY-MM-DD"``
strings or tables ``{from = …, to = …}`` (a date ``to`` is inclusive; a datetime ``to`` is the
reopening time).

Bank holidays come from the maintained ``holidays`` package (``country_holidays("GB",
subdiv=…)``), never a hand-typed list.

Other plugins (the queues plugin) ask schedules directly through :func:`load_schedules` and
:func:`schedule_for_queue` rather than calling another plugin's hooks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from switchboard.errors import ConfigError

#: Region names accepted in ``region`` -> the ``holidays`` subdivision code for GB.
REGIONS: dict[str, str] = {
    "england-and-wales": "ENG",
    "england_and_wales": "ENG",
    "england_wales": "ENG",
    "england": "ENG",
    "wales": "ENG",  # Wales shares England's bank holidays
    "eng": "ENG",
    "wls": "ENG",
    "scotland": "SCT",
    "sct": "SCT",
    "northern-ireland": "NIR",
    "northern_ireland": "NIR",
    "nir": "NIR",
}

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = "24/7"
SCHEDULE_KEYS = frozenset({"hours", "region", "closed_on_bank_holidays", "closures", "timezone", "description"})

_TIME_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_LOOKAHEAD_DAYS = 400
_UTC = timezone.utc


@dataclass(frozen=True)
class Period:
    """One opening period on a day, in minutes after local midnight: ``[start, end)``."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"{_fmt(self.start)}-{_fmt(self.end)}"


@dataclass(frozen=True)
class Closure:
    """A one-off closure between two aware UTC instants, ``[start, end)``."""

    start: datetime
    end: datetime
    reason: str = ""


@dataclass(frozen=True)
class Schedule:
    """A queue's opening hours. Build one with :func:`parse_schedule`."""

    name: str
    tz: ZoneInfo
    week: tuple[tuple[Period, ...], ...] = ((),) * 7  # index 0 = Monday
    always: bool = False
    region: str | None = None  # holidays subdivision code, ENG / SCT / NIR
    closed_on_bank_holidays: bool = False
    closures: tuple[Closure, ...] = field(default=())

    @cached_property
    def _holidays(self) -> Any:
        if not self.region:
            return None
        return holidays.country_holidays("GB", subdiv=self.region)

    # -- questions ------------------------------------------------------------------------------
    def bank_holiday(self, day: date) -> str | None:
        """The bank holiday's name if ``day`` is one in this schedule's region, else ``None``."""
        table = self._holidays
        if table is None:
            return None
        return table.get(day)

    def closed_all_day(self, day: date) -> bool:
        """True when a bank holiday closes this schedule for the whole of ``day``."""
        return self.closed_on_bank_holidays and self.bank_holiday(day) is not None

    def is_open(self, at: datetime) -> bool:
        """Is the schedule open at ``at``? (aware; a naive datetime is read as local time)."""
        local = self._local(at)
        if self.closed_all_day(local.date()):
            return False
        if self._closure_at(local.astimezone(_UTC)) is not None:
            return False
        if self.always:
            return True
        minute = local.hour * 60 + local.minute + local.second / 60.0
        return any(p.start <= minute < p.end for p in self.week[local.weekday()])

    def next_opening(self, at: datetime) -> datetime | None:
        """The first instant at or after ``at`` when the schedule is open (``at`` itself if open
        now), as an aware datetime in the schedule's zone; ``None`` if closed for 400 days."""
        local = self._local(at)
        if self.is_open(local):
            return local
        now = local.astimezone(_UTC)  # compare instants in UTC: same-zone comparisons ignore fold
        start_day = local.date()
        for offset in range(_LOOKAHEAD_DAYS):
            day = start_day + timedelta(days=offset)
            if self.closed_all_day(day):
                continue
            periods = (Period(0, 1440),) if self.always else self.week[day.weekday()]
            for period in periods:
                begin = _instant(day, period.start, self.tz)
                end = _instant(day, period.end, self.tz)
                t = max(begin, now)
                t = self._skip_closures(t)
                if t < end:
                    return t.astimezone(self.tz)
        return None

    def describe(self) -> str:
        """A short plain description for operators and the CLI (not visitor-facing)."""
        if self.always:
            text = "24/7"
        else:
            parts = []
            for i, periods in enumerate(self.week):
                if periods:
                    parts.append(f"{DAYS[i]} " + ", ".join(str(p) for p in periods))
            text = "; ".join(parts) or "never open"
        if self.closed_on_bank_holidays:
            text += f"; closed on bank holidays ({self.region})"
        return text

    # -- helpers --------------------------------------------------------------------------------
    def _local(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            at = at.replace(tzinfo=self.tz)
        return at.astimezone(self.tz)

    def _closure_at(self, t: datetime) -> Closure | None:
        for closure in self.closures:
            if closure.start <= t < closure.end:
                return closure
        return None

    def _skip_closures(self, t: datetime) -> datetime:
        moved = True
        while moved:
            moved = False
            closure = self._closure_at(t)
            if closure is not None:
                t = closure.end
                moved = True
        return t


# -- building ---------------------------------------------------------------------------------------


def load_schedules(settings: Any) -> dict[str, Schedule]:
    """Build every ``[schedules.<name>]`` of the settings.

    :raises ConfigError: naming the config file and the first bad key (run
        :func:`validate_schedules` first to collect every problem).
    """
    default_tz = settings.timezone
    out: dict[str, Schedule] = {}
    for name, table in settings.section("schedules").items():
        problems: list[str] = []
        schedule = parse_schedule(name, table, default_tz, problems)
        if problems or schedule is None:
            key, _, problem = (problems[0] if problems else f"schedules.{name}: invalid").partition(": ")
            raise ConfigError(settings.path, key, problem)
        out[name] = schedule
    return out


def schedule_for_queue(settings: Any, queue: str, schedules: Mapping[str, Schedule] | None = None) -> Schedule | None:
    """The schedule ``[queues.<queue>] schedule`` names, or ``None`` (no such queue / no schedule)."""
    table = settings.section("queues").get(queue)
    if not isinstance(table, Mapping):
        return None
    name = table.get("schedule")
    if not isinstance(name, str):
        return None
    schedules = load_schedules(settings) if schedules is None else schedules
    return schedules.get(name)


def validate_schedules(settings: Any) -> list[str]:
    """Every problem in ``[schedules]`` as ``"schedules.<name>.<key>: problem"`` strings."""
    section = settings.raw.get("schedules", {})
    if not isinstance(section, Mapping):
        return ["schedules: must be a table of schedules"]
    problems: list[str] = []
    for name, table in section.items():
        parse_schedule(name, table, settings.timezone, problems)
    return problems


def parse_schedule(name: str, table: Any, default_tz: str, problems: list[str]) -> Schedule | None:
    """Parse one schedule table, appending ``"dotted.key: problem"`` strings to ``problems``."""
    base = f"schedules.{name}"
    if not isinstance(table, Mapping):
        problems.append(f"{base}: must be a table")
        return None
    before = len(problems)
    for key in table:
        if key not in SCHEDULE_KEYS:
            problems.append(f"{base}.{key}: unknown key" + _suggest(key, SCHEDULE_KEYS))

    tz_name = table.get("timezone", default_tz)
    try:
        tz = ZoneInfo(str(tz_name))
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{base}.timezone: unknown time zone {tz_name!r}")
        tz = ZoneInfo(default_tz)

    region: str | None = None
    if "region" in table:
        raw_region = table["region"]
        region = REGIONS.get(str(raw_region).strip().lower()) if isinstance(raw_region, str) else None
        if region is None:
            problems.append(
                f"{base}.region: unknown region {raw_region!r} (england-and-wales, scotland, northern-ireland)"
            )
    closed_bh = table.get("closed_on_bank_holidays", False)
    if not isinstance(closed_bh, bool):
        problems.append(f"{base}.closed_on_bank_holidays: expected true or false")
        closed_bh = False
    if closed_bh and "region" not in table:
        problems.append(f"{base}.region: required when closed_on_bank_holidays = true")

    always = False
    week: list[list[Period]] = [[] for _ in DAYS]
    hours = table.get("hours")
    if hours is None:
        problems.append(f"{base}.hours: required (a table of day = periods, or \"24/7\")")
    elif isinstance(hours, str):
        if hours.strip().lower() in (ALWAYS, "always"):
            always = True
        else:
            problems.append(f"{base}.hours: expected \"24/7\" or a table such as {{ mon-fri = [\"09:00-17:00\"] }}")
    elif isinstance(hours, Mapping):
        owner: list[list[tuple[Period, str]]] = [[] for _ in DAYS]
        for day_key, periods in hours.items():
            key = f"{base}.hours.{day_key}"
            days = _parse_days(str(day_key))
            if days is None:
                problems.append(f"{key}: unknown day (use mon..sun, a range such as mon-fri, or daily)")
                continue
            if isinstance(periods, str):
                periods = [periods]
            if not isinstance(periods, list):
                problems.append(f"{key}: expected a list of \"HH:MM-HH:MM\" periods")
                continue
            for i, text in enumerate(periods):
                period = _parse_period(text, f"{key}[{i}]", problems)
                if period is None:
                    continue
                for d in days:
                    owner[d].append((period, key))
        for d in range(7):
            ordered = sorted(owner[d], key=lambda pk: pk[0].start)
            for (a, ka), (b, kb) in zip(ordered, ordered[1:]):
                if b.start < a.end:
                    where = kb if kb != ka else ka
                    problems.append(f"{where}: period {b} overlaps {a} on {DAYS[d]} (from {ka})")
            week[d] = [p for p, _ in ordered]
    else:
        problems.append(f"{base}.hours: expected \"24/7\" or a table of periods")

    closures = _parse_closures(table.get("closures", []), f"{base}.closures", tz, problems)
    if len(problems) > before:
        return None
    return Schedule(
        name=name,
        tz=tz,
        week=tuple(tuple(p) for p in week),
        always=always,
        region=region,
        closed_on_bank_holidays=closed_bh,
        closures=tuple(closures),
    )


def _parse_days(key: str) -> list[int] | None:
    k = key.strip().lower()
    if k in ("daily", "all", "every_day", "everyday"):
        return list(range(7))
    if k in ("weekdays",):
        return list(range(5))
    if k in ("weekends", "weekend"):
        return [5, 6]
    if k in DAYS:
        return [DAYS.index(k)]
    if "-" in k:
        a, _, b = k.partition("-")
        if a in DAYS and b in DAYS:
            i, j = DAYS.index(a), DAYS.index(b)
            if i <= j:
                return list(range(i, j + 1))
            return list(range(i, 7)) + list(range(0, j + 1))  # e.g. sat-mon
    return None


def _parse_time(text: str) -> int | None:
    m = _TIME_RE.match(text)
    if not m:
        return None
    h, mi = int(m.group(1)), int(m.group(2))
    if mi > 59 or h > 24 or (h == 24 and mi != 0):
        return None
    return h * 60 + mi


def _parse_period(text: Any, key: str, problems: list[str]) -> Period | None:
    if not isinstance(text, str) or text.count("-") != 1:
        problems.append(f"{key}: expected \"HH:MM-HH:MM\", got {text!r}")
        return None
    a, b = text.split("-")
    start, end = _parse_time(a), _parse_time(b)
    if start is None or start == 1440:
        problems.append(f"{key}: bad start time {a.strip()!r} (00:00 to 23:59)")
        return None
    if end is None:
        problems.append(f"{key}: bad end time {b.strip()!r} (00:00 to 24:00)")
        return None
    if end <= start:
        problems.append(f"{key}: end {b.strip()} is not after start {a.strip()} (split overnight periods at 24:00)")
        return None
    return Period(start, end)


def _parse_closures(value: Any, key: str, tz: ZoneInfo, problems: list[str]) -> list[Closure]:
    if not isinstance(value, list):
        problems.append(f"{key}: expected a list of dates, datetimes or {{from, to}} tables")
        return []
    out: list[Closure] = []
    for i, item in enumerate(value):
        where = f"{key}[{i}]"
        reason = ""
        if isinstance(item, Mapping):
            unknown = set(item) - {"from", "to", "reason"}
            if unknown:
                problems.append(f"{where}.{sorted(unknown)[0]}: unknown key (from, to, reason)")
                continue
            if "from" not in item:
                problems.append(f"{where}.from: required")
                continue
            reason = str(item.get("reason", ""))
            start = _closure_point(item["from"], tz, end=False)
            end = _closure_point(item.get("to", item["from"]), tz, end=True)
            if start is None:
                problems.append(f"{where}.from: expected a date or datetime, got {item['from']!r}")
                continue
            if end is None:
                problems.append(f"{where}.to: expected a date or datetime, got {item.get('to')!r}")
                continue
        else:
            start = _closure_point(item, tz, end=False)
            end = _closure_point(item, tz, end=True)
            if start is None or end is None:
                problems.append(f"{where}: expected a date (YYYY-MM-DD) or datetime, got {item!r}")
                continue
        if end <= start:
            problems.append(f"{where}: closure ends before it starts")
            continue
        out.append(Closure(start, end, reason))
    return out


def _closure_point(value: Any, tz: ZoneInfo, end: bool) -> datetime | None:
    """A closure bound as an aware instant. A date means the start of that day, or for an
    ``end`` bound the start of the next day (inclusive end date)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text) if ("T" in text or " " in text) else date.fromisoformat(text)
        except ValueError:
            return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return _aware(value, tz)
        return value.astimezone(_UTC)
    if isinstance(value, date):
        day = value + timedelta(days=1) if end else value
        return _instant(day, 0, tz)
    return None


def _instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The first instant (in UTC) at which the wall clock in ``tz`` on ``day`` reads ``minute`` or later.

    A time that does not exist (skipped when the clocks go forward) opens at the jump; a time
    that happens twice (clocks go back) means its first occurrence.
    """
    if minute >= 1440:
        return _instant(day + timedelta(days=1), minute - 1440, tz)
    naive = datetime.combine(day, time(minute // 60, minute % 60))
    return _aware(naive, tz)


def _aware(naive: datetime, tz: ZoneInfo) -> datetime:
    first = naive.replace(tzinfo=tz, fold=0)
    utc = first.astimezone(_UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == naive:
        return utc
    # Skipped by a spring-forward: the answer is the transition instant, between the two readings.
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(_UTC)
    hi = utc
    if lo > hi:
        lo, hi = hi, lo
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0)


def _fmt(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _suggest(word: str, choices: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
