"""``switchboard evaluate``: a model on any labelled file, side by side with the promoted one."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from switchboard.plugins.risk_ml.artefact import LoadedModel, load_current, load_model

from . import metrics as M
from .data_io import read_eval
from .paths import labels_for
from .report import EvalSection, Report, render

#: Summary figures shown side by side.
RISK_KEYS = ("n", "emergency_recall", "false_diversion", "human_recall", "accuracy")
INTENT_KEYS = ("n", "accuracy", "macro_f1")


@dataclass
class Evaluation:
    model: LoadedModel
    metrics: dict[str, Any]
    against: LoadedModel | None = None
    against_metrics: dict[str, Any] | None = None
    regressions: list[str] = field(default_factory=list)
    report_path: Path | None = None


def _score(model: LoadedModel, texts: list[str]) -> Any:
    return model.pipeline.predict_proba(texts)


def evaluate(
    model_dir: Path,
    data: Path,
    models_dir: Path,
    against: str | None = "current",
    report_path: Path | None = None,
    text_column: str = "text",
    label_column: str = "label",
) -> Evaluation:
    """Evaluate ``model_dir`` on ``data`` (and the promoted model if ``against == "current"``,
    or another model folder), write the HTML report and return the figures.

    :raises ModelLoadError: a model does not verify.
    :raises DataProblems: the data file has problems.
    """
    model = load_model(model_dir)
    kind = model.kind
    rows = read_eval(data, labels_for(kind, tuple(model.fast.classes)), text_column, label_column).rows
    texts = [r.text for r in rows]
    y = [r.label for r in rows]
    proba = _score(model, texts)
    result = Evaluation(model, M.compute_metrics(kind, y, proba, model.fast.classes, model.thresholds))
    other: LoadedModel | None = None
    if against == "current":
        try:
            other = load_current(models_dir, kind)
        except Exception:  # noqa: BLE001 - nothing promoted (or broken): nothing to compare with
            other = None
    elif against and against != "none":
        other = load_model(Path(against), kind)
    other_proba = None
    if other is not None:
        other_proba = _score(other, texts)
        result.against = other
        result.against_metrics = M.compute_metrics(kind, y, other_proba, other.fast.classes, other.thresholds)
        result.regressions = M.regressions(kind, result.metrics, result.against_metrics)

    keys = RISK_KEYS if kind == "risk" else INTENT_KEYS
    report = Report(
        title=f"Evaluation of {model.version} on {Path(data).name}",
        model_info={"version": model.version, "data": str(data), "thresholds": dict(model.thresholds),
                    "compared with": other.version if other else "(nothing promoted)"},
    )
    if other is not None and result.against_metrics is not None:
        report.comparison.append((
            "Headline figures",
            {k: result.metrics["summary"].get(k) for k in keys},
            {k: result.against_metrics["summary"].get(k) for k in keys},
        ))
        if kind == "intent":
            report.comparison.append((
                "F1 per intent",
                {c: m["f1"] for c, m in result.metrics["per_class"].items()},
                {c: m["f1"] for c, m in result.against_metrics["per_class"].items()},
            ))
        report.regressions = result.regressions
    sources = [r.where for r in rows]
    report.sections.append(EvalSection(f"{model.version} (this model)", kind, model.version, texts, y, proba,
                                       model.fast.classes, result.metrics, sources))
    if other is not None and other_proba is not None and result.against_metrics is not None:
        report.sections.append(EvalSection(f"{other.version} (promoted)", kind, other.version, texts, y, other_proba,
                                           other.fast.classes, result.against_metrics, sources))
    path = report_path or (Path(model_dir) / f"evaluation-{Path(data).stem}.html")
    path.write_text(render(report), encoding="utf-8")
    result.report_path = path
    return result


def summary_lines(result: Evaluation) -> list[str]:
    """A plain-text side-by-side table for the terminal."""
    kind = result.model.kind
    keys = RISK_KEYS if kind == "risk" else INTENT_KEYS
    lines = [f"{'':24} {'this model':>14} {'promoted':>14}",
             f"{'version':24} {result.model.version[-14:]:>14} {(result.against.version[-14:] if result.against else '-'):>14}"]
    for k in keys:
        new = result.metrics["summary"].get(k)
        old = result.against_metrics["summary"].get(k) if result.against_metrics else None
        lines.append(f"{k:24} {_fmt(new):>14} {_fmt(old):>14}")
    if kind == "intent":
        for label, m in result.metrics["per_class"].items():
            old = result.against_metrics["per_class"].get(label, {}).get("f1") if result.against_metrics else None
            lines.append(f"{'F1 ' + label:24} {_fmt(m['f1']):>14} {_fmt(old):>14}")
    for r in result.regressions:
        lines.append(f"REGRESSION: {r}")
    if result.against is not None and not result.regressions:
        lines.append("no regressions")
    return lines


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
