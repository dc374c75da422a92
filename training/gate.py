"""The safety gate: the project's own evaluation set through the FULL first-message triage.

A candidate model is pinned into a fresh :class:`~switchboard.dispatch.Dispatcher` with every
built-in plugin (keyword rules included), and each evaluation message is triaged exactly as the
live chat triages a first message. It passes when

* emergency recall (label ``immediate`` -> emergency diversion) >= 0.98, and
* false diversion (any other label -> emergency diversion) <= 5%.

Must-reach-a-human recall (label ``high``/``immediate`` -> handover) is reported too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

from .paths import DEFAULT_EVAL, RISK_LABELS
from .registry import GateResult

MIN_EMERGENCY_RECALL = 0.98
MAX_FALSE_DIVERSION = 0.05
MIN_HUMAN_RECALL = 0.90


def make_dispatcher(config: str | Path | None, models_dir: Path, pins: dict[str, Path] | None = None) -> Any:
    """A dispatcher with the built-in plugins, reading models from ``models_dir``.

    :param pins: ``{"risk": folder, "intent": folder}`` to serve those models instead of CURRENT.
    """
    from switchboard.config import load_settings
    from switchboard.dispatch import Dispatcher
    from switchboard.plugin_manager import make_plugin_manager

    plugins: dict[str, Any] = {}
    for kind, folder in (pins or {}).items():
        plugins[f"{kind}_ml"] = {"model": str(Path(folder).resolve())}
    overrides: dict[str, Any] = {"models": {"dir": str(Path(models_dir).resolve())}}
    if plugins:
        overrides["plugins"] = plugins
    settings = load_settings(config, overrides=overrides)
    pm = make_plugin_manager(disabled=settings.disabled_plugins)
    return Dispatcher(pm, settings)


def triage_figures(dispatcher: Any, rows: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Emergency recall, false diversion and human recall of ``(text, risk label)`` rows."""
    n_imm = hit_imm = n_non = false_div = n_human = hit_human = 0
    missed: list[str] = []
    diverted: list[str] = []
    for text, label in rows:
        d = dispatcher.triage(text)
        if label == "immediate":
            n_imm += 1
            hit_imm += d.emergency
            if not d.emergency:
                missed.append(text)
        else:
            n_non += 1
            false_div += d.emergency
            if d.emergency:
                diverted.append(text)
        if label in ("high", "immediate"):
            n_human += 1
            hit_human += bool(d.handover or d.emergency)
    return {
        "emergency_recall": round(hit_imm / n_imm, 4) if n_imm else 0.0,
        "false_diversion": round(false_div / n_non, 4) if n_non else 0.0,
        "human_recall": round(hit_human / n_human, 4) if n_human else 0.0,
        "n_immediate": n_imm,
        "n_non_immediate": n_non,
        "n_must_reach_human": n_human,
        "missed_emergencies": missed,
        "false_diversions": diverted,
    }


def intent_accuracy(dispatcher: Any, rows: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """First-message intent accuracy through the dispatcher (asking to clarify counts as wrong)."""
    n = right = 0
    wrong: list[tuple[str, str, str | None]] = []
    for text, label in rows:
        d = dispatcher.triage(text)
        got = d.intent.intent if d.intent is not None and not d.intent.clarify else None
        n += 1
        if got == label:
            right += 1
        else:
            wrong.append((text, label, got))
    return {"accuracy": round(right / n, 4) if n else 0.0, "n": n, "wrong": wrong}


def read_rows(path: Path, labels: Sequence[str]) -> list[tuple[str, str]]:
    from .data_io import read_eval

    data = read_eval(path, labels)
    return [(r.text, r.label) for r in data.rows]


def check(figures: dict[str, Any]) -> tuple[str, ...]:
    failures = []
    if figures["emergency_recall"] < MIN_EMERGENCY_RECALL:
        failures.append(f"emergency recall {figures['emergency_recall']:.3f} < {MIN_EMERGENCY_RECALL}")
    if figures["false_diversion"] > MAX_FALSE_DIVERSION:
        failures.append(f"false diversion {figures['false_diversion']:.3f} > {MAX_FALSE_DIVERSION}")
    return tuple(failures)


def safety_gate(
    kind: str, model_dir: Path, models_dir: Path, config: str | Path | None = None, eval_path: Path | None = None
) -> GateResult:
    """Run the gate for a candidate ``kind`` model in ``model_dir``."""
    path = eval_path or DEFAULT_EVAL["risk"]
    if not Path(path).is_file():
        return GateResult(False, {"eval_file": str(path)}, (f"safety evaluation set {path} not found",))
    rows = read_rows(Path(path), RISK_LABELS)
    dispatcher = make_dispatcher(config, models_dir, {kind: model_dir})
    figures = triage_figures(dispatcher, rows)
    summary = {k: v for k, v in figures.items() if not isinstance(v, list)}
    summary["eval_file"] = str(path)
    summary["model_versions"] = dispatcher.model_versions()
    pinned = summary["model_versions"].get(kind)
    failures = list(check(figures))
    if pinned is None:
        failures.append(f"the {kind} model did not load in the triage path")
    return GateResult(not failures, summary, tuple(failures))
