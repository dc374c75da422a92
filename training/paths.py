"""Where the project's own training data, evaluation sets and public data sets live."""

from __future__ import annotations

from pathlib import Path

from switchboard.types import DEFAULT_INTENTS, OUT_OF_SCOPE, RISK_CATEGORIES

TRAINING_DIR = Path(__file__).resolve().parent
DATA_DIR = TRAINING_DIR / "data"
REPO_ROOT = TRAINING_DIR.parent
#: Public data sets are used by path, never copied into the repository (``../shared/datasets``).
DATASETS_DIR = REPO_ROOT.parent / "shared" / "datasets"

DEFAULT_TRAIN = {"risk": DATA_DIR / "risk_train.csv", "intent": DATA_DIR / "intent_train.csv"}
DEFAULT_EVAL = {"risk": DATA_DIR / "eval" / "risk_eval.csv", "intent": DATA_DIR / "eval" / "intent_eval.csv"}
#: The blind hold-out set (risk): like the evaluation set, never trained on and never read.
DEFAULT_HOLDOUT = DATA_DIR / "holdout" / "risk_holdout.csv"
DEFAULT_NEGATIVES = (
    DATASETS_DIR / "davidson_offensive" / "labeled_data.csv",
    DATASETS_DIR / "clinc150" / "data_full.json",
)

RISK_LABELS = ("none", "elevated", "high", "immediate")
INTENT_LABELS = (*DEFAULT_INTENTS, OUT_OF_SCOPE)
#: Categories a risk row may carry (``none`` for label none); ``plugin_failure`` is the core's.
CATEGORY_LABELS = tuple(c for c in RISK_CATEGORIES if c != "plugin_failure") + ("none",)


def labels_for(kind: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The labels a training file of ``kind`` may use."""
    base = RISK_LABELS if kind == "risk" else INTENT_LABELS
    return base + tuple(x for x in extra if x not in base)
