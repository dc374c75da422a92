"""Checks on the project's own labelled intent training data (training/data/intent_train.csv)."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from switchboard.types import DEFAULT_INTENTS, OUT_OF_SCOPE

DATA = Path(__file__).resolve().parents[1] / "training" / "data" / "intent_train.csv"
GUIDE = DATA.with_name("intent_guide.md")
LABELS = set(DEFAULT_INTENTS) | {OUT_OF_SCOPE}
MIN_PER_INTENT = 120
MIN_OUT_OF_SCOPE = 150


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["text", "label"]
        return list(reader)


def test_labels_are_the_taxonomy(rows: list[dict[str, str]]) -> None:
    assert {r["label"] for r in rows} == LABELS


def test_counts_per_label(rows: list[dict[str, str]]) -> None:
    counts = Counter(r["label"] for r in rows)
    short = {k: counts[k] for k in DEFAULT_INTENTS if counts[k] < MIN_PER_INTENT}
    assert short == {}
    assert counts[OUT_OF_SCOPE] >= MIN_OUT_OF_SCOPE


def test_no_duplicates_case_and_space_insensitive(rows: list[dict[str, str]]) -> None:
    keys = Counter(re.sub(r"\s+", " ", r["text"].casefold()).strip() for r in rows)
    assert [k for k, n in keys.items() if n > 1] == []


def test_texts_are_clean_and_between_2_and_80_words(rows: list[dict[str, str]]) -> None:
    bad = [r["text"] for r in rows if r["text"] != r["text"].strip() or not 2 <= len(r["text"].split()) <= 80]
    assert bad == []


def test_style_varies(rows: list[dict[str, str]]) -> None:
    texts = [r["text"] for r in rows]
    lengths = [len(t.split()) for t in texts]
    assert min(lengths) <= 3 and max(lengths) >= 30
    assert sum(t == t.lower() for t in texts) >= 100  # all lower case, as typed on a phone
    assert sum(t.isupper() for t in texts if any(c.isalpha() for c in t)) >= 3  # SHOUTING
    assert sum(bool(re.match(r"(?i)(hi|hello|hiya|good (morning|afternoon|evening))\b", t)) for t in texts) >= 40


def test_follow_ups_quote_references_in_several_formats(rows: list[dict[str, str]]) -> None:
    texts = [r["text"] for r in rows if r["label"] == "follow_up"]
    assert sum(bool(re.search(r"\b\d{5}/\d{2}\b", t)) for t in texts) >= 10
    assert sum(bool(re.search(r"\b\d{2}/\d{5}/\d{2}\b", t)) for t in texts) >= 5
    assert sum(bool(re.search(r"(?i)\bcrn\s?\d{8}\b", t)) for t in texts) >= 5
    # and many follow-ups have no reference at all
    assert sum(not re.search(r"\d{4,}", t) for t in texts) >= 40


def test_guide_defines_every_label() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    for label in LABELS:
        assert f"`{label}`" in guide
