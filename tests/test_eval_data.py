"""Checks on the project's independent evaluation sets (training/data/eval/).

The evaluation sets are hand-written first messages that nobody trains on. These tests pin
their format and size, and check that they have not leaked into the training data: no
evaluation text may appear (exactly, ignoring case and whitespace) in a training file, and no
evaluation text may be a near duplicate (character n-gram TF-IDF cosine >= 0.9) of a
training text.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from switchboard.training.testing import near_duplicate_pairs
from switchboard.training.testing import read_csv_with_header as _read
from switchboard.training.testing import text_key as _normalise
from switchboard.types import RISK_CATEGORIES

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = ROOT / "training" / "data" / "eval"
RISK_EVAL = EVAL_DIR / "risk_eval.csv"
INTENT_EVAL = EVAL_DIR / "intent_eval.csv"
TRAINING_FILES = (
    ROOT / "training" / "data" / "risk_train.csv",
    ROOT / "training" / "data" / "intent_train.csv",
)

RISK_COLUMNS = ["text", "label", "category", "kind"]
INTENT_COLUMNS = ["text", "label"]
RISK_LABELS = ("none", "elevated", "high", "immediate")
# the taxonomy is a contract: the evaluation set uses the core's categories (less the internal
# plugin_failure) plus "none"
CATEGORIES = tuple(c for c in RISK_CATEGORIES if c != "plugin_failure") + ("none",)
KINDS = ("plain", "hard_negative", "tricky_positive", "welsh")
INTENTS = (
    "anti_social_behaviour",
    "neighbourhood_concern",
    "information_sharing",
    "follow_up",
    "crime_report",
    "lost_found_property",
    "road_traffic",
    "fraud_scam",
    "general_enquiry",
)
INTENT_LABELS = (*INTENTS, "out_of_scope")

MIN_RISK_ROWS = 600
MIN_PER_RISK_LABEL = {"immediate": 170, "high": 150, "elevated": 80, "none": 200}
MIN_PER_KIND = {"hard_negative": 120, "tricky_positive": 120, "welsh": 10}
MIN_PER_INTENT = 40
MIN_WORDS, MAX_WORDS = 1, 80
NEAR_DUPLICATE = 0.9


def _training_texts(path: Path) -> list[str]:
    """Texts of a training CSV: its ``text`` column, or its first column without one."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        column = header.index("text") if "text" in header else 0
        return [row[column] for row in reader if len(row) > column and row[column].strip()]


def _eval_texts() -> list[str]:
    return [row["text"] for path in (RISK_EVAL, INTENT_EVAL) for row in _read(path)[1]]


def _problems_in_texts(rows: list[dict[str, str]]) -> list[str]:
    """Empty, padded, too long or duplicate texts, each named by its CSV line."""
    problems: list[str] = []
    first_seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        text = row["text"] or ""
        words = len(text.split())
        if not text.strip():
            problems.append(f"line {line}: empty text")
            continue
        if text != text.strip():
            problems.append(f"line {line}: leading or trailing whitespace")
        if not MIN_WORDS <= words <= MAX_WORDS:
            problems.append(f"line {line}: {words} words")
        key = _normalise(text)
        if key in first_seen:
            problems.append(f"line {line}: duplicate of line {first_seen[key]}")
        else:
            first_seen[key] = line
    return problems


# ---------------------------------------------------------------- risk_eval.csv


def test_risk_eval_has_exact_columns() -> None:
    header, rows = _read(RISK_EVAL)
    assert header == RISK_COLUMNS
    assert all(None not in row and all(v is not None for v in row.values()) for row in rows), (
        "a row has the wrong number of fields"
    )


def test_risk_eval_values_are_allowed_and_consistent() -> None:
    _, rows = _read(RISK_EVAL)
    problems = []
    for line, row in enumerate(rows, start=2):
        label, category, kind = row["label"], row["category"], row["kind"]
        if label not in RISK_LABELS:
            problems.append(f"line {line}: label {label!r}")
        if category not in CATEGORIES:
            problems.append(f"line {line}: category {category!r}")
        if kind not in KINDS:
            problems.append(f"line {line}: kind {kind!r}")
        if (label == "none") != (category == "none"):
            problems.append(f"line {line}: label {label!r} with category {category!r}")
        if kind == "tricky_positive" and label == "none":
            problems.append(f"line {line}: a tricky positive labelled none")
        if kind == "hard_negative" and label == "immediate":
            problems.append(f"line {line}: a hard negative labelled immediate")
    assert not problems, "\n".join(problems)


def test_risk_eval_texts_are_present_and_unique() -> None:
    _, rows = _read(RISK_EVAL)
    problems = _problems_in_texts(rows)
    assert not problems, "\n".join(problems)


def test_risk_eval_minimum_counts() -> None:
    _, rows = _read(RISK_EVAL)
    labels = Counter(row["label"] for row in rows)
    kinds = Counter(row["kind"] for row in rows)
    categories = Counter(row["category"] for row in rows)
    assert len(rows) >= MIN_RISK_ROWS
    short_labels = {k: labels[k] for k, n in MIN_PER_RISK_LABEL.items() if labels[k] < n}
    assert not short_labels, f"too few rows per label: {short_labels}"
    short_kinds = {k: kinds[k] for k, n in MIN_PER_KIND.items() if kinds[k] < n}
    assert not short_kinds, f"too few rows per kind: {short_kinds}"
    missing = sorted(set(CATEGORIES) - set(categories))
    assert not missing, f"categories with no example: {missing}"


def test_risk_eval_welsh_rows_cover_every_level() -> None:
    _, rows = _read(RISK_EVAL)
    welsh_labels = {row["label"] for row in rows if row["kind"] == "welsh"}
    assert welsh_labels == set(RISK_LABELS)


# -------------------------------------------------------------- intent_eval.csv


def test_intent_eval_has_exact_columns() -> None:
    header, rows = _read(INTENT_EVAL)
    assert header == INTENT_COLUMNS
    assert all(None not in row and all(v is not None for v in row.values()) for row in rows), (
        "a row has the wrong number of fields"
    )


def test_intent_eval_labels_are_allowed() -> None:
    _, rows = _read(INTENT_EVAL)
    bad = [f"line {n}: {row['label']!r}" for n, row in enumerate(rows, start=2)
           if row["label"] not in INTENT_LABELS]
    assert not bad, "\n".join(bad)


def test_intent_eval_texts_are_present_and_unique() -> None:
    _, rows = _read(INTENT_EVAL)
    problems = _problems_in_texts(rows)
    assert not problems, "\n".join(problems)


def test_intent_eval_minimum_counts() -> None:
    _, rows = _read(INTENT_EVAL)
    counts = Counter(row["label"] for row in rows)
    short = {label: counts[label] for label in INTENT_LABELS if counts[label] < MIN_PER_INTENT}
    assert not short, f"fewer than {MIN_PER_INTENT} examples: {short}"


def test_intent_eval_follow_ups_include_crime_reference_numbers() -> None:
    _, rows = _read(INTENT_EVAL)
    reference = re.compile(r"\b(?:\d{1,2}/\d{4,6}/\d{2}|\d{3,6}/\d{2}|CRN\s*\d{8})\b")
    with_ref = [row for row in rows if row["label"] == "follow_up" and reference.search(row["text"])]
    assert len(with_ref) >= 10


# ------------------------------------------------------ leakage into training data


@pytest.mark.parametrize("training_file", TRAINING_FILES, ids=lambda p: p.name)
def test_no_evaluation_text_appears_in_training_data(training_file: Path) -> None:
    if not training_file.exists():
        pytest.skip(f"{training_file.name} does not exist yet")
    evaluation = {_normalise(text) for text in _eval_texts()}
    # Named by training row only: a failure message never prints an evaluation text.
    leaked = [n for n, text in enumerate(_training_texts(training_file), start=1) if _normalise(text) in evaluation]
    assert not leaked, (
        f"{len(leaked)} texts of {training_file.name} are also evaluation texts (its non-empty text rows "
        f"number {leaked}; reword or remove them there)"
    )


@pytest.mark.parametrize("training_file", TRAINING_FILES, ids=lambda p: p.name)
def test_no_evaluation_text_near_duplicates_training_data(training_file: Path) -> None:
    if not training_file.exists():
        pytest.skip(f"{training_file.name} does not exist yet")
    evaluation = _eval_texts()
    training = _training_texts(training_file)
    if not training:
        pytest.skip(f"{training_file.name} has no texts")
    pairs = [(score, training[j]) for score, _i, j in near_duplicate_pairs(evaluation, training, NEAR_DUPLICATE)]
    # Only the training side is printed (it is the one to reword): the evaluation texts stay unread.
    assert not pairs, (
        f"{len(pairs)} texts of {training_file.name} nearly duplicate an evaluation text (similarity >= "
        f"{NEAR_DUPLICATE}); reword them:\n"
        + "\n".join(f"{score:.3f}  train={tr!r}" for score, tr in pairs)
    )
