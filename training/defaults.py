"""The default risk and intent models, trained from the project's own data in ``training/data``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from switchboard.errors import ModelLoadError
from switchboard.plugins.risk_ml.artefact import load_current

from .paths import DEFAULT_EVAL, DEFAULT_NEGATIVES, DEFAULT_TRAIN
from .registry import GateResult, promote
from .train import TrainOptions, TrainResult, train

DEFAULT_FOLDS = 5


def train_default(
    kind: str, models_dir: Path, folds: int = DEFAULT_FOLDS, progress: bool = False, **options: Any,
) -> TrainResult:
    """Train the default ``kind`` model into the registry (not promoted).

    :param options: further :class:`TrainOptions` (e.g. the force's corroboration floors).
    """
    return train(TrainOptions(
        kind=kind, data=[DEFAULT_TRAIN[kind]], models_dir=models_dir,
        eval_paths=[DEFAULT_EVAL[kind]] if DEFAULT_EVAL[kind].is_file() else [],
        negatives=list(DEFAULT_NEGATIVES), folds=folds, progress=progress,
        routine=[DEFAULT_TRAIN["intent"]] if kind == "risk" and DEFAULT_TRAIN["intent"].is_file() else [],
        **options,
    ))


def ensure_defaults(
    models_dir: Path,
    gate: Callable[[str, Path], GateResult],
    folds: int = DEFAULT_FOLDS,
    progress: bool = False,
    say: Callable[[str], None] = print,
    warn: Callable[[str], None] = print,
    options: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Train and promote a default model for each kind that has no usable promoted model.

    A default model that fails the safety gate is still promoted (the quick start must run),
    but as a *forced* promotion with the failed figures as its reason, and a loud warning.
    :param options: further :class:`TrainOptions` for every default model.
    :returns: the history records written.
    """
    records = []
    for kind in ("risk", "intent"):
        try:
            model = load_current(models_dir, kind)
        except ModelLoadError as exc:
            say(f"{kind}: no usable promoted model ({exc.reason}); training the default")
        else:
            say(f"{kind}: {model.version} is promoted")
            continue
        if not DEFAULT_TRAIN[kind].is_file():
            warn(f"{DEFAULT_TRAIN[kind]} not found; no default {kind} model (the {kind}_ml plugin will report degraded)")
            continue
        result = train_default(kind, models_dir, folds, progress, **(options or {}))
        for w in result.warnings:
            warn(w)
        outcome = gate(kind, result.model_dir)
        reason = ""
        if not outcome.passed:
            reason = "ensure-defaults: the default model failed the safety gate: " + "; ".join(outcome.failures)
        record = promote(models_dir, str(result.model_dir), lambda k, f: outcome, kind=kind,
                         force=not outcome.passed, reason=reason)
        if record["forced"]:
            warn(f"the default {kind} model FAILED the safety gate and was promoted anyway "
                 f"(recorded in history): {'; '.join(outcome.failures)}")
        records.append(record)
    return records
