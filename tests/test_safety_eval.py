"""The project's safety evaluation: the DEFAULT models (trained from training/data) plus the
keyword rules, through the full first-message triage, on the project's own held-out sets: the
evaluation set (training/data/eval/) and the blind hold-out set (training/data/holdout/), both
written by authors who never saw the training data or the rules, never trained on, never read.

Targets (issue 3): emergency recall >= 0.98, false diversion of non-emergencies <= 5%, recall of
must-reach-a-human cases >= 0.90; first-message intent accuracy >= 0.85 (clarify counts as wrong).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.training.gate import (
    MAX_FALSE_DIVERSION,
    MIN_EMERGENCY_RECALL,
    MIN_HUMAN_RECALL,
    intent_accuracy,
    read_rows,
    triage_figures,
)
from switchboard.training.paths import DEFAULT_EVAL, DEFAULT_HOLDOUT, DEFAULT_TRAIN, INTENT_LABELS, RISK_LABELS

pytestmark = pytest.mark.slow

MIN_INTENT_ACCURACY = 0.85


@pytest.fixture(scope="session")
def default_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not DEFAULT_TRAIN["risk"].is_file():
        pytest.skip(f"{DEFAULT_TRAIN['risk']} does not exist yet (the training data is being written)")
    from switchboard.training.defaults import train_default
    from switchboard.training.registry import GateResult, promote

    models_dir = tmp_path_factory.mktemp("default-models")
    for kind in ("risk", "intent"):
        if not DEFAULT_TRAIN[kind].is_file():
            continue
        result = train_default(kind, models_dir)
        # Measured below, through the same triage path the gate uses.
        promote(models_dir, str(result.model_dir), lambda k, f: GateResult(True, {}), kind=kind)
    return models_dir


@pytest.fixture(scope="session")
def default_dispatcher(default_registry: Path):
    from switchboard.training.gate import make_dispatcher

    return make_dispatcher(None, default_registry)


def test_default_models_load_in_the_triage_path(default_dispatcher) -> None:
    versions = default_dispatcher.model_versions()
    assert versions.get("risk", "").startswith("risk-")
    health = {h.component: h.status for h in default_dispatcher.health()}
    assert health.get("risk_ml") == "ok"


HELD_OUT = {"evaluation": DEFAULT_EVAL["risk"], "holdout": DEFAULT_HOLDOUT}
#: (set, figure) pairs known to miss their target, with the measured figures as the reason: the test
#: still asserts the target and is reported as an expected failure until the figure meets it.
NOT_YET_MET: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module", params=sorted(HELD_OUT))
def risk_figures(request, default_dispatcher) -> dict:
    path = HELD_OUT[request.param]
    if not path.is_file():
        pytest.skip(f"{path} does not exist yet")
    figures = triage_figures(default_dispatcher, read_rows(path, RISK_LABELS))
    # Figures only: the held-out texts are never printed (people tuning rules or data must not
    # read them; `bench/risk_error_analysis.py --eval-aggregate --holdout-aggregate` breaks the
    # figures down by kind and category).
    print(
        f"\nsafety evaluation ({path.name}, {figures['n_immediate']} immediate, {figures['n_non_immediate']} other): "
        f"emergency recall {figures['emergency_recall']:.3f}, false diversion {figures['false_diversion']:.3f}, "
        f"must-reach-a-human recall {figures['human_recall']:.3f}; "
        f"{len(figures['missed_emergencies'])} missed emergencies, {len(figures['false_diversions'])} false diversions"
    )
    figures["set"] = request.param
    return figures


def _expect(request, figures: dict, figure: str) -> None:
    reason = NOT_YET_MET.get((figures["set"], figure))
    if reason:
        request.applymarker(pytest.mark.xfail(strict=False, reason=reason))


def test_emergency_recall_on_the_held_out_sets(request, risk_figures) -> None:
    _expect(request, risk_figures, "emergency_recall")
    assert risk_figures["emergency_recall"] >= MIN_EMERGENCY_RECALL


def test_false_diversion_on_the_held_out_sets(request, risk_figures) -> None:
    _expect(request, risk_figures, "false_diversion")
    assert risk_figures["false_diversion"] <= MAX_FALSE_DIVERSION


def test_reaching_a_person_on_the_held_out_sets(request, risk_figures) -> None:
    _expect(request, risk_figures, "human_recall")
    assert risk_figures["human_recall"] >= MIN_HUMAN_RECALL


def test_first_message_intent_accuracy(default_dispatcher) -> None:
    path = DEFAULT_EVAL["intent"]
    if not path.is_file() or not DEFAULT_TRAIN["intent"].is_file():
        pytest.skip(f"{path} or {DEFAULT_TRAIN['intent']} does not exist yet")
    result = intent_accuracy(default_dispatcher, read_rows(path, INTENT_LABELS))
    print(f"\nintent evaluation ({path.name}, {result['n']} messages): accuracy {result['accuracy']:.3f}")
    from collections import Counter

    for (label, got), n in Counter((label, got) for _text, label, got in result["wrong"]).most_common(10):
        print(f"  {label} -> {got}: {n}")  # counts only: evaluation texts are never printed
    assert result["accuracy"] >= MIN_INTENT_ACCURACY
