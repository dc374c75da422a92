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
MIN_PER_INTENT = 200
MIN_OUT_OF_SCOPE = 250
NEAR_DUPLICATE = 0.9  # the same measure tests/test_eval_data.py uses between training and evaluation


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


def test_no_near_duplicates_within_the_training_data(rows: list[dict[str, str]]) -> None:
    """Distinct utterances, not paraphrase-by-substitution: no two rows with character n-gram
    TF-IDF cosine >= 0.9."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    texts = [r["text"] for r in rows]
    matrix = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform(texts)
    sim = cosine_similarity(matrix, dense_output=False).tocoo()
    pairs = [(texts[i], texts[j]) for i, j, v in zip(sim.row, sim.col, sim.data) if i < j and v >= NEAR_DUPLICATE]
    assert pairs == []


def test_confusable_pairs_have_contrasting_examples(rows: list[dict[str, str]]) -> None:
    """The boundaries the guide calls out are taught from both sides, with the cue words present
    in the other label too (so a single word cannot decide the route)."""
    def count(label: str, pattern: str) -> int:
        return sum(1 for r in rows if r["label"] == label and re.search(pattern, r["text"], re.IGNORECASE))

    assert count("information_sharing", r"\bdeal(ing|er|s)?\b|\bdrugs?\b") >= 8  # a named dealer is information
    assert count("neighbourhood_concern", r"\bdeal(ing|er|s)?\b|\bdrugs?\b") >= 40
    assert count("crime_report", r"\b(car|van|driver|drove)\b") >= 40  # crimes involving vehicles
    assert count("out_of_scope", r"\broad\b|\bbus\b|\bparking\b|\bdriving\b") >= 25  # road words, not police
    assert count("anti_social_behaviour", r"\b(car|cars|motorbikes?|bikes?)\b") >= 25
    assert count("general_enquiry", r"\bhow (do|can) i\b") >= 40
    assert count("out_of_scope", r"\bhow (do|can) i\b") >= 30


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
