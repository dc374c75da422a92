"""Small built-in validators for journey answers.

Each validator takes what the visitor typed (and, for some, context) and returns an
:class:`Answer` with the normalised value, or ``None`` when the text is not a usable answer of
that type. They do not depend on the slot-extraction plugins, so a journey still validates its
answers when no extractor is installed; when an extractor did find a matching slot in the same
message, the journey engine prefers the extractor's value.

Only *input* vocabulary lives here (words a visitor may type, such as "yes" or "ie"); nothing a
visitor reads is written in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable, Iterable, Mapping, Sequence

#: Answer types a journey step may declare.
ANSWER_TYPES: tuple[str, ...] = (
    "text",
    "postcode",
    "phone",
    "email",
    "when",
    "vehicle_reg",
    "crime_reference",
    "yes_no",
    "choice",
)

#: Words that mean "I can't answer this one" on an optional step (input vocabulary, en + cy).
DEFAULT_SKIP_WORDS: tuple[str, ...] = (
    "skip", "skip it", "skip this", "pass", "don't know", "dont know", "do not know", "dunno",
    "not sure", "no idea", "i don't know", "i dont know", "i'm not sure", "im not sure", "n/a",
    "prefer not to say", "rather not say", "can't remember", "cant remember", "no comment",
    "sgipio", "hepgor", "dim syniad", "dwi ddim yn gwybod", "dw i ddim yn gwybod", "ddim yn gwybod",
    "ddim yn siŵr", "ddim yn siwr", "dwi ddim yn siŵr", "dwi ddim yn siwr", "dim ots",
)

_YES = frozenset(
    """yes y yeah yep yup ya aye sure ok okay correct right please definitely certainly indeed
    ie ydw ydy ydyn ydych oes do mae gwnaf gallaf iawn cywir""".split()
)
_NO = frozenset(
    """no n nope nah not never negative nobody noone none nothing neither na nac naddo nage dim nid ddim neb""".split()
)
_YES_PHRASES = ("yes please", "it is", "there is", "they are", "that's right", "thats right", "it did", "i am", "i do",
                "it does", "of course", "still going", "still happening", "happening now", "right now")
_NO_PHRASES = ("no thanks", "no thank you", "not really", "it isn't", "it isnt", "there isn't", "there isnt",
               "they aren't", "it didn't", "not now", "not any more", "not anymore", "no longer", "i'm not",
               "dim diolch", "nac ydy", "nac ydw", "nac oes", "dim o gwbl")


@dataclass(frozen=True)
class Answer:
    """A validated answer: ``value`` is stored in the conversation's slots, ``text`` is as written."""

    value: str
    text: str = ""


def _norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").casefold()
    return re.sub(r"\s+", " ", text).strip()


_WORDS = re.compile(r"[\w'’]+", re.UNICODE)


def is_skip(text: str, skip_words: Iterable[str] = DEFAULT_SKIP_WORDS) -> bool:
    """True when the whole answer says "skip" / "don't know" (a short answer, not a sentence)."""
    t = _norm(text).strip(" .!?")
    if not t:
        return False
    words = {_norm(w) for w in skip_words}
    if t in words:
        return True
    # "um, don't know really" -> still a skip if short and contains a skip phrase
    return len(t.split()) <= 6 and any(re.search(r"(?<!\w)" + re.escape(w) + r"(?!\w)", t) for w in words if " " in w)


# --- text -----------------------------------------------------------------------------------------

def validate_text(text: str, min_length: int = 2) -> Answer | None:
    """Free text of at least ``min_length`` characters (after trimming)."""
    t = re.sub(r"\s+", " ", text).strip()
    if len(t) < min_length or not re.search(r"\w", t):
        return None
    return Answer(t, t)


# --- yes / no ------------------------------------------------------------------------------------

def validate_yes_no(text: str) -> Answer | None:
    """``yes`` or ``no`` from English or Welsh words; ``None`` when unclear or both."""
    t = _norm(text).strip(" .!?")
    if not t:
        return None
    if t in ("yes", "no"):
        return Answer(t, text)
    if any(t == p or t.startswith(p + " ") or t.startswith(p + ",") for p in _NO_PHRASES):
        return Answer("no", text)
    if any(t == p or t.startswith(p + " ") or t.startswith(p + ",") for p in _YES_PHRASES):
        return Answer("yes", text)
    words = _WORDS.findall(t)
    if not words:
        return None
    first = words[0]
    if first in _NO:
        return Answer("no", text)
    if first in _YES:
        return Answer("yes", text)
    if len(words) <= 4:
        yes = any(w in _YES for w in words)
        no = any(w in _NO for w in words)
        if yes != no:
            return Answer("yes" if yes else "no", text)
    return None


# --- choice --------------------------------------------------------------------------------------

def validate_choice(text: str, options: Sequence[tuple[str, Sequence[str]]]) -> Answer | None:
    """Match typed text to one option: its id, one of its labels, or its number (1-based).

    :param options: ``(option_id, labels)`` pairs, labels in every language.
    """
    t = _norm(text).strip(" .!?")
    if not t:
        return None
    if t.isdigit() and 1 <= int(t) <= len(options):
        oid = options[int(t) - 1][0]
        return Answer(oid, text)
    for oid, labels in options:
        if t == oid.casefold() or any(t == _norm(label) for label in labels):
            return Answer(oid, text)
    # a typed answer that contains exactly one option's label
    hits = [oid for oid, labels in options if any(_norm(lb) and _contains_words(t, _norm(lb)) for lb in labels)]
    if len(set(hits)) == 1:
        return Answer(hits[0], text)
    return None


def _contains_words(text: str, phrase: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text) is not None


# --- postcode ------------------------------------------------------------------------------------

_POSTCODE = re.compile(
    r"\b(GIR ?0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPS-UW]|[A-HK-Y][0-9][ABEHMNPRV-Y])"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)


def validate_postcode(text: str) -> Answer | None:
    """A full UK postcode anywhere in the text, normalised to ``AB1 2CD``."""
    m = _POSTCODE.search(text)
    if not m:
        return None
    raw = m.group(1).upper().replace(" ", "")
    return Answer(f"{raw[:-3]} {raw[-3:]}", m.group(0))


# --- phone ---------------------------------------------------------------------------------------

_PHONE = re.compile(r"(?<![\d+])(\+?44\s?\(?0?\)?|0)(?:[\s\-().]*\d){9,10}(?!\d)")


def validate_phone(text: str) -> Answer | None:
    """A UK phone number (01/02/03/07/08 numbers, +44 accepted), normalised to digits with a leading 0."""
    m = _PHONE.search(text)
    if not m:
        return None
    digits = re.sub(r"\D", "", m.group(0))
    if digits.startswith("44"):
        digits = "0" + digits[2:].lstrip("0")
    if not (len(digits) in (10, 11) and digits[0] == "0" and digits[1] in "123578"):
        return None
    return Answer(digits, m.group(0).strip())


# --- email ---------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-']+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


def validate_email(text: str) -> Answer | None:
    """An email address anywhere in the text (lower-cased domain)."""
    m = _EMAIL.search(text)
    if not m:
        return None
    local, _, domain = m.group(0).partition("@")
    return Answer(f"{local}@{domain.lower()}", m.group(0))


# --- vehicle registration ------------------------------------------------------------------------

_VRM_PATTERNS = (
    re.compile(r"\b([A-Z]{2}[0-9]{2})\s?([A-Z]{3})\b"),  # current: AB12 CDE
    re.compile(r"\b([A-Z][0-9]{1,3})\s?([A-Z]{3})\b"),  # prefix: A123 BCD
    re.compile(r"\b([A-Z]{3})\s?([0-9]{1,3}[A-Z])\b"),  # suffix: ABC 123D
)


def validate_vehicle_reg(text: str) -> Answer | None:
    """A UK vehicle registration (current, prefix or suffix style), normalised to ``AB12 CDE``."""
    upper = text.upper()
    for pattern in _VRM_PATTERNS:
        m = pattern.search(upper)
        if m:
            return Answer(f"{m.group(1)} {m.group(2)}", text[m.start():m.end()])
    return None


# --- crime reference -----------------------------------------------------------------------------

def compile_crime_patterns(patterns: Iterable[str]) -> list[re.Pattern[str]]:
    """Compile the force's crime reference patterns (case-insensitive)."""
    return [re.compile(p, re.IGNORECASE) for p in patterns]


def validate_crime_reference(text: str, patterns: Sequence[re.Pattern[str]]) -> Answer | None:
    """A crime reference number in one of the force's formats, as written (upper-cased)."""
    for pattern in patterns:
        m = pattern.search(text)
        if m:
            value = re.sub(r"\s+", " ", m.group(0)).upper()
            return Answer(value, m.group(0))
    return None


# --- dates and times -----------------------------------------------------------------------------

_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    "mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4, "sat": 5, "sun": 6,
    "llun": 0, "mawrth": 1, "mercher": 2, "iau": 3, "gwener": 4, "sadwrn": 5, "sul": 6,
}
_MONTHS = {
    m: i + 1 for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august", "september",
         "october", "november", "december"]
    )
}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_MONTHS.update({
    "ionawr": 1, "chwefror": 2, "mawrth": 3, "ebrill": 4, "mai": 5, "mehefin": 6, "gorffennaf": 7,
    "awst": 8, "medi": 9, "hydref": 10, "tachwedd": 11, "rhagfyr": 12,
})
_TIME_12 = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|yb|yh)\b")
_TIME_24 = re.compile(r"\b([01]?\d|2[0-3])[:.]([0-5]\d)\b")
_DMY = re.compile(r"\b(\d{1,2})[/\-.](\d{1,2})(?:[/\-.](\d{2,4}))?\b")
_D_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)\b")
_MONTH_D = re.compile(r"\b([a-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?\b")
# Vague but usable answers to "when?" (kept as written).
_VAGUE = re.compile(
    r"\b(ago|earlier|recently|last (?:week|month|year|weekend|night)|this (?:morning|afternoon|evening|week|month)"
    r"|tonight|today|yesterday|overnight|weekend|weekends|every (?:night|day|evening|weekend)|nightly|daily|weeks?|months?"
    r"|years?|days?|mornings?|afternoons?|evenings?|nights?|midnight|noon|lunchtime|hours?|minutes?|just now|right now|now"
    r"|ongoing|still|since|for ages|all the time"
    r"|ddoe|neithiwr|heddiw|heno|bore|prynhawn|nos|noson|wythnos|mis|blwyddyn|nawr|rŵan|rwan|ers)\b"
)


def _part_of_day(t: str) -> time | None:
    if re.search(r"\b(last night|tonight|overnight|neithiwr|heno)\b", t):
        return time(22, 0)
    if re.search(r"\b(this morning|bore)\b", t) or "morning" in t:
        return time(9, 0)
    if re.search(r"\b(afternoon|prynhawn|lunchtime)\b", t):
        return time(14, 0)
    if re.search(r"\b(evening|noswaith)\b", t):
        return time(19, 0)
    return None


def parse_when(text: str, now: datetime) -> Answer | None:
    """A date or time phrase ("last night", "Tuesday about 9pm", "12/11", "3 November at 14:30").

    ``value`` is an ISO 8601 local datetime (or date when no time was given) when the phrase can be
    placed, or the phrase as written when it is usable but vague ("about two weeks ago", "every
    night"). Dates are taken as past or today (visitors report what already happened).
    """
    t = _norm(text)
    if not t:
        return None
    today = now.date()
    day: date | None = None
    at: time | None = None

    if re.search(r"\b(today|this morning|this afternoon|this evening|tonight|heddiw|heno)\b", t):
        day = today
    if re.search(r"\b(yesterday|last night|ddoe|neithiwr)\b", t):
        day = today - timedelta(days=1)
    if day is None:
        for word in _WORDS.findall(t):
            if word in _WEEKDAYS and not (word == "mawrth" and re.search(r"\bmis mawrth\b", t)):
                delta = (today.weekday() - _WEEKDAYS[word]) % 7
                if delta == 0 and re.search(r"\blast\b", t):
                    delta = 7
                day = today - timedelta(days=delta)
                break
    if day is None:
        m = _DMY.search(t)
        if m and not _TIME_24.fullmatch(m.group(0)):
            d, mo = int(m.group(1)), int(m.group(2))
            y = int(m.group(3)) if m.group(3) else today.year
            if y < 100:
                y += 2000
            try:
                day = date(y, mo, d)
                if not m.group(3) and day > today:
                    day = date(y - 1, mo, d)
            except ValueError:
                day = None
    if day is None:
        for pattern, d_idx, m_idx in ((_D_MONTH, 1, 2), (_MONTH_D, 2, 1)):
            for m in pattern.finditer(t):
                month = _MONTHS.get(m.group(m_idx))
                if month:
                    try:
                        candidate = date(today.year, month, int(m.group(d_idx)))
                    except ValueError:
                        continue
                    day = candidate if candidate <= today else date(today.year - 1, month, int(m.group(d_idx)))
                    break
            if day is not None:
                break

    m12 = _TIME_12.search(t)
    if m12:
        hour = int(m12.group(1)) % 12
        if m12.group(3) in ("pm", "yh"):
            hour += 12
        if hour < 24:
            at = time(hour, int(m12.group(2) or 0))
    else:
        m24 = _TIME_24.search(t)
        if m24:
            at = time(int(m24.group(1)), int(m24.group(2)))
        elif re.search(r"\bmidnight\b|\bhanner nos\b", t):
            at = time(0, 0)
        elif re.search(r"\bnoon\b|\bmidday\b|\bhanner dydd\b", t):
            at = time(12, 0)
    if at is None and day is not None:
        at = _part_of_day(t)

    if day is None and at is not None:
        day = today if datetime.combine(today, at) <= now.replace(tzinfo=None) else today - timedelta(days=1)
    if day is not None:
        if at is not None:
            return Answer(datetime.combine(day, at).isoformat(timespec="minutes"), text.strip())
        return Answer(day.isoformat(), text.strip())
    if _VAGUE.search(t):
        return Answer(text.strip(), text.strip())
    return None


#: How the summary shows a stored value for each answer type (language-neutral formats only).
def display_value(answer_type: str, value: str) -> str:
    """Format a stored value for a summary line without words (so it reads the same in en and cy)."""
    if answer_type == "phone" and value.isdigit() and value.startswith("0"):
        if len(value) == 11 and value.startswith("02"):
            return f"{value[:3]} {value[3:7]} {value[7:]}"
        if len(value) in (10, 11):
            return f"{value[:5]} {value[5:]}"
        return value
    if answer_type == "when":
        try:
            if "T" in value:
                return datetime.fromisoformat(value).strftime("%d/%m/%Y %H:%M")
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value


Validator = Callable[[str], "Answer | None"]


def simple_validator(answer_type: str) -> Validator | None:
    """The context-free validator for ``answer_type``, or ``None`` for types needing context."""
    return {
        "postcode": validate_postcode,
        "phone": validate_phone,
        "email": validate_email,
        "vehicle_reg": validate_vehicle_reg,
        "yes_no": validate_yes_no,
    }.get(answer_type)


def labels_by_option(options: Mapping[str, Mapping[str, str]]) -> list[tuple[str, list[str]]]:
    """``{option_id: {lang: label}}`` -> ``[(option_id, [labels…])]`` for :func:`validate_choice`."""
    return [(oid, list(labels.values())) for oid, labels in options.items()]
