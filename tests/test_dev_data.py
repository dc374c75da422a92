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
from switchboard.training.testing import near_duplicate_pairs, risk_set_row_problems
from switchboard.training.testing import text_key as _key

ROOT = Path(__file__).resolve().parents[1]
DEV_FILES = sorted((ROOT / "training" / "data" / "dev").glob("*.csv"))
RISK_TRAIN = ROOT / "training" / "data" / "risk_train.csv"
RISK_EVAL = ROOT / "training" / "data" / "eval" / "risk_eval.csv"

COLUMNS = ["text", "label", "category", "kind"]
LABELS = ("none", "elevated", "high", "immediate")


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
    problems = risk_set_row_problems(rows)
    assert not problems, "\n".join(problems)


def test_no_duplicates_across_the_development_set() -> None:
    keys = [_key(t) for t in _dev_texts()]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    assert not dupes, dupes


def test_no_development_text_is_training_data() -> None:
    dev, train = _dev_texts(), _texts(RISK_TRAIN)
    exact = sorted({t for t in dev if _key(t) in {_key(x) for x in train}})
    assert not exact, f"{len(exact)} development texts are in risk_train.csv:\n" + "\n".join(exact)
    pairs = near_duplicate_pairs(dev, train)
    assert not pairs, "development rows near-duplicating training rows:\n" + "\n".join(
        f"{s:.3f} dev={dev[i]!r} train={train[j]!r}" for s, i, j in pairs)


def test_no_development_text_is_in_the_evaluation_set() -> None:
    dev, evaluation = _dev_texts(), _texts(RISK_EVAL)
    pairs = near_duplicate_pairs(dev, evaluation)
    # only the development side is named: evaluation texts must not be read by people tuning
    assert not pairs, "development rows near-duplicating evaluation rows:\n" + "\n".join(
        sorted({dev[i] for _s, i, _j in pairs}))
