"""Train a risk or intent model: validate, cross-validate, choose thresholds, write the artefact,
the model card and the evaluation report.

The artefact is a joblib dict ``{"format": 1, "kind", "pipeline", "category_pipeline"}``. For
intent, ``pipeline`` is the Pipeline from :func:`switchboard.plugins.risk_ml.features.make_pipeline`;
for risk it is :func:`~switchboard.plugins.risk_ml.features.make_risk_model` (a soft vote of that
pipeline and a naive Bayes pipeline) and, for risk models trained with a ``category`` column,
``category_pipeline`` is a category head sharing the vote's first member's fitted features.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from switchboard.config import CORE_SCHEMA
from switchboard.errors import DataError
from switchboard.plugins.risk_ml.artefact import (
    ARTEFACT_FORMAT,
    CARD_FILE,
    MODEL_FILE,
    REPORT_FILE,
    kind_dir,
    library_versions,
    sha256_file,
)
from switchboard.plugins.risk_ml.features import (
    CUE_TAGS,
    CUE_VERSION,
    cue_lexicon_sha256,
    main_pipeline,
    make_classifier,
    make_pipeline,
    make_risk_model,
    preprocessor_of,
)

from . import metrics as M
from .data_io import DataProblems, Row, load_training_data, near_key, read_labelled, variant_group
from .negatives import load_negatives
from .paths import CATEGORY_LABELS, REPO_ROOT, labels_for
from .report import EvalSection, Report, render


@dataclass
class TrainOptions:
    kind: str
    data: Sequence[Path]
    models_dir: Path
    out: Path | None = None  # a model folder; default: a new version folder in the registry
    text_column: str = "text"
    label_column: str = "label"
    category_column: str = "category"
    eval_paths: Sequence[Path] = ()
    target_recall: float = 0.98
    target_human_recall: float = 0.93
    max_false_diversion: float = 0.05
    # The threshold is chosen for the system the model serves in: the built-in keyword rules plus
    # the model, with the core's corroboration of keyword emergencies at these floors (the core's
    # defaults of thresholds.keyword_corroboration and keyword_corroboration_now). False means
    # the model alone.
    with_keywords: bool = True
    keyword_floor: float = CORE_SCHEMA["thresholds"]["keyword_corroboration"][1]
    keyword_floor_now: float = CORE_SCHEMA["thresholds"]["keyword_corroboration_now"][1]
    negatives: Sequence[Path] = ()
    routine: Sequence[Path] = ()  # labelled intent files: routine intents become risk 'none' examples
    folds: int = 5
    progress: bool = False
    extra_labels: tuple[str, ...] = ()
    C: float | None = None  # the classifiers' C; default: the model's own (RISK_C for risk, LINEAR_C otherwise)


@dataclass
class TrainResult:
    model_dir: Path
    card: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def _progress(iterable: Any, enabled: bool, **kw: Any) -> Any:
    from tqdm import tqdm

    return tqdm(iterable, file=sys.stderr, disable=not enabled, leave=False, **kw)


def git_commit() -> str | None:
    """The repository's HEAD commit (``+dirty`` if there are local changes), if known."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head or None


def _data_sha(files: Sequence[Path], negatives: Sequence[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    h = hashlib.sha256()
    entries = []
    for f in files:
        digest = sha256_file(f)
        entries.append({"path": str(f), "sha256": digest})
        h.update(f"{Path(f).name}\0{digest}\n".encode())
    h.update(json.dumps(negatives, sort_keys=True).encode())
    return h.hexdigest(), entries


#: Intents whose examples are routine 101 business, so they can teach the risk model ``none``.
#: crime_report, neighbourhood_concern and information_sharing are left out: such messages may
#: carry elevated or high risk (a past assault, a welfare worry, a disclosure).
ROUTINE_INTENTS = ("anti_social_behaviour", "follow_up", "lost_found_property", "road_traffic", "fraud_scam",
                   "general_enquiry", "out_of_scope")


def _routine_rows(opts: TrainOptions, exclude: set[str], project_rows: int) -> tuple[list[Row], list[dict[str, Any]]]:
    """Routine intent examples as risk ``none`` rows (capped at half the project's own rows)."""
    from .paths import INTENT_LABELS

    rows: list[Row] = []
    info = []
    budget = project_rows // 2
    for path in opts.routine:
        data = read_labelled(path, INTENT_LABELS, "text", "label")
        if data.problems:
            raise DataProblems(data.problems, what="the routine examples")
        taken = 0
        for r in data.rows:
            key = near_key(r.text)
            if r.label not in ROUTINE_INTENTS or key in exclude or len(rows) >= budget:
                continue
            exclude.add(key)
            rows.append(Row(text=r.text, label="none", file=r.file, line=r.line, category="none"))
            taken += 1
        info.append({"path": str(path), "rows": taken, "intents": list(ROUTINE_INTENTS), "label": "none"})
    return rows, info


@dataclass
class TrainingRows:
    """Every row a model is trained on: the project's own rows first (``data.rows``), then the
    public negatives and, for risk, routine intent rows as ``none`` examples (``rows``)."""

    data: Any  # the loaded project data (rows, warnings)
    eval_rows: list[Row]
    negatives: Any  # the loaded public negatives (rows, sources)
    routine_info: list[dict[str, Any]]
    rows: list[Row]
    warnings: list[str]


def training_rows(opts: TrainOptions, labels: Sequence[str]) -> TrainingRows:
    """Load and assemble the rows :func:`train` fits on (also used by ``bench/risk_author_cv.py``).

    :raises DataProblems: listing every problem in the input.
    """
    kind = opts.kind
    category_column = opts.category_column if kind == "risk" else None
    data = load_training_data(
        opts.data, labels, opts.text_column, opts.label_column, category_column, CATEGORY_LABELS, opts.eval_paths
    )
    warnings = list(data.warnings)
    eval_rows: list[Row] = []
    for path in opts.eval_paths:
        eval_rows.extend(read_labelled(path, labels, "text", "label", "category" if kind == "risk" else None,
                                       CATEGORY_LABELS).rows)
    exclude = {near_key(r.text) for r in data.rows} | {near_key(r.text) for r in eval_rows}
    negatives = load_negatives(opts.negatives, kind, len(data.rows), exclude)
    for source in negatives.sources:
        if not source.found:
            warnings.append(f"negatives {source.path}: not found; training without it (recorded in the card)")
    routine_rows, routine_info = _routine_rows(opts, exclude, len(data.rows)) if kind == "risk" else ([], [])
    return TrainingRows(data, eval_rows, negatives, routine_info, data.rows + negatives.rows + routine_rows, warnings)


def keyword_emergencies(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Which texts the built-in keyword rules divert to 999: (with a time cue saying now,
    with no time cue at all). The second kind needs the model's corroboration in the core."""
    from switchboard.plugins.risk_keywords.plugin import RULES_DIR, build_matcher
    from switchboard.types import RiskLevel

    matcher, _files = build_matcher([RULES_DIR])
    now = np.zeros(len(texts), dtype=bool)
    bare = np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        for sig in matcher.assess(text):
            if sig.level is RiskLevel.IMMEDIATE:
                if sig.context:
                    now[i] = True
                else:
                    bare[i] = True
    return now, bare & ~now


def immediate_thresholds(
    opts: TrainOptions, p_imm: np.ndarray, positive: np.ndarray, keyword_now: np.ndarray, keyword_bare: np.ndarray,
) -> tuple[float, float]:
    """(the threshold at which the model alone reaches the recall target, the lowest threshold at
    which the system keeps its false diversions within the budget) on out-of-fold scores of the
    project's rows; the card's ``immediate`` threshold is the higher of the two."""
    t_recall = M.choose_threshold(p_imm, positive, opts.target_recall)
    t_budget = M.system_budget_threshold(
        p_imm, ~positive, keyword_now, keyword_bare, opts.keyword_floor, opts.max_false_diversion,
        floor_now=opts.keyword_floor_now,
    )
    return t_recall, t_budget


def _model_description(model: Any) -> dict[str, Any]:
    """The card's ``model`` entry: what was fitted, and for a model that reads context-cue tags,
    the sha256 of the lexicon they come from (checked when the model is loaded)."""
    preprocessor = preprocessor_of(model)
    described: dict[str, Any] = {
        "features": "tfidf word 1-2 + char_wb 2-5 (sublinear tf)",
        "classifier": "LogisticRegression (newton-cg)", "C": main_pipeline(model).named_steps["clf"].C,
        "class_weight": "balanced",
        "preprocessor": preprocessor,
    }
    if hasattr(model, "estimators_"):
        alpha = model.estimators_[-1].named_steps["clf"].alpha
        described["classifier"] = ("soft vote: LogisticRegression (newton-cg) over word 1-2 + char_wb 2-5, "
                                   f"MultinomialNB (alpha {alpha}) over word 1-3")
    if preprocessor == "prepare_cued":
        described["context_cues"] = list(CUE_TAGS)
        described["cue_version"] = CUE_VERSION
        described["cue_lexicon_sha256"] = cue_lexicon_sha256()
    return described


def train(opts: TrainOptions) -> TrainResult:
    """Train, evaluate and write one model folder.

    :raises DataProblems: listing every problem in the input (nothing is written).
    :raises DataError: for an unusable output folder or negatives file.
    """
    from threadpoolctl import threadpool_limits

    # BLAS threads fight each other (and other processes) on small sparse problems: one is faster.
    with threadpool_limits(limits=1):
        return _train(opts)


def _train(opts: TrainOptions) -> TrainResult:
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedGroupKFold

    kind = opts.kind
    if kind not in ("risk", "intent"):
        raise DataError(kind, "kind must be 'risk' or 'intent'")
    labels = labels_for(kind, opts.extra_labels)
    if opts.out is not None and opts.out.exists() and (not opts.out.is_dir() or any(opts.out.iterdir())):
        raise DataError(str(opts.out), "output folder exists and is not empty (choose a new --out folder)")

    category_column = opts.category_column if kind == "risk" else None
    assembled = training_rows(opts, labels)
    data, eval_rows, negatives, rows = assembled.data, assembled.eval_rows, assembled.negatives, assembled.rows
    warnings, routine_info = assembled.warnings, assembled.routine_info
    texts = [r.text for r in rows]
    y = np.asarray([r.label for r in rows])

    counts = Counter(y.tolist())
    folds = max(2, min(opts.folds, min(counts.values())))
    # Scripted noisy copies of a message stay in its fold (see variant_group).
    cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0)
    groups = [variant_group(t) for t in texts]
    with_c = {} if opts.C is None else {"C": opts.C}
    base = make_risk_model(**with_c) if kind == "risk" else make_pipeline(**with_c)
    classes = sorted(counts)
    oof = np.zeros((len(rows), len(classes)))
    text_arr = np.asarray(texts, dtype=object)
    for train_idx, test_idx in _progress(list(cv.split(text_arr, y, groups)), opts.progress, desc=f"cross-validating ({folds} folds)"):
        model = clone(base).fit(text_arr[train_idx], y[train_idx])
        proba = model.predict_proba(text_arr[test_idx])
        fold_classes = [str(c) for c in model.classes_]
        for j, c in enumerate(fold_classes):
            oof[test_idx, classes.index(c)] = proba[:, j]

    thresholds: dict[str, float] = {}
    threshold_policy = ""
    keyword_layer: dict[str, Any] | None = None
    if kind == "risk":
        if "immediate" in classes:
            # Reach the recall target, but never flag more than the false-diversion budget of
            # non-emergencies on CV: the keyword rules are the other safety layer, and the gate
            # judges the two together.
            p_imm = M.cumulative_scores(oof, classes, "immediate")
            # Recall and budget are measured on the project's own labelled rows only: the public
            # negatives and routine intent rows are easy, and counting them would let far more
            # false diversions through on the hard cases that matter.
            own = slice(0, len(data.rows))
            keyword_now, keyword_bare = (
                keyword_emergencies([r.text for r in data.rows]) if opts.with_keywords
                else (np.zeros(len(data.rows), dtype=bool),) * 2
            )
            if opts.with_keywords:
                layer = keyword_now | keyword_bare
                own_imm = y[own] == "immediate"
                keyword_layer = {
                    "rules": "built-in keyword rules (plugins/risk_keywords/rules)",
                    "corroboration_floor": opts.keyword_floor,
                    "corroboration_floor_now": opts.keyword_floor_now,
                    "recall_alone": round(float(layer[own_imm].mean()), 4) if own_imm.any() else None,
                    "false_diversion_alone": round(float(layer[~own_imm].mean()), 4) if (~own_imm).any() else None,
                }
            # The model must reach the recall target by itself (the rules were written with these
            # rows in view, so their recall here flatters them); the false-diversion budget is the
            # system's: what the rules already divert is counted against it.
            t_recall, t_budget = immediate_thresholds(opts, p_imm[own], y[own] == "immediate", keyword_now, keyword_bare)
            thresholds["immediate"] = round(max(t_recall, t_budget), 6)
            system = "keyword rules + model" if opts.with_keywords else "model alone"
            threshold_policy = (
                f"immediate (CV on the project's rows): model recall target {opts.target_recall} "
                f"(threshold {t_recall:.4f})"
                + (f" capped by the false-diversion budget {opts.max_false_diversion} of the {system} "
                   f"(threshold {t_budget:.4f})" if t_budget > t_recall else "")
            )
        if "high" in classes:
            thresholds["high"] = round(
                M.choose_threshold(
                    M.cumulative_scores(oof, classes, "high"), np.isin(y, ("high", "immediate")), opts.target_human_recall
                ),
                6,
            )
        thresholds["elevated"] = 0.5
    cv_metrics = M.compute_metrics(kind, y.tolist(), oof, classes, thresholds)

    with _progress(None, opts.progress, total=1, desc="fitting final model") as bar:
        pipeline = clone(base).fit(text_arr, y)
        bar.update(1)
    category_pipeline = None
    category_counts: dict[str, int] = {}
    if kind == "risk":
        cat_rows = [(r.text, r.category) for r in data.rows if r.label != "none" and r.category and r.category != "none"]
        category_counts = dict(Counter(c for _t, c in cat_rows))
        if len(category_counts) >= 2:
            from sklearn.pipeline import Pipeline

            features = main_pipeline(pipeline).named_steps["features"]
            head = make_classifier(**with_c)
            head.fit(features.transform([t for t, _c in cat_rows]), [c for _t, c in cat_rows])
            category_pipeline = Pipeline([("features", features), ("clf", head)])

    eval_metrics = None
    if eval_rows:
        eval_proba = pipeline.predict_proba([r.text for r in eval_rows])
        eval_metrics = M.compute_metrics(kind, [r.label for r in eval_rows], eval_proba, classes, thresholds)

    created = datetime.now(timezone.utc)
    neg_info = [s.__dict__ for s in negatives.sources]
    data_sha, data_files = _data_sha(list(opts.data), neg_info)

    # Write into a temporary folder, then move into place: never a half-written model.
    final_parent = opts.out.parent if opts.out is not None else kind_dir(opts.models_dir, kind)
    final_parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".training-", dir=final_parent))
    try:
        import joblib

        bundle = {"format": ARTEFACT_FORMAT, "kind": kind, "pipeline": pipeline, "category_pipeline": category_pipeline}
        joblib.dump(bundle, tmp / MODEL_FILE)
        artefact_sha = sha256_file(tmp / MODEL_FILE)
        version = f"{kind}-{created.strftime('%Y%m%d-%H%M%S')}-{artefact_sha[:8]}"
        card: dict[str, Any] = {
            "version": version,
            "kind": kind,
            "created_at": created.isoformat(timespec="seconds"),
            "artefact": MODEL_FILE,
            "artefact_sha256": artefact_sha,
            "training_data_sha256": data_sha,
            "training_data": [
                {**entry, "rows": sum(1 for r in data.rows if r.file == str(entry["path"]))} for entry in data_files
            ],
            "negatives": neg_info,
            "routine_examples": routine_info,
            "label_counts": dict(sorted(counts.items())),
            "category_counts": dict(sorted(category_counts.items())),
            "classes": classes,
            "category_classes": [str(c) for c in category_pipeline.classes_] if category_pipeline is not None else [],
            "columns": {"text": opts.text_column, "label": opts.label_column,
                        "category": category_column if category_counts else None},
            "thresholds": thresholds,
            "targets": {"immediate_recall": opts.target_recall, "human_recall": opts.target_human_recall,
                        "max_false_diversion": opts.max_false_diversion}
            if kind == "risk" else {},
            "threshold_policy": threshold_policy,
            "keyword_layer": keyword_layer,
            "cross_validation": {"folds": folds, "summary": cv_metrics["summary"], "per_class": cv_metrics["per_class"]},
            "evaluation": (
                {"files": [str(p) for p in opts.eval_paths], "summary": eval_metrics["summary"],
                 "per_class": eval_metrics["per_class"]}
                if eval_metrics else None
            ),
            "model": _model_description(pipeline),
            "versions": library_versions(),
            "git_commit": git_commit(),
            "warnings": warnings,
        }
        (tmp / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        report = Report(
            title=f"{kind} model {version}",
            model_info={k: card[k] for k in ("version", "created_at", "label_counts", "thresholds", "training_data_sha256",
                                             "git_commit", "versions")}
            | {"negatives": [f"{s.path}: {s.rows} rows" if s.found else f"{s.path}: not found" for s in negatives.sources]},
            notes=warnings,
        )
        report.sections.append(
            EvalSection(f"Cross-validation ({folds} folds, out-of-fold predictions)", kind, version, texts,
                        y.tolist(), oof, classes, cv_metrics, [r.where if r.line else r.file for r in rows])
        )
        if eval_metrics is not None:
            report.sections.append(
                EvalSection("Evaluation set (model alone, card thresholds)", kind, version, [r.text for r in eval_rows],
                            [r.label for r in eval_rows], eval_proba, classes, eval_metrics, [r.where for r in eval_rows])
            )
        (tmp / REPORT_FILE).write_text(render(report), encoding="utf-8")
        target = opts.out if opts.out is not None else kind_dir(opts.models_dir, kind) / version
        if target.exists():
            target.rmdir()  # empty (checked above)
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return TrainResult(model_dir=target, card=card, warnings=warnings)

