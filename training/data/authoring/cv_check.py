"""Sanity check for the authored risk data: 5-fold cross-validated TF-IDF + logistic regression.

Not the production trainer (that lives with plugins/risk_ml). It only shows whether the labels are
learnable and lists the worst confusions (immediate predicted none/elevated, none predicted
high/immediate) so an author can re-read them for label mistakes. Scripted variants of the same
message can land in different folds, so figures are slightly optimistic.

    .venv/bin/python training/data/authoring/cv_check.py [--show-errors]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import classification_report, confusion_matrix
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline, make_union

DATA = Path(__file__).resolve().parent.parent / "risk_train.csv"
LABELS = ["none", "elevated", "high", "immediate"]


def main(argv: list[str]) -> int:
    """Print a cross-validated report for ``risk_train.csv``."""
    with DATA.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    texts = [r["text"] for r in rows]
    labels = [r["label"] for r in rows]
    model = make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        ),
        LogisticRegression(C=10, max_iter=2000, class_weight="balanced"),
    )
    pred = cross_val_predict(model, texts, labels, cv=5)
    print(classification_report(labels, pred, labels=LABELS))
    print("rows = true, columns = predicted:", LABELS)
    print(confusion_matrix(labels, pred, labels=LABELS))
    if "--show-errors" in argv:
        for text, true, got in zip(texts, labels, pred):
            if (true == "immediate" and got in ("none", "elevated")) or (
                true == "none" and got in ("high", "immediate")
            ):
                print(f"{true:>9} -> {got:<9} {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
