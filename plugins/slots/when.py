"""Dates and times as visitors write them, resolved against when the message arrived.

"last night", "yesterday afternoon", "Tuesday about 9pm", "on the 3rd", "20/11", "2 hours ago",
"this morning"... become an ISO 8601 local date (``2026-11-26``) or local datetime
(``2026-11-26T21:00``) in the force's time zone. Visitors report things that already happened,
so a weekday, a day of the month or a date without a year means the most recent one that is not
in the future. A part of the day without a clock time gets a representative hour (morning 09:00,
lunchtime 12:30, afternoon 15:00, evening 19:00, night 22:00) and a lower confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .patterns import Match

_WEEKDAYS = {
    "monday": 0, "mon": 0, "munday": 0, "mondy": 0,
    "tuesday": 1, "tues": 1, "tue": 1, "tuseday": 1, "teusday": 1, "tuesdy": 1, "tusday": 1,
    "wednesday": 2, "wed": 2, "weds": 2, "wensday": 2, "wednsday": 2, "wednesay": 2, "wedensday": 2, "wendsday": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "thrusday": 3, "thursay": 3, "thurday": 3,
    "friday": 4, "fri": 4, "firday": 4, "fridy": 4, "frday": 4,
    "saturday": 5, "sat": 5, "saturdy": 5, "satuday": 5, "saterday": 5,
    "sunday": 6, "sun": 6, "sundy": 6, "sundya": 6,
}
_SHORT_WEEKDAYS = {"mon", "tue", "tues", "wed", "weds", "thu", "thur", "thurs", "fri", "sat", "sun"}
_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
_PARTS = {
    "morning": 9 * 60, "lunchtime": 12 * 60 + 30, "lunch time": 12 * 60 + 30, "lunch": 12 * 60 + 30,
    "afternoon": 15 * 60, "evening": 19 * 60, "night": 22 * 60, "nite": 22 * 60, "tonight": 20 * 60,
}
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "forty five": 45, "a couple of": 2, "couple of": 2, "a couple": 2,
    "a few": 3, "few": 3,
}

_WD = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_MO = "|".join(sorted(_MONTHS, key=len, reverse=True))
_PART = r"morning|afternoon|evening|night|nite|lunch ?time|lunch"
_NUM = "|".join(sorted((re.escape(k) for k in _NUMBERS), key=len, reverse=True))

# Day anchors (each alternative has its own named group).
_DAY = re.compile(
    rf"""
    (?P<dby>\b(?:the\s+)?day\s+before\s+yesterday\b)
    | (?P<yday>\b(?:yesterday|yesterdy|yesteday|yesturday|yestarday|yday|ystday)\b
        (?:\s+(?:in\s+the\s+)?(?P<ypart>{_PART})\b)?)
    | (?P<lastn>\blast\s*(?P<lpart>night|nite|evening)\b)
    | (?P<this>\b(?:this|earlier\s+this)\s+(?P<tpart>morning|afternoon|evening|lunch ?time)\b)
    | (?P<tonight>\b(?:tonight|tonite|earlier\s+tonight)\b)
    | (?P<today>\b(?:earlier\s+)?today\b)
    | (?P<wday>\b(?P<wpre>(?:last|on|this\s+past|this|past)\s+)?(?P<wd>{_WD})\b
        (?:\s+(?:just\s+gone\s+)?(?P<wpart>{_PART})\b)?)
    | (?P<iso>\b(?P<iy>20\d{{2}})-(?P<im>\d{{1,2}})-(?P<id>\d{{1,2}})\b)
    | (?P<num>(?<![\d/.:-])(?P<nd>\d{{1,2}})/(?P<nm>\d{{1,2}})(?:/(?P<ny>\d{{4}}|\d{{2}}))?(?![\d/])
        | (?<![\d/.:-])(?P<nd2>\d{{1,2}})[.-](?P<nm2>\d{{1,2}})[.-](?P<ny2>\d{{4}}|\d{{2}})(?![\d.-]))
    | (?P<dmon>\b(?P<dd>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<dm>{_MO})\b\.?(?:\s+(?P<dy>20\d{{2}}))?)
    | (?P<mond>\b(?P<md>{_MO})\s+(?:the\s+)?(?P<mdd>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<mdy>20\d{{2}}))?)
    | (?P<ord>\bthe\s+(?P<od>\d{{1,2}})(?:st|nd|rd|th)\b)
    """,
    re.IGNORECASE | re.VERBOSE,
)

_AGO = re.compile(
    rf"""
    (?P<half>\bhalf\s+an?\s+hour\s+ago\b)
    | \b(?P<n>\d{{1,3}}|{_NUM})\s*(?P<unit>minutes?|mins?|hours?|hrs?|hr|h|days?|weeks?|wks?)\s+ago\b
    | (?P<now>\bjust\s+now\b|\bmoments?\s+ago\b|\ba\s+moment\s+ago\b)
    """,
    re.IGNORECASE | re.VERBOSE,
)

_TIME = re.compile(
    r"""
    (?P<pre>\b(?:at|about|around|approx(?:imately)?|roughly|circa|just\s+after|just\s+before|after|before|gone|c\.)\s+)?
    (?:
      (?P<h1>\d{1,2})(?:[:.](?P<m1>[0-5]\d))?\s*(?P<ap>a\.?m\b\.?|p\.?m\b\.?)
    | (?P<h2>\d{1,2})[:](?P<m2>[0-5]\d)(?![\d/])
    | (?P<h4>\d{1,2})[.](?P<m4>[0-5]\d)(?![\d/.])
    | (?P<h3>\d{1,2})\s*o['’]?\s?clock\b
    | (?P<noon>\b(?:noon|midday|mid-day)\b)
    | (?P<midnight>\bmidnight\b)
    | (?P<hh>\d{2})(?P<mm>[0-5]\d)\s*(?:hrs|hours|h)\b
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)
# "about 9", "around 11ish" only next to a day anchor (a bare number is too ambiguous alone)
_BARE_HOUR = re.compile(
    r"\b(?:at|about|around|approx(?:imately)?|roughly|gone)\s+(?P<h>\d{1,2})(?:ish)?"
    r"(?=\s*(?:$|[,.;:!?)]|-|\s(?:last|yesterday|this|on|in|at|tonight|today|and|when|or|but|i|we|he|she|they|my)\b))",
    re.IGNORECASE,
)

_WINDOW = 28  # characters between a day anchor and a time that belong together

# Speed: instead of searching with the big patterns at every character, the text is split into
# words once and the patterns are tried only where a word could start an expression.
_TOKEN = re.compile(r"[A-Za-z]+|\d+")
_DAY_TRIGGERS = frozenset(
    {"the", "day", "last", "this", "earlier", "tonight", "tonite", "today", "on", "past",
     "yesterday", "yesterdy", "yesteday", "yesturday", "yestarday", "yday", "ystday"}
    | set(_WEEKDAYS) | set(_MONTHS)
)
_TIME_TRIGGERS = frozenset(
    {"at", "about", "around", "approx", "approximately", "roughly", "circa", "just", "after", "before",
     "gone", "c", "noon", "midday", "mid", "midnight"}
)
_AGO_TRIGGERS = frozenset({"ago", "now"})
_TRIGGERS = _DAY_TRIGGERS | _TIME_TRIGGERS | _AGO_TRIGGERS  # "just" is a time trigger
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
_NOT_LETTER = bytes(c if chr(c) in _LETTERS else 32 for c in range(256))  # a byte table: fast
_DIGIT = re.compile(r"[0-9]")
_NUMBER_START = re.compile(r"(?<![0-9])[0-9]")
_LETTER_RUN = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class _Day:
    day: date
    part: str | None
    start: int
    end: int
    exact: bool = True  # False for "on the 3rd" style guesses


@dataclass(frozen=True)
class _Time:
    hour: int
    minute: int
    ampm: str | None  # "am", "pm" or None (24-hour clock or unknown)
    start: int
    end: int
    bare: bool = False


def find_when(text: str, now: datetime, avoid: list[tuple[int, int]] | None = None) -> Match | None:
    """The first date/time expression in ``text``, resolved against the local ``now``."""
    avoid = avoid or []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in avoid)

    day_starts, time_starts, ago_word = _starts(text)
    ago = None
    if ago_word:
        ago = next((m for m in _AGO.finditer(text) if free(m.start(), m.end())), None)
    days = [d for d in _days(text, now, day_starts) if free(d.start, d.end)] if day_starts else []
    times = (
        [t for t in _times(text, time_starts) if free(t.start, t.end) and not any(_overlap(t, d) for d in days)]
        if time_starts
        else []
    )

    candidates: list[tuple[int, Match]] = []
    if ago is not None:
        value = _resolve_ago(ago, now)
        if value is not None:
            candidates.append((ago.start(), value))
    if days:
        d = days[0]
        t = _nearest_time(d, times)
        if t is None and d.end < len(text):
            bare = _BARE_HOUR.search(text, d.end, min(len(text), d.end + _WINDOW))
            if bare is not None and free(bare.start(), bare.end()):
                t = _Time(int(bare.group("h")), 0, None, bare.start(), bare.end(), bare=True)
        candidates.append((min(d.start, t.start) if t else d.start, _resolve_day(text, d, t, now)))
    elif times:
        t = times[0]
        candidates.append((t.start, _resolve_time_only(text, t, now)))
    candidates = [c for c in candidates if c[1] is not None]
    if not candidates:
        return None
    candidates.sort(key=lambda c: c[0])
    return candidates[0][1]


# -- finding ----------------------------------------------------------------------------------------


def _starts(text: str) -> tuple[list[int], list[int], bool]:
    """Where a day and where a time expression may begin (the tokens that are numbers or
    trigger words), and whether an "ago" word occurs."""
    if not text.isascii():
        tokens = [(m.start(), m.group().lower()) for m in _TOKEN.finditer(text)]
        return (
            [pos for pos, tok in tokens if tok[0].isdigit() or tok in _DAY_TRIGGERS],
            [pos for pos, tok in tokens if tok[0].isdigit() or tok in _TIME_TRIGGERS],
            any(tok in _AGO_TRIGGERS for _, tok in tokens),
        )
    # ASCII: lower-casing keeps every position, a word token is a run of [a-z] and a number a
    # run of [0-9]. Only the trigger words among the words are looked for, where they stand.
    low = text.lower()
    numbers = [m.start() for m in _NUMBER_START.finditer(low)] if _DIGIT.search(low) else []
    words = _TRIGGERS.intersection(low.encode("ascii").translate(_NOT_LETTER).decode("ascii").split())
    if not words:
        return numbers, list(numbers), False
    days = list(numbers)
    times = list(numbers)
    for word in words:
        size = len(word)
        at = low.find(word)
        while at >= 0:
            end = at + size
            if (at == 0 or low[at - 1] not in _LETTERS) and (end == len(low) or low[end] not in _LETTERS):
                if word in _DAY_TRIGGERS and _may_start_day(word, low, end):
                    days.append(at)
                if word in _TIME_TRIGGERS and _may_start_time(word, low, end):
                    times.append(at)
            at = low.find(word, end)
    days.sort()
    times.sort()
    # every "ago" expression has the word "ago" but "just now", which needs "just" as well
    return days, times, "ago" in words or ("now" in words and "just" in words)


# Where a trigger word can begin an expression only if a particular word follows it, a start
# whose next word is not that one is left out (the pattern could not match there anyway):
# "the" begins only "the day before yesterday" and "the 3rd"; "on" only "on Tuesday"; "at",
# "about" and the like only "at 9", "about noon", "around midnight".
_TIME_PREFIXES = frozenset(
    {"at", "about", "around", "approx", "approximately", "roughly", "circa", "after", "before", "gone"}
)


def _next_word(low: str, end: int) -> int:
    """Where the next word starts after the white space that follows ``end``; -1 if no white
    space follows."""
    n = len(low)
    if end >= n or not low[end].isspace():
        return -1
    k = end + 1
    while k < n and low[k].isspace():
        k += 1
    return k


def _may_start_day(word: str, low: str, end: int) -> bool:
    if word == "the":
        k = _next_word(low, end)
        return k >= 0 and (low.startswith("day", k) or low[k : k + 1].isdigit())
    if word == "on":
        k = _next_word(low, end)
        return k >= 0 and (m := _LETTER_RUN.match(low, k)) is not None and m.group() in _WEEKDAYS
    return True


def _may_start_time(word: str, low: str, end: int) -> bool:
    if word in _TIME_PREFIXES:
        k = _next_word(low, end)
        return k >= 0 and (low[k : k + 1].isdigit() or low.startswith(("noon", "mid"), k))
    return True


def _overlap(t: _Time, d: _Day) -> bool:
    return not (t.end <= d.start or t.start >= d.end)


def _matches(pattern: re.Pattern[str], text: str, starts: list[int]) -> list[re.Match[str]]:
    """Non-overlapping matches of ``pattern`` beginning at the candidate ``starts``."""
    out: list[re.Match[str]] = []
    end = -1
    for pos in starts:
        if pos < end:
            continue
        m = pattern.match(text, pos)
        if m is not None and m.end() > m.start():
            out.append(m)
            end = m.end()
    return out


def _days(text: str, now: datetime, starts: list[int]) -> list[_Day]:
    today = now.date()
    out: list[_Day] = []
    for m in _matches(_DAY, text, starts):
        g = m.groupdict()
        s, e = m.start(), m.end()
        day: date | None = None
        part: str | None = None
        exact = True
        if g["dby"]:
            day = today - timedelta(days=2)
        elif g["yday"]:
            day, part = today - timedelta(days=1), _part(g["ypart"])
        elif g["lastn"]:
            part = _part(g["lpart"])
            # "last night" written in the small hours means the night that is just ending
            day = today - timedelta(days=1)
        elif g["this"]:
            day, part = today, _part(g["tpart"])
        elif g["tonight"]:
            day, part = today, "tonight"
        elif g["today"]:
            day = today
        elif g["wday"]:
            word = g["wd"].lower()
            prefix = (g["wpre"] or "").strip().lower()
            if word in _SHORT_WEEKDAYS and not prefix:
                continue  # "sat", "sun", "wed" alone are too often ordinary words
            if word == "sun" and prefix in ("this", "the"):
                continue
            target = _WEEKDAYS[word]
            back = (today.weekday() - target) % 7
            if prefix == "last" and back == 0:
                back = 7
            day, part = today - timedelta(days=back), _part(g["wpart"])
        elif g["iso"]:
            day = _safe_date(int(g["iy"]), int(g["im"]), int(g["id"]))
        elif g["num"]:
            d_, m_, y_ = (g["nd"], g["nm"], g["ny"]) if g["nd"] else (g["nd2"], g["nm2"], g["ny2"])
            day = _past_date(int(d_), int(m_), _year(y_), today)
            exact = y_ is not None
        elif g["dmon"]:
            day = _past_date(int(g["dd"]), _MONTHS[g["dm"].lower().rstrip(".")], _year(g["dy"]), today)
        elif g["mond"]:
            day = _past_date(int(g["mdd"]), _MONTHS[g["md"].lower()], _year(g["mdy"]), today)
        elif g["ord"]:
            day = _past_day_of_month(int(g["od"]), today)
            exact = False
        if day is not None:
            out.append(_Day(day, part, s, e, exact))
    return out


def _times(text: str, starts: list[int]) -> list[_Time]:
    out = []
    for m in _matches(_TIME, text, starts):
        g = m.groupdict()
        ampm = None
        if g["h1"]:
            h, mi = int(g["h1"]), int(g["m1"] or 0)
            ampm = "am" if g["ap"].lower().startswith("a") else "pm"
            if not 1 <= h <= 12:
                continue
        elif g["h2"]:
            h, mi = int(g["h2"]), int(g["m2"])
        elif g["h4"]:
            h, mi = int(g["h4"]), int(g["m4"])
        elif g["h3"]:
            h, mi = int(g["h3"]), 0
            if not 1 <= h <= 12:
                continue
        elif g["noon"]:
            h, mi, ampm = 12, 0, "pm"
        elif g["midnight"]:
            h, mi, ampm = 0, 0, "am"
        else:
            h, mi = int(g["hh"]), int(g["mm"])
        if h > 23:
            continue
        out.append(_Time(h, mi, ampm, m.start(), m.end()))
    return out


def _nearest_time(d: _Day, times: list[_Time]) -> _Time | None:
    best: tuple[int, _Time] | None = None
    for t in times:
        if t.start >= d.end:
            gap = t.start - d.end
        elif t.end <= d.start:
            gap = d.start - t.end
        else:
            continue
        if gap <= _WINDOW and (best is None or gap < best[0]):
            best = (gap, t)
    return best[1] if best else None


# -- resolving --------------------------------------------------------------------------------------


def _resolve_ago(m: re.Match[str], now: datetime) -> Match | None:
    g = m.groupdict()
    if g["now"]:
        delta = timedelta(0)
    elif g["half"]:
        delta = timedelta(minutes=30)
    else:
        raw = g["n"].lower()
        n = int(raw) if raw.isdigit() else _NUMBERS.get(re.sub(r"\s+", " ", raw), 1)
        unit = g["unit"].lower()
        if unit.startswith("m"):
            delta = timedelta(minutes=n)
        elif unit.startswith("h"):
            delta = timedelta(hours=n)
        elif unit.startswith("d"):
            delta = timedelta(days=n)
        else:
            delta = timedelta(weeks=n)
        if delta > timedelta(days=3650):
            return None
    when = now - delta
    if delta >= timedelta(days=1):
        return Match(when.date().isoformat(), m.group(0), m.start(), m.end(), 0.8)
    return Match(_iso(when), m.group(0), m.start(), m.end(), 0.9)


def _resolve_day(text: str, d: _Day, t: _Time | None, now: datetime) -> Match:
    start = min(d.start, t.start) if t else d.start
    end = max(d.end, t.end) if t else d.end
    written = text[start:end]
    conf = 0.9 if d.exact else 0.75
    if t is None:
        if d.part is None:
            return Match(d.day.isoformat(), written, start, end, conf)
        minutes = _PARTS[d.part]
        when = datetime.combine(d.day, time(minutes // 60, minutes % 60))
        return Match(when.isoformat(timespec="minutes"), written, start, end, 0.6)
    hour = _hour_for(t, d.part)
    day = d.day
    if d.part in ("night", "tonight") and hour < 6:
        day = day + timedelta(days=1)  # "last night about 2am" is early this morning
    when = datetime.combine(day, time(hour, t.minute))
    local_now = now.replace(tzinfo=None)
    if when > local_now and _is_weekday_anchor(text, d):
        when -= timedelta(days=7)  # "Tuesday about 9pm" said on Tuesday afternoon: last week
    conf = min(conf, 0.7 if (t.bare or (t.ampm is None and hour < 13 and d.part is None)) else conf)
    return Match(when.isoformat(timespec="minutes"), written, start, end, conf)


def _resolve_time_only(text: str, t: _Time, now: datetime) -> Match:
    hour = _hour_for(t, None)
    local_now = now.replace(tzinfo=None)
    when = datetime.combine(local_now.date(), time(hour, t.minute))
    if when > local_now + timedelta(minutes=5):
        when -= timedelta(days=1)
    conf = 0.8 if t.ampm or hour >= 13 else 0.6
    return Match(when.isoformat(timespec="minutes"), text[t.start : t.end], t.start, t.end, conf)


def _hour_for(t: _Time, part: str | None) -> int:
    h = t.hour
    if t.ampm == "am":
        return 0 if h == 12 else h
    if t.ampm == "pm":
        return h if h == 12 else h + 12
    if h >= 13 or (t.bare is False and t.ampm is None and part is None and h == 0):
        return h
    if part in ("afternoon", "evening", "tonight"):
        return h + 12 if h < 12 else h
    if part in ("night", "nite"):
        if 6 <= h < 12:
            return h + 12
        return 0 if h == 12 else h
    if part in ("lunchtime",):
        return h + 12 if h < 6 else h
    if part == "morning":
        return 0 if h == 12 else h
    if t.bare and 1 <= h <= 6:
        return h + 12  # "yesterday about 3" most likely means the afternoon
    return h


def _part(raw: str | None) -> str | None:
    if not raw:
        return None
    p = re.sub(r"\s+", " ", raw.lower())
    if p in ("lunch", "lunch time"):
        return "lunchtime"
    if p == "nite":
        return "night"
    return p


def _is_weekday_anchor(text: str, d: _Day) -> bool:
    return bool(re.search(_WD, text[d.start : d.end], re.IGNORECASE))


def _year(raw: str | None) -> int | None:
    if not raw:
        return None
    y = int(raw)
    return 2000 + y if y < 100 else y


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _past_date(d: int, m: int, y: int | None, today: date) -> date | None:
    if y is not None:
        return _safe_date(y, m, d)
    candidate = _safe_date(today.year, m, d)
    if candidate is None:
        return _safe_date(today.year - 1, m, d) if (m, d) == (2, 29) else None
    if candidate > today:
        candidate = _safe_date(today.year - 1, m, d)
    return candidate


def _past_day_of_month(d: int, today: date) -> date | None:
    if not 1 <= d <= 31:
        return None
    y, m = today.year, today.month
    for _ in range(12):
        candidate = _safe_date(y, m, d)
        if candidate is not None and candidate <= today:
            return candidate
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    return None


def _iso(dt: datetime) -> str:
    return dt.replace(tzinfo=None).isoformat(timespec="minutes")
