"""Built-in plugin: slot extraction (postcode, phone, email, when, vehicle registration, crime
reference number) from a visitor's free text.

Patterns are compiled once in ``configure``; the force's crime-reference formats come from
``[force] crime_reference_patterns``. Answers ``trylast`` so a force plugin's slot of the same
name wins. ``[plugins.slots]`` options: ``disabled_slots`` (list of slot names not extracted).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from switchboard import hookimpl
from switchboard.types import Message, Slot

from .patterns import (
    compile_reference_patterns,
    find_emails,
    find_phones,
    find_postcodes,
    find_references,
    find_vehicle_regs,
)
from .when import find_when

SLOT_NAMES = ("crime_reference", "email", "phone", "postcode", "vehicle_reg", "when")
OPTIONS = frozenset({"disabled_slots"})


class SlotsPlugin:
    """Registered as ``slots`` through the ``switchboard`` entry-point group."""

    def __init__(self) -> None:
        self.tz = ZoneInfo("Europe/London")
        self.references: list[re.Pattern[str]] = []
        self.enabled: frozenset[str] = frozenset(SLOT_NAMES)

    @hookimpl
    def validate_config(self, settings: Any) -> list[str]:
        problems = []
        opts = settings.plugin_options("slots")
        for key in opts:
            if key not in OPTIONS:
                problems.append(f"plugins.slots.{key}: unknown key (disabled_slots)")
        disabled = opts.get("disabled_slots", [])
        if not isinstance(disabled, list) or any(d not in SLOT_NAMES for d in disabled):
            problems.append(f"plugins.slots.disabled_slots: expected a list of {', '.join(SLOT_NAMES)}")
        return problems

    @hookimpl
    def configure(self, settings: Any) -> None:
        self.tz = ZoneInfo(settings.timezone)
        self.references = compile_reference_patterns(settings.section("force").get("crime_reference_patterns", []))
        disabled = set(settings.plugin_options("slots").get("disabled_slots", []))
        self.enabled = frozenset(SLOT_NAMES) - disabled

    @hookimpl(trylast=True)
    def extract_slots(self, message: Message) -> list[Slot] | None:
        text = message.text
        if not text:
            return None
        return self.extract(text, message.received_at)

    def extract(self, text: str, received_at: datetime | None = None) -> list[Slot]:
        """Every slot found in ``text`` (the first of each name), resolved against ``received_at``.

        Extractors run from the most to the least specific; a span one of them claims (a crime
        reference, a phone number, a postcode) is not read again by the later ones.
        """
        enabled = self.enabled
        slots: list[Slot] = []
        taken: list[tuple[int, int]] = []

        def claim(name: str, matches: list[Any]) -> None:
            matches = [m for m in matches if _free(m, taken)]
            if matches and name in enabled:
                m = matches[0]
                slots.append(Slot(name, m.value, m.text, m.confidence, "slots"))
            taken.extend((m.start, m.end) for m in matches)

        has_digit = _DIGIT.search(text) is not None
        # Crime references, phone numbers, postcodes and registrations all contain a digit.
        if self.references and has_digit:
            claim("crime_reference", find_references(text, self.references))
        if "@" in text:
            claim("email", find_emails(text))
        if has_digit:
            claim("phone", find_phones(text))
            claim("postcode", find_postcodes(text))
            if "vehicle_reg" in enabled:
                claim("vehicle_reg", find_vehicle_regs(text, taken))
        if "when" in enabled:
            now = received_at or datetime.now(timezone.utc)
            now = now.astimezone(self.tz) if now.tzinfo else now
            m = find_when(text, now, taken)
            if m is not None:
                slots.append(Slot("when", m.value, m.text, m.confidence, "slots"))
        return slots


_DIGIT = re.compile(r"\d")


def _free(m: Any, taken: list[tuple[int, int]]) -> bool:
    return all(m.end <= a or m.start >= b for a, b in taken)
