"""The arithmetic of bench/intent_error_analysis.py (threshold table, per-intent figures), on
hand-made outcomes: the script's training and dispatching are exercised by running it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "intent_error_analysis.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("intent_error_analysis", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def _outcome(bench, label: str, top: str | None, confidence: float):
    return bench.Outcome(text="t", label=label, fold=0, top=top, confidence=confidence, second=None,
                         second_confidence=0.0, top_plugin="intent_ml", rules_intent=None, ml_intent=top,
                         ml_confidence=confidence)


def test_threshold_table_counts_clarifications_as_wrong_and_prices_wrong_routes(bench) -> None:
    outcomes = [
        _outcome(bench, "follow_up", "follow_up", 0.9),  # right at any threshold below 0.9
        _outcome(bench, "fraud_scam", "fraud_scam", 0.4),  # right, but asked about at 0.45
        _outcome(bench, "crime_report", "road_traffic", 0.6),  # a wrong route
        _outcome(bench, "out_of_scope", "general_enquiry", 0.3),  # wrong, asked about at 0.45
    ]
    low, high = bench.threshold_table(outcomes, [0.0, 0.45], wrong_cost=3.0)
    assert low == {"threshold": 0.0, "accuracy": 0.5, "clarify": 0.0, "wrong": 0.5,
                   "answered_precision": 0.5, "cost": 1.5}
    assert high["accuracy"] == 0.25 and high["clarify"] == 0.5 and high["wrong"] == 0.25
    assert high["answered_precision"] == 0.5
    assert high["cost"] == pytest.approx((2 + 3 * 1) / 4)


def test_per_intent_precision_and_recall(bench) -> None:
    outcomes = [
        _outcome(bench, "road_traffic", "road_traffic", 0.9),
        _outcome(bench, "crime_report", "road_traffic", 0.8),
        _outcome(bench, "road_traffic", "road_traffic", 0.2),  # clarified at 0.45
    ]
    rows = {r[0]: r for r in bench.per_intent(outcomes, 0.45)}
    intent, support, precision, recall, _f1 = rows["road_traffic"]
    assert (support, precision, recall) == (2, 0.5, 0.5)
    assert rows["crime_report"][3] == 0.0


def test_refuses_the_evaluation_set(bench, capsys) -> None:
    eval_csv = Path(__file__).resolve().parents[1] / "training" / "data" / "eval" / "intent_eval.csv"
    with pytest.raises(SystemExit):
        bench.main(["--data", str(eval_csv)])
    assert "training data only" in capsys.readouterr().err
