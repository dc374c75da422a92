"""Regular-expression extractors for UK postcodes, phone numbers, email addresses, vehicle
registrations and crime reference numbers. Each returns ``(value, text, start, end, confidence)``
tuples: ``value`` normalised, ``text`` as written.
"""

from __future__ import annotations

import re
from typing import Iterable, NamedTuple


class Match(NamedTuple):
    value: str
    text: str
    start: int
    end: int
    confidence: float = 1.0


# -- postcode ---------------------------------------------------------------------------------------
# Outward code A9, A99, A9A, AA9, AA99, AA9A; inward code 9AA (inward letters never C I K M O V).
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])"
    r"(?P<out>[A-PR-UWYZ](?:[A-HK-Y]?\d[A-Z\d]?|\d[A-HJKPSTUW]?))"
    r"[ \t]{0,2}"
    r"(?P<in>\d[ABD-HJLNP-UW-Z]{2})"
    r"(?![A-Za-z0-9])"
    r"|(?<![A-Za-z0-9])(?P<gir>GIR[ \t]?0AA)(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def find_postcodes(text: str) -> list[Match]:
    out = []
    for m in _POSTCODE.finditer(text):
        if m.group("gir"):
            out.append(Match("GIR 0AA", m.group(0), m.start(), m.end()))
            continue
        outward, inward = m.group("out").upper(), m.group("in").upper()
        # A lower-case outward code written without a space is often a word+number ("a1 2ab" is
        # still a postcode, but "no2 ..." is not a thing): keep it, with a slightly lower score.
        conf = 1.0 if " " in m.group(0) or m.group(0).isupper() else 0.9
        out.append(Match(f"{outward} {inward}", m.group(0), m.start(), m.end(), conf))
    return out


# -- phone ------------------------------------------------------------------------------------------
_PHONE = re.compile(
    r"(?<![\w+])"
    r"(?:(?P<intl>(?:\+|00)[ \t]?44[ \t]?(?:\(0\)[ \t]?)?)|\(?0)"
    r"(?P<rest>[1-37-8](?:[ \t\-.)(]{0,2}\d){8,9})"
    r"(?!\d)"
)


def _format_uk(national: str) -> str | None:
    """Validate an 0-prefixed national number and format it the way it is usually written."""
    n = len(national)
    kind = national[1]
    if kind == "7":
        return f"{national[:5]} {national[5:]}" if n == 11 else None
    if kind == "2":
        return f"{national[:3]} {national[3:7]} {national[7:]}" if n == 11 else None
    if kind in "38":
        if n == 11:
            return f"{national[:4]} {national[4:7]} {national[7:]}"
        if n == 10 and kind == "8":  # 0800 123456
            return f"{national[:4]} {national[4:]}"
        return None
    if kind == "1":
        if n == 11 and (national[2] == "1" or national[3] == "1"):  # 0161, 0113, 0121 ...
            return f"{national[:4]} {national[4:7]} {national[7:]}"
        if n in (10, 11):
            return f"{national[:5]} {national[5:]}"
    return None


def find_phones(text: str) -> list[Match]:
    out = []
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group("rest"))
        national = "0" + digits
        formatted = _format_uk(national)
        if formatted is None:
            continue
        start = m.start()
        out.append(Match(formatted, text[start : m.end()].strip(), start, m.end()))
    return out


# -- email ------------------------------------------------------------------------------------------
_EMAIL = re.compile(
    r"(?<![\w.+-])([A-Za-z0-9](?:[A-Za-z0-9._%+'-]{0,62}[A-Za-z0-9_%+-])?)"
    r"\s?@\s?"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})(?![\w-])"
)


def find_emails(text: str) -> list[Match]:
    out = []
    for m in _EMAIL.finditer(text):
        local, domain = m.group(1), m.group(2).lower()
        if ".." in local:
            continue
        out.append(Match(f"{local}@{domain}", m.group(0), m.start(), m.end()))
    return out


# -- vehicle registration ---------------------------------------------------------------------------
# Current (2001-): two letters (first not I Q Z), two digits, three letters (no I or Q).
_REG_CURRENT = re.compile(
    r"(?<![A-Za-z0-9])([A-HJ-PR-Y][A-HJ-PR-Y])(\d{2})[ \t]{0,2}([A-HJ-PR-Z]{3})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# Prefix (1983-2001): A123 BCD. Suffix (1963-1983): ABC 123D.
_REG_PREFIX = re.compile(
    r"(?<![A-Za-z0-9])([A-HJ-NPR-TV-Y])(\d{1,3})[ \t]{0,2}([A-HJ-PR-Y]{3})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_REG_SUFFIX = re.compile(
    r"(?<![A-Za-z0-9])([A-HJ-PR-Y]{3})[ \t]{0,2}(\d{1,3})[ \t]?([A-HJ-NPR-TV-Y])(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_VEHICLE_CONTEXT = re.compile(
    r"\b(?:reg|regs|registration|plate|plates|number ?plate|car|cars|van|vans|vehicle|lorry|truck|"
    r"motorbike|motorcycle|moped|scooter|bike|taxi|cab|bus|driver|driving|drove|parked|reversed|"
    r"hatchback|estate|suv|dvla|index|4x4|pickup)\b",
    re.IGNORECASE,
)
# What every registration format contains: a letter, at most two spaces or tabs, a digit.
_VEHICLE_HINT = re.compile(r"[A-Z][ \t]{0,2}\d", re.IGNORECASE)
# Three-letter groups that are common words or units, never taken as registration letters.
COMMON_WORDS = frozenset(
    """
    the and for are but not you all any can had her was one our out day get has him his how man
    new now old see two way who boy did its let put say she too use car van bus yes yet ago hrs
    yrs min mph kph kmh ish apt flr rte via per off own sat sun mon tue wed thu fri jan feb mar
    apr may jun jul aug sep oct nov dec ave end top far few lot may why got her him who saw ran
    red big bad hit cut run men bin dog cat job fix pay law age act ask own try war win won ate
    yet bag box eye key map pen pub cup tea gun bed bar led sea sky sun ton pin tip fee gym gas
    oil kid mum dad son lad bro sis pal mrs mr dvd cctv ppl etc""".split()
)


def find_vehicle_regs(text: str, avoid: Iterable[tuple[int, int]] = ()) -> list[Match]:
    """Registrations in the current, prefix and suffix formats, normalised ``AB12 CDE``.

    Spans in ``avoid`` (postcodes, phone numbers) are skipped. Groups of letters that are common
    words never count, and the older formats written in lower case count only when the message
    talks about a vehicle.
    """
    if _VEHICLE_HINT.search(text) is None:
        return []  # every format has a letter just before a digit (at most two spaces between)
    avoid = list(avoid)
    found: list[Match] = []
    has_context: bool | None = None

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in avoid) and all(end <= f.start or start >= f.end for f in found)

    for m in _REG_CURRENT.finditer(text):
        tag, age, letters = m.group(1).upper(), m.group(2), m.group(3).upper()
        if letters.lower() in COMMON_WORDS or not free(m.start(), m.end()):
            continue
        written = m.group(0)
        conf = 1.0 if written.isupper() else 0.9
        found.append(Match(f"{tag}{age} {letters}", written, m.start(), m.end(), conf))
    for pattern, kind in ((_REG_PREFIX, "prefix"), (_REG_SUFFIX, "suffix")):
        for m in pattern.finditer(text):
            if not free(m.start(), m.end()):
                continue
            written = m.group(0)
            a, b, c = m.group(1).upper(), m.group(2), m.group(3).upper()
            letters = c if kind == "prefix" else a
            if letters.lower() in COMMON_WORDS:
                continue
            if kind == "suffix" and b.startswith("0"):
                continue
            if not written.isupper():
                if has_context is None:
                    has_context = bool(_VEHICLE_CONTEXT.search(text))
                if not has_context:
                    continue
                conf = 0.7
            else:
                conf = 0.9
            value = f"{a}{b} {c}" if kind == "prefix" else f"{a} {b}{c}"
            found.append(Match(value, written, m.start(), m.end(), conf))
    found.sort(key=lambda f: f.start)
    return found


# -- crime reference --------------------------------------------------------------------------------


def compile_reference_patterns(patterns: Iterable[str]) -> list[re.Pattern[str]]:
    """Compile a force's crime-reference patterns, case-insensitive."""
    return [re.compile(p, re.IGNORECASE) for p in patterns]


def find_references(text: str, patterns: Iterable[re.Pattern[str]]) -> list[Match]:
    """Crime references in ``text``; where patterns overlap the longest match wins
    (``47/11111/25`` is not also read as ``11111/25``)."""
    spans: list[tuple[int, int]] = []
    for pattern in patterns:
        spans.extend((m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start())
    spans.sort(key=lambda se: (-(se[1] - se[0]), se[0]))
    out: list[Match] = []
    for start, end in spans:
        if any(not (end <= f.start or start >= f.end) for f in out):
            continue
        written = text[start:end]
        out.append(Match(re.sub(r"\s+", " ", written.strip()).upper(), written, start, end))
    out.sort(key=lambda f: f.start)
    return out
