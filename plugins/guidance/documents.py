"""Approved guidance documents: Markdown files with TOML front matter, validated at load.

A document looks like::

    +++
    id = "noise-nuisance"
    title = "Noise from neighbours"
    source_url = "https://www.demo-constabulary.police.uk/advice/noise"
    approved_by = "Contact Management, Demo Constabulary"
    review_date = 2027-06-30
    language = "en"
    intents = ["anti_social_behaviour", "neighbourhood_concern"]
    +++

    Body in Markdown. Each paragraph (or list) is one passage; ``## headings`` start sections.

Every field is required. ``review_date`` is ``YYYY-MM-DD`` (a TOML date or a string); a document
whose review date has passed is not used and is reported. ``intents`` may be empty.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable

from switchboard.errors import DataError

REQUIRED = ("id", "title", "source_url", "approved_by", "review_date", "language", "intents")
LANGUAGES = ("en", "cy")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_URL_RE = re.compile(r"^https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(/\S*)?$")
_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Passage:
    """One paragraph or list of a document, with the heading it sits under."""

    doc_id: str
    heading: str
    text: str


@dataclass(frozen=True)
class Document:
    """One approved guidance document."""

    id: str
    title: str
    source_url: str
    approved_by: str
    review_date: date
    language: str
    intents: tuple[str, ...]
    body: str
    path: Path
    passages: tuple[Passage, ...]

    def expired(self, today: date) -> bool:
        """A document is usable up to and including its review date."""
        return self.review_date < today


def load_documents(folder: Path, known_intents: Iterable[str]) -> list[Document]:
    """Load and validate every ``*.md`` file under ``folder`` (sorted by path).

    :raises DataError: naming the file and the field of the first problem (a missing field, a
        bad date, an unknown intent or language, a duplicate id).
    """
    known = set(known_intents)
    docs: list[Document] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        doc = parse_document(path, known)
        if doc.id in seen:
            raise DataError(f"{path}: id", f"duplicate document id {doc.id!r} (also in {seen[doc.id].name})")
        seen[doc.id] = path
        docs.append(doc)
    return docs


def parse_document(path: Path, known_intents: set[str]) -> Document:
    """Parse one document file. :raises DataError: naming the file and field."""
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DataError(str(path), "not UTF-8 text") from None
    except OSError as exc:
        raise DataError(str(path), f"cannot read ({exc.strerror})") from None
    raw = raw.lstrip("\ufeff")
    lines = raw.splitlines()
    if not lines or lines[0].strip() != "+++":
        raise DataError(f"{path}:1", "missing TOML front matter: the file must start with a line '+++'")
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].strip() == "+++")
    except StopIteration:
        raise DataError(str(path), "front matter is not closed with a line '+++'") from None
    try:
        meta = tomllib.loads("\n".join(lines[1:close]))
    except tomllib.TOMLDecodeError as exc:
        raise DataError(str(path), f"invalid TOML front matter: {exc}") from None
    body = "\n".join(lines[close + 1 :]).strip()

    for key in REQUIRED:
        if key not in meta:
            raise DataError(f"{path}: {key}", "required field is missing")
    unknown = sorted(set(meta) - set(REQUIRED))
    if unknown:
        raise DataError(f"{path}: {unknown[0]}", f"unknown field (fields: {', '.join(REQUIRED)})")
    for key in ("id", "title", "source_url", "approved_by", "language"):
        if not isinstance(meta[key], str) or not meta[key].strip():
            raise DataError(f"{path}: {key}", "expected a non-empty string")
    if not _ID_RE.match(meta["id"]):
        raise DataError(f"{path}: id", "use lower-case letters, digits, '-' and '_' only")
    if not _URL_RE.match(meta["source_url"]):
        raise DataError(f"{path}: source_url", f"expected an https:// address, got {meta['source_url']!r}")
    review = _review_date(meta["review_date"])
    if review is None:
        raise DataError(f"{path}: review_date", f"expected a date YYYY-MM-DD, got {meta['review_date']!r}")
    if meta["language"] not in LANGUAGES:
        raise DataError(f"{path}: language", f"expected one of {', '.join(LANGUAGES)}, got {meta['language']!r}")
    intents = meta["intents"]
    if not isinstance(intents, list) or not all(isinstance(i, str) for i in intents):
        raise DataError(f"{path}: intents", "expected a list of intent ids")
    for intent in intents:
        if intent not in known_intents:
            raise DataError(f"{path}: intents", f"unknown intent {intent!r}")
    if not body:
        raise DataError(f"{path}: body", "the document has no text after the front matter")
    passages = tuple(split_passages(meta["id"], body))
    return Document(
        id=meta["id"],
        title=meta["title"].strip(),
        source_url=meta["source_url"],
        approved_by=meta["approved_by"].strip(),
        review_date=review,
        language=meta["language"],
        intents=tuple(intents),
        body=body,
        path=path,
        passages=passages,
    )


def _review_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def split_passages(doc_id: str, body: str) -> list[Passage]:
    """Split a Markdown body into passages: paragraphs and lists, each under its heading."""
    out: list[Passage] = []
    heading = ""
    block: list[str] = []

    def flush() -> None:
        text = "\n".join(block).strip()
        if text:
            out.append(Passage(doc_id, heading, text))
        block.clear()

    for line in body.splitlines():
        m = _HEADING_RE.match(line)
        if m:
            flush()
            heading = m.group(2)
            continue
        if not line.strip():
            flush()
            continue
        block.append(line.rstrip())
    flush()
    return out
