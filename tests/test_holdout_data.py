"""Checks on the blind risk hold-out set (training/data/holdout/).

The hold-out set was written by an author who read only the labelling guide, and nobody on the team
reads its texts: only aggregate figures are taken from it (``bench/risk_error_analysis.py
--holdout-aggregate``). These tests pin its format and keep it apart from every other set: no
hold-out text may be in the training data, the development set or the evaluation set, exactly or as
a near duplicate (character n-gram TF-IDF cosine >= 0.9). A failure names only rows of the sets the
team may read (training, development) or row numbers: hold-out and evaluation texts are never printed.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from switchboard.training.testing import read_csv_with_header as _rows
from switchboard.training.testing import near_duplicate_pairs, risk_set_row_problems
from switchboard.training.testing import text_key as _key

ROOT = Path(__file__).resolve().parents[1]
HOLDOUT = ROOT / "training" / "data" / "holdout" / "risk_holdout.csv"
RISK_TRAIN = ROOT / "training" / "data" / "risk_train.csv"
RISK_EVAL = ROOT / "training" / "data" / "eval" / "risk_eval.csv"
DEV_FILES = sorted((ROOT / "training" / "data" / "dev").glob("*.csv"))

COLUMNS = ["text", "label", "category", "kind"]
LABELS = ("none", "elevated", "high", "immediate")


def _texts(path: Path) -> list[str]:
    return [r["text"] for r in _rows(path)[1]]


def test_the_holdout_set_is_well_formed_and_covers_every_level() -> None:
    header, rows = _rows(HOLDOUT)
    assert header == COLUMNS
    problems = risk_set_row_problems(rows)
    assert not problems, "\n".join(problems)
    labels = Counter(r["label"] for r in rows)
    assert set(labels) == set(LABELS) and min(labels.values()) >= 30, dict(labels)
    kinds = Counter(r["kind"] for r in rows)
    assert kinds["tricky_positive"] >= 50 and kinds["hard_negative"] >= 30, dict(kinds)
    keys = [_key(r["text"]) for r in rows]
    repeated = [n for n, k in enumerate(keys, start=2) if keys.count(k) > 1]
    assert not repeated, f"duplicate texts on lines {repeated}"


@pytest.mark.parametrize("other", ["training", "development"])
def test_no_holdout_text_is_in_a_set_the_team_reads(other: str) -> None:
    held = _texts(HOLDOUT)
    texts = _texts(RISK_TRAIN) if other == "training" else [t for p in DEV_FILES for t in _texts(p)]
    pairs = near_duplicate_pairs(held, texts)
    # only the readable side is printed, so it can be reworded; the hold-out row by number
    assert not pairs, f"{other} rows nearly duplicating hold-out rows (reword the {other} row):\n" + "\n".join(
        f"{s:.3f} holdout line {i + 2}: {other}={texts[j]!r}" for s, i, j in pairs)


def test_no_holdout_text_is_in_the_evaluation_set() -> None:
    pairs = near_duplicate_pairs(_texts(HOLDOUT), _texts(RISK_EVAL))
    assert not pairs, "hold-out lines nearly duplicating evaluation rows: " + ", ".join(
        f"{i + 2}" for _s, i, _j in pairs)
