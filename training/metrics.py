"""Metrics the data team reads: per-class precision / recall / F1, and what matters for safety.

For risk models the predicted level comes from the model card's thresholds (exactly as the
``risk_ml`` plugin decides), so the figures describe the model as it will serve:

* ``emergency_recall``: share of ``immediate`` examples predicted ``immediate``;
* ``false_diversion``: share of other examples predicted ``immediate`` (sent to 999);
* ``human_recall``: share of ``high``/``immediate`` examples predicted ``high`` or above.

For intent models the prediction is the most probable intent: ``accuracy`` and ``macro_f1``.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

RISK_ORDER = ("none", "elevated", "high", "immediate")
_RANK = {label: i for i, label in enumerate(RISK_ORDER)}


def risk_predictions(proba: np.ndarray, classes: Sequence[str], thresholds: Mapping[str, float]) -> list[str]:
    """Thresholded levels for each probability row (as ``risk_ml.plugin.risk_level_for``)."""
    col = {c: i for i, c in enumerate(classes)}
    out = []
    for row in proba:
        cumulative = 0.0
        level = "none"
        for name in ("immediate", "high", "elevated"):
            if name not in col:
                continue
            cumulative += float(row[col[name]])
            if cumulative >= float(thresholds.get(name, 0.5)):
                level = name
                break
        out.append(level)
    return out


def cumulative_scores(proba: np.ndarray, classes: Sequence[str], at_least: str) -> np.ndarray:
    """p(level >= ``at_least``) per row."""
    idx = [i for i, c in enumerate(classes) if c in _RANK and _RANK[c] >= _RANK[at_least]]
    return proba[:, idx].sum(axis=1) if idx else np.zeros(len(proba))


def choose_threshold(scores: np.ndarray, positive: np.ndarray, target_recall: float) -> float:
    """The highest threshold whose recall on the positives reaches ``target_recall``."""
    pos = np.sort(scores[positive])[::-1]
    if len(pos) == 0:
        return 0.5
    k = max(1, math.ceil(target_recall * len(pos)))
    return float(pos[min(k, len(pos)) - 1])


def budget_threshold(scores: np.ndarray, negative: np.ndarray, max_rate: float) -> float:
    """The lowest threshold at which at most ``max_rate`` of the negatives score at or above it."""
    neg = np.sort(scores[negative])[::-1]
    k = int(math.floor(max_rate * len(neg) + 1e-9))
    if k >= len(neg):
        return 0.0
    return float(np.nextafter(neg[k], np.inf))


def system_budget_threshold(
    scores: np.ndarray, negative: np.ndarray, keyword_now: np.ndarray, keyword_bare: np.ndarray,
    floor: float, max_rate: float, floor_now: float = 0.0,
) -> float:
    """The lowest immediate threshold at which a model serving beside keyword rules keeps the
    system's false diversions within ``max_rate`` of the negatives.

    A message is diverted when a keyword rule says so with a now cue and the model's score reaches
    ``floor_now`` (``keyword_now``), when a rule says so with no time cue and the score reaches
    ``floor`` (``keyword_bare``): the core's corroboration of keyword emergencies), or when the
    model's score reaches the threshold. With no keyword hits, or when the rules alone already
    break the budget, this is :func:`budget_threshold` of the model alone.
    """
    fixed = ((keyword_now & (scores >= floor_now)) | (keyword_bare & (scores >= floor)))[negative]
    neg = scores[negative]
    allowed = int(math.floor(max_rate * len(neg) + 1e-9)) - int(fixed.sum())
    extra = np.sort(neg[~fixed])[::-1]  # negatives only the model could divert, highest first
    if allowed < 0:
        # the rules alone break the budget: the model keeps its own budget rather than being
        # silenced (losing its recall would be the worse failure)
        return budget_threshold(scores, negative, max_rate)
    if allowed >= len(extra):
        return 0.0
    return float(np.nextafter(extra[allowed], np.inf))


def predictions(kind: str, proba: np.ndarray, classes: Sequence[str], thresholds: Mapping[str, float]) -> list[str]:
    if kind == "risk":
        return risk_predictions(proba, classes, thresholds)
    return [classes[int(i)] for i in proba.argmax(axis=1)]


def compute_metrics(
    kind: str,
    y_true: Sequence[str],
    proba: np.ndarray,
    classes: Sequence[str],
    thresholds: Mapping[str, float],
) -> dict[str, Any]:
    """Per-class metrics, confusion matrix and the summary figures for one labelled set."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    y_pred = predictions(kind, proba, classes, thresholds)
    labels = list(RISK_ORDER) if kind == "risk" else sorted(set(classes) | set(y_true))
    labels = [c for c in labels if c in set(y_true) | set(y_pred) | set(classes)]
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    per_class = {
        c: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4), "f1": round(float(f[i]), 4),
            "support": int(s[i])}
        for i, c in enumerate(labels)
    }
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    yt = np.asarray(y_true)
    yp = np.asarray(y_pred)
    summary: dict[str, Any] = {"n": len(yt), "accuracy": round(float((yt == yp).mean()) if len(yt) else 0.0, 4)}
    if kind == "risk":
        summary.update(risk_summary(yt, yp))
    else:
        summary["macro_f1"] = round(float(np.mean(f)) if len(f) else 0.0, 4)
    return {
        "summary": summary,
        "per_class": per_class,
        "confusion": {"labels": labels, "matrix": cm.tolist()},
        "predicted": list(y_pred),
    }


def risk_summary(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    """Emergency recall, false diversion and must-reach-a-human recall from level labels."""
    imm = y_true == "immediate"
    non = ~imm
    human = np.isin(y_true, ("high", "immediate"))
    pred_imm = y_pred == "immediate"
    pred_human = np.isin(y_pred, ("high", "immediate"))
    return {
        "emergency_recall": _ratio(pred_imm[imm].sum(), imm.sum()),
        "false_diversion": _ratio(pred_imm[non].sum(), non.sum()),
        "human_recall": _ratio(pred_human[human].sum(), human.sum()),
        "n_immediate": int(imm.sum()),
        "n_non_immediate": int(non.sum()),
        "n_must_reach_human": int(human.sum()),
    }


def _ratio(num: Any, den: Any) -> float:
    return round(float(num) / float(den), 4) if den else 0.0


def regressions(kind: str, new: Mapping[str, Any], old: Mapping[str, Any], tolerance: float = 0.001) -> list[str]:
    """What got worse from ``old`` to ``new`` (metrics dicts from :func:`compute_metrics`)."""
    out = []
    ns, os_ = new["summary"], old["summary"]
    if kind == "risk":
        if ns["emergency_recall"] < os_["emergency_recall"] - 1e-9:
            out.append(f"emergency recall down: {os_['emergency_recall']:.3f} -> {ns['emergency_recall']:.3f}")
        if ns["false_diversion"] > os_["false_diversion"] + 1e-9:
            out.append(f"false diversion up: {os_['false_diversion']:.3f} -> {ns['false_diversion']:.3f}")
        if ns["human_recall"] < os_["human_recall"] - 1e-9:
            out.append(f"must-reach-a-human recall down: {os_['human_recall']:.3f} -> {ns['human_recall']:.3f}")
    else:
        for label, m in new["per_class"].items():
            before = old["per_class"].get(label)
            if before and m["f1"] < before["f1"] - tolerance:
                out.append(f"{label} F1 down: {before['f1']:.3f} -> {m['f1']:.3f}")
        if ns["accuracy"] < os_["accuracy"] - tolerance:
            out.append(f"accuracy down: {os_['accuracy']:.3f} -> {ns['accuracy']:.3f}")
    return out
