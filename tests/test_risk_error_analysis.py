"""bench/risk_error_analysis.py's aggregate modes never print a held-out message, and their
figures (recall, false diversion, which layer diverted) are right on hand-made outcomes."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "risk_error_analysis.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("risk_error_analysis", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def _outcome(bench, label: str, level: str, why: str):
    row = {"text": "t", "label": label, "category": "other" if label != "none" else "none", "kind": "plain"}
    return bench.Outcome(row, level, level == "immediate", level in ("high", "immediate"), why)


def test_figures_and_diversion_sources(bench, capsys) -> None:
    outcomes = [
        _outcome(bench, "immediate", "immediate", "risk_ml:ml=immediate"),
        _outcome(bench, "immediate", "immediate", "risk_ml:ml=immediate; risk_keywords:vw.knife=immediate[knife]"),
        _outcome(bench, "immediate", "high", "risk_ml:ml=high"),  # missed, still reaches a person
        _outcome(bench, "none", "immediate", "risk_keywords:ttl.kill=immediate[kill]"),  # a false diversion
        _outcome(bench, "high", "high", "risk_keywords:da.x=high[x]"),
        _outcome(bench, "none", "none", ""),
    ]
    f = bench.figures(outcomes)
    assert f["emergency_recall"] == pytest.approx(2 / 3)
    assert f["false_diversion"] == pytest.approx(1 / 3)
    assert f["human_recall"] == pytest.approx(1.0)
    bench.print_figures("T", outcomes)
    out = capsys.readouterr().out
    assert "false diversions by source: rules only 1, model only 0, both 0" in out
    # 2 of 3 emergencies: the Wilson interval is wide and contains 2/3
    assert "emergency recall 2/3 [0.208, 0.939]" in out
    assert "true diversions by source: rules only 0, model only 1, both 1" in out


def _write(path: Path, texts: list[tuple[str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label", "category", "kind"])
        for text, label, category in texts:
            w.writerow([text, label, category, "tricky_positive" if label != "none" else "hard_negative"])
    return path


def test_aggregate_modes_never_print_a_message(bench, tmp_path, monkeypatch, capsys, sb_dispatcher) -> None:
    from switchboard.training import paths

    # every kind of row an error listing would show: a hit, a missed emergency, a false diversion
    secret = [
        ("zebracorn says he is outside with a knife right now", "immediate", "violence_weapons"),
        ("quillfeather blorp flimflam wibble", "immediate", "other"),
        ("marmalith he is outside my door with a knife right now", "none", "none"),
        ("velvetrope wants to know the opening hours of the station", "high", "stalking_harassment"),
    ]
    evaluation = _write(tmp_path / "eval.csv", secret[:2])
    holdout = _write(tmp_path / "holdout.csv", secret[2:])
    monkeypatch.setitem(paths.DEFAULT_EVAL, "risk", evaluation)
    monkeypatch.setattr(bench, "HOLDOUT_CSV", holdout)
    dispatcher = sb_dispatcher()  # keyword rules and the other built-ins, no trained model: fast
    monkeypatch.setattr(bench, "combined_outcomes_many",
                        lambda sets, folds: [bench.dispatcher_outcomes(dispatcher, rows) for rows in sets])
    bench.eval_aggregate(2, evaluation=True, holdout=True)
    out = capsys.readouterr().out
    assert "== EVAL combined triage" in out and "== HOLDOUT combined triage" in out
    assert "emergency recall" in out and "per category" in out
    for text, _label, _category in secret:
        assert text.split()[0] not in out  # no message, not even its first word


def test_the_development_mode_refuses_the_held_out_sets(bench) -> None:
    from switchboard.training.paths import DEFAULT_EVAL

    with pytest.raises(SystemExit, match="never reads the evaluation or hold-out set"):
        bench.dev_paths([DEFAULT_EVAL["risk"]])
    with pytest.raises(SystemExit, match="never reads the evaluation or hold-out set"):
        bench.dev_paths([bench.HOLDOUT_CSV])
