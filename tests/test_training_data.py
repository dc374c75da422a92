"""Checks on the project's own labelled risk training data (training/data/risk_train.csv)."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "training" / "data" / "risk_train.csv"

LABELS = {"none", "elevated", "high", "immediate"}
CATEGORIES = {
    "threat_to_life", "violence_weapons", "crime_in_progress", "self_harm", "domestic_abuse",
    "child_safeguarding", "sexual_offence", "missing_person", "fire_medical_road", "hate_crime",
    "exploitation", "stalking_harassment", "intimate_image_abuse", "financial_abuse", "other",
}
MIN_ROWS = 1500
MIN_PER_LABEL = 200
MIN_PER_CATEGORY = 25


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["text", "label", "category"]
        return list(reader)


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def test_header_and_row_shape() -> None:
    with DATA.open(encoding="utf-8", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["text", "label", "category"]
    bad = [i for i, line in enumerate(lines[1:], start=2) if len(line) != 3]
    assert bad == [], f"rows without exactly 3 fields (CSV line numbers): {bad[:10]}"


def test_enough_rows(rows: list[dict[str, str]]) -> None:
    assert len(rows) >= MIN_ROWS


def test_labels_and_categories_allowed(rows: list[dict[str, str]]) -> None:
    bad_label = [r for r in rows if r["label"] not in LABELS]
    bad_cat = [r for r in rows if r["category"] not in CATEGORIES | {"none"}]
    assert bad_label == []
    assert bad_cat == []


def test_none_label_iff_none_category(rows: list[dict[str, str]]) -> None:
    mismatched = [r for r in rows if (r["label"] == "none") != (r["category"] == "none")]
    assert mismatched == [], mismatched[:5]


def test_no_empty_or_padded_text(rows: list[dict[str, str]]) -> None:
    empty = [i for i, r in enumerate(rows, start=2) if not r["text"].strip()]
    assert empty == []
    padded = [r["text"] for r in rows if r["text"] != r["text"].strip()]
    assert padded == []


def test_no_duplicates_case_and_space_insensitive(rows: list[dict[str, str]]) -> None:
    counts = Counter(_key(r["text"]) for r in rows)
    dups = [k for k, n in counts.items() if n > 1]
    assert dups == [], dups[:10]


def test_every_label_well_represented(rows: list[dict[str, str]]) -> None:
    counts = Counter(r["label"] for r in rows)
    thin = {label: counts.get(label, 0) for label in LABELS if counts.get(label, 0) < MIN_PER_LABEL}
    assert thin == {}


def test_every_category_present_with_enough_rows(rows: list[dict[str, str]]) -> None:
    counts = Counter(r["category"] for r in rows)
    thin = {c: counts.get(c, 0) for c in CATEGORIES if counts.get(c, 0) < MIN_PER_CATEGORY}
    assert thin == {}


def test_messages_vary_in_length_and_style(rows: list[dict[str, str]]) -> None:
    """Guard against template-generated data: lengths and surface styles must vary."""
    lengths = [len(r["text"].split()) for r in rows]
    assert min(lengths) <= 4 and max(lengths) >= 60
    assert len(set(lengths)) >= 40
    lower = sum(1 for r in rows if r["text"] == r["text"].lower())
    shouting = sum(1 for r in rows if re.search(r"[A-Z]{4,}", r["text"]) and r["text"] == r["text"].upper())
    assert lower >= len(rows) * 0.1
    assert shouting >= 10
    first_words = Counter(" ".join(r["text"].lower().split()[:3]) for r in rows)
    assert first_words.most_common(1)[0][1] <= len(rows) * 0.02


def test_hard_negatives_present(rows: list[dict[str, str]]) -> None:
    """Routine rows must include violent-sounding idioms, negations and legal questions."""
    none_text = [r["text"].lower() for r in rows if r["label"] == "none"]
    for pattern in (r"\bkill\b", r"\bmurder\b", r"\bdead\b", r"\bknife\b", r"\bno ?one\b|\bnobody\b"):
        hits = sum(1 for t in none_text if re.search(pattern, t))
        assert hits >= 5, f"too few hard negatives matching {pattern!r}: {hits}"
    questions = sum(1 for t in none_text if t.rstrip().endswith("?"))
    assert questions >= 100
