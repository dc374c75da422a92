"""Checks on the risk development set (training/data/dev/).

The development set is read by the team for error analysis and is never trained on. These tests
pin its format and keep it apart from both neighbours: no development text may be in the
training data or the evaluation set, exactly or as a near duplicate (character n-gram TF-IDF
cosine >= 0.9). A failure names the development rows only: evaluation texts are never printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.training.testing import read_csv_with_header as _rows
from switchboard.training.testing import text_key as _key
from switchboard.types import RISK_CATEGORIES

ROOT = Path(__file__).resolve().parents[1]
DEV_FILES = sorted((ROOT / "training" / "data" / "dev").glob("*.csv"))
RISK_TRAIN = ROOT / "training" / "data" / "risk_train.csv"
RISK_EVAL = ROOT / "training" / "data" / "eval" / "risk_eval.csv"

COLUMNS = ["text", "label", "category", "kind"]
LABELS = ("none", "elevated", "high", "immediate")
CATEGORIES = tuple(c for c in RISK_CATEGORIES if c != "plugin_failure") + ("none",)
KINDS = ("plain", "hard_negative", "tricky_positive", "welsh")
NEAR_DUPLICATE = 0.9


def _texts(path: Path) -> list[str]:
    return [r["text"] for r in _rows(path)[1]]


def _dev_texts() -> list[str]:
    return [t for p in DEV_FILES for t in _texts(p)]


def test_there_is_a_development_set_with_both_halves() -> None:
    names = {p.name for p in DEV_FILES}
    assert {"risk_dev_pos.csv", "risk_dev_neg.csv"} <= names
    labels = {r["label"] for p in DEV_FILES for r in _rows(p)[1]}
    assert labels == set(LABELS)


@pytest.mark.parametrize("path", DEV_FILES, ids=lambda p: p.name)
def test_rows_are_well_formed(path: Path) -> None:
    header, rows = _rows(path)
    assert header == COLUMNS
    problems = []
    for n, r in enumerate(rows, start=2):
        text = r["text"]
        if not text or text != text.strip() or "\n" in text:
            problems.append(f"line {n}: empty, padded or multi-line text")
        if r["label"] not in LABELS:
            problems.append(f"line {n}: label {r['label']!r}")
        if r["category"] not in CATEGORIES or (r["category"] == "none") != (r["label"] == "none"):
            problems.append(f"line {n}: category {r['category']!r} with label {r['label']!r}")
        if r["kind"] not in KINDS:
            problems.append(f"line {n}: kind {r['kind']!r}")
    assert not problems, "\n".join(problems)


def test_no_duplicates_across_the_development_set() -> None:
    keys = [_key(t) for t in _dev_texts()]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    assert not dupes, dupes


def _near_duplicates(left: list[str], right: list[str]) -> list[tuple[float, int, int]]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit(left + right)
    sim = cosine_similarity(vectoriser.transform(left), vectoriser.transform(right), dense_output=False).tocoo()
    return sorted(((float(s), int(i), int(j)) for i, j, s in zip(sim.row, sim.col, sim.data) if s >= NEAR_DUPLICATE),
                  reverse=True)


def test_no_development_text_is_training_data() -> None:
    dev, train = _dev_texts(), _texts(RISK_TRAIN)
    exact = sorted({t for t in dev if _key(t) in {_key(x) for x in train}})
    assert not exact, f"{len(exact)} development texts are in risk_train.csv:\n" + "\n".join(exact)
    pairs = _near_duplicates(dev, train)
    assert not pairs, "development rows near-duplicating training rows:\n" + "\n".join(
        f"{s:.3f} dev={dev[i]!r} train={train[j]!r}" for s, i, j in pairs)


def test_no_development_text_is_in_the_evaluation_set() -> None:
    dev, evaluation = _dev_texts(), _texts(RISK_EVAL)
    pairs = _near_duplicates(dev, evaluation)
    # only the development side is named: evaluation texts must not be read by people tuning
    assert not pairs, "development rows near-duplicating evaluation rows:\n" + "\n".join(
        sorted({dev[i] for _s, i, _j in pairs}))
