"""The evaluation report: one self-contained HTML file (charts embedded as base64 PNG).

Sections: the model (version, data, thresholds), headline figures (side by side with the
promoted model when comparing, regressions flagged), per-class metrics, a precision-recall
curve, a confusion matrix, and the misclassified examples (HTML-escaped).
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1b1b1b;max-width:1100px}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}.bad{color:#a00000;font-weight:bold}.good{color:#006400}.num{text-align:right}
.note{color:#555}img{max-width:100%}
"""


@dataclass
class EvalSection:
    """Results of one model on one labelled set."""

    title: str
    kind: str
    version: str
    texts: Sequence[str]
    y_true: Sequence[str]
    proba: np.ndarray
    classes: Sequence[str]
    metrics: Mapping[str, Any]
    sources: Sequence[str] = ()  # "file:line" per row, if known


@dataclass
class Report:
    title: str
    model_info: Mapping[str, Any]
    sections: list[EvalSection] = field(default_factory=list)
    comparison: list[tuple[str, Mapping[str, Any], Mapping[str, Any]]] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _pr_curve(section: EvalSection) -> str:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from sklearn.metrics import average_precision_score, precision_recall_curve

    from .metrics import cumulative_scores

    fig, ax = plt.subplots(figsize=(6, 4.5))
    y = np.asarray(section.y_true)
    curves: list[tuple[str, np.ndarray, np.ndarray]] = []
    if section.kind == "risk":
        for name, positives in (("immediate", ("immediate",)), ("high or above", ("high", "immediate"))):
            at_least = "immediate" if name == "immediate" else "high"
            curves.append((name, np.isin(y, positives), cumulative_scores(section.proba, section.classes, at_least)))
    else:
        for i, c in enumerate(section.classes):
            curves.append((c, y == c, section.proba[:, i]))
    for name, positive, scores in curves:
        if positive.sum() == 0 or positive.all():
            continue
        precision, recall, _ = precision_recall_curve(positive, scores)
        ap = average_precision_score(positive, scores)
        ax.plot(recall, precision, label=f"{name} (AP {ap:.2f})")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1.01)
    ax.set_ylim(0, 1.01)
    ax.set_title("Precision-recall")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    return _png(fig)


def _confusion(section: EvalSection) -> str:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    labels = section.metrics["confusion"]["labels"]
    matrix = np.asarray(section.metrics["confusion"]["matrix"])
    size = max(4.0, 0.55 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size * 0.85))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true label")
    top = matrix.max() if matrix.size else 0
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if top and matrix[i, j] > top / 2 else "black")
    ax.set_title("Confusion matrix")
    return _png(fig)


def _summary_table(summary: Mapping[str, Any]) -> str:
    rows = "".join(f"<tr><th>{_e(k)}</th><td class='num'>{_e(v)}</td></tr>" for k, v in summary.items())
    return f"<table>{rows}</table>"


def _per_class_table(per_class: Mapping[str, Mapping[str, Any]]) -> str:
    head = "<tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>"
    rows = "".join(
        f"<tr><td>{_e(c)}</td><td class='num'>{m['precision']:.3f}</td><td class='num'>{m['recall']:.3f}</td>"
        f"<td class='num'>{m['f1']:.3f}</td><td class='num'>{m['support']}</td></tr>"
        for c, m in per_class.items()
    )
    return f"<table>{head}{rows}</table>"


def _misclassified(section: EvalSection, limit: int = 300) -> str:
    predicted = section.metrics["predicted"]
    order = {"immediate": 0, "high": 1, "elevated": 2, "none": 3}
    wrong = [i for i, (t, p) in enumerate(zip(section.y_true, predicted)) if t != p]
    # The most dangerous mistakes first: missed emergencies, then missed handovers.
    wrong.sort(key=lambda i: (order.get(section.y_true[i], 9), section.y_true[i]))
    col = {c: j for j, c in enumerate(section.classes)}
    rows = []
    for i in wrong[:limit]:
        t, p = section.y_true[i], predicted[i]
        pt = section.proba[i, col[t]] if t in col else float("nan")
        where = section.sources[i] if i < len(section.sources) else ""
        danger = " class='bad'" if t == "immediate" or (section.kind == "risk" and p == "immediate") else ""
        rows.append(
            f"<tr{danger}><td>{_e(where)}</td><td>{_e(t)}</td><td>{_e(p)}</td><td class='num'>{pt:.2f}</td>"
            f"<td>{_e(section.texts[i])}</td></tr>"
        )
    more = f"<p class='note'>{len(wrong) - limit} more not shown.</p>" if len(wrong) > limit else ""
    if not rows:
        return "<p>No misclassified examples.</p>"
    return (
        f"<p>{len(wrong)} of {len(section.y_true)} misclassified.</p><table><tr><th>where</th><th>label</th>"
        f"<th>predicted</th><th>p(label)</th><th>text</th></tr>{''.join(rows)}</table>{more}"
    )


def render(report: Report) -> str:
    """The report as one HTML document."""
    parts = [
        "<!doctype html><html lang='en-GB'><head><meta charset='utf-8'>",
        f"<title>{_e(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(report.title)}</h1>",
    ]
    info = "".join(
        f"<tr><th>{_e(k)}</th><td>{_e(v if not isinstance(v, (dict, list)) else _compact(v))}</td></tr>"
        for k, v in report.model_info.items()
    )
    parts.append(f"<h2>Model</h2><table>{info}</table>")
    for note in report.notes:
        parts.append(f"<p class='note'>{_e(note)}</p>")
    if report.comparison:
        parts.append("<h2>Compared with the promoted model</h2>")
        for title, new, old in report.comparison:
            keys = [k for k in new if k in old]
            rows = "".join(
                f"<tr><th>{_e(k)}</th><td class='num'>{_e(old[k])}</td><td class='num'>{_e(new[k])}</td></tr>"
                for k in keys
            )
            parts.append(f"<h3>{_e(title)}</h3><table><tr><th></th><th>promoted</th><th>this model</th></tr>{rows}</table>")
        if report.regressions:
            items = "".join(f"<li class='bad'>{_e(r)}</li>" for r in report.regressions)
            parts.append(f"<p class='bad'>Regressions:</p><ul>{items}</ul>")
        else:
            parts.append("<p class='good'>No regressions on these figures.</p>")
    for section in report.sections:
        parts.append(f"<h2>{_e(section.title)}</h2>")
        parts.append(_summary_table(section.metrics["summary"]))
        parts.append(_per_class_table(section.metrics["per_class"]))
        parts.append(f"<p><img alt='Precision-recall curve' src='{_pr_curve(section)}'></p>")
        parts.append(f"<p><img alt='Confusion matrix' src='{_confusion(section)}'></p>")
        parts.append("<h3>Misclassified examples</h3>")
        parts.append(_misclassified(section))
    parts.append("</body></html>")
    return "\n".join(parts)


def _compact(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True)
