"""The data team's commands: clear one-line errors (exit 2), train, evaluate, promote, rollback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from switchboard.cli import main
from switchboard.training.registry import read_history
from switchboard.training.testing import INTENT_ROWS, RISK_ROWS, tiny_registry, write_csv


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    return tiny_registry(tmp_path_factory.getbasetemp() / "sb-tiny")


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_data_problem_is_one_line_naming_file_and_row(tmp_path, capsys):
    rows = [(t, l, c) for t, l, c in RISK_ROWS]
    rows[3] = ("   ", "immediate", "violence_weapons")  # line 5: empty text
    rows[5] = (rows[5][0], "urgent", "self_harm")  # line 7: unknown label
    rows[6] = (rows[6][0], "", "self_harm")  # line 8: missing label
    rows.append((RISK_ROWS[0][0].upper(), "immediate", "violence_weapons"))  # exact duplicate of line 2
    rows.append((RISK_ROWS[1][0] + "!!!", "immediate", "violence_weapons"))  # near duplicate of line 3
    rows.append((RISK_ROWS[30][0], "high", "other"))  # same text as line 32, other label
    data = write_csv(tmp_path / "train.csv", ["text", "label", "category"], rows)
    evalset = write_csv(tmp_path / "eval.csv", ["text", "label"], [(RISK_ROWS[10][0], "immediate")])
    code, out, err = _run(capsys, "train", "risk", "--data", str(data), "--eval", str(evalset),
                          "--models-dir", str(tmp_path / "models"), "--folds", "2")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert lines[0].startswith("switchboard: error: ") and "nothing was written" in lines[0]
    body = [line.strip() for line in lines[1:]]
    name = str(data)
    n = len(RISK_ROWS)
    assert f"{name}:5: empty text" in body
    assert f"{name}:7: unknown label 'urgent'" in body
    assert f"{name}:8: missing label" in body
    assert f"{name}:{n + 2}: exact duplicate of {name}:2" in body
    assert any(b.startswith(f"{name}:{n + 3}: near duplicate of {name}:3") for b in body)
    assert f"{name}:{n + 4}: same text as {name}:32 but labelled 'high' here and 'none' there" in body
    assert f"{name}:12: also in the evaluation set at {evalset}:2 (remove it from one of them)" in body
    assert "Traceback" not in err
    assert not (tmp_path / "models").exists()


@pytest.mark.parametrize(
    "content, expected",
    [
        (None, "file not found"),
        (b"words,label\nhello,none\n", "no 'text' column (columns: words, label)"),
        (b"text,label\n\xff\xfe broken,none\n", "not UTF-8 text"),
    ],
)
def test_unreadable_or_wrong_column_files_are_clear_errors(tmp_path, capsys, content, expected):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_bytes(content)
    code, _out, err = _run(capsys, "train", "intent", "--data", str(path), "--no-eval",
                           "--models-dir", str(tmp_path / "m"))
    assert code == 2
    assert f"{path}: {expected}" in err
    assert "Traceback" not in err


def test_train_from_jsonl_and_parquet_with_custom_columns(tmp_path, capsys):
    import pandas as pd

    half = len(INTENT_ROWS) // 2
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text("".join(json.dumps({"message": t, "route": l}) + "\n" for t, l in INTENT_ROWS[:half]))
    parquet = tmp_path / "b.parquet"
    pd.DataFrame({"message": [t for t, _ in INTENT_ROWS[half:]], "route": [l for _, l in INTENT_ROWS[half:]]}).to_parquet(parquet)
    out_dir = tmp_path / "model"
    code, out, err = _run(capsys, "train", "intent", "--data", str(jsonl), "--data", str(parquet), "--out", str(out_dir),
                          "--text-column", "message", "--label-column", "route", "--no-eval", "--folds", "2",
                          "--models-dir", str(tmp_path / "registry"))
    assert code == 0, err
    card = json.loads((out_dir / "card.json").read_text())
    assert sum(card["label_counts"].values()) == len(INTENT_ROWS)
    assert [d["rows"] for d in card["training_data"]] == [half, len(INTENT_ROWS) - half]
    report = (out_dir / "report.html").read_text()
    assert report.count("data:image/png;base64,") >= 2 and "<script" not in report
    assert f"promote with: switchboard models promote {out_dir}" in out


def test_report_escapes_misclassified_text(tmp_path, capsys):
    rows = list(INTENT_ROWS) + [("<script>alert('x')</script> my bin", "out_of_scope"),
                                ("<b>lost</b> my dog's lead", "lost_found_property")]
    data = write_csv(tmp_path / "t.csv", ["text", "label"], rows)
    code, _out, err = _run(capsys, "train", "intent", "--data", str(data), "--out", str(tmp_path / "m"), "--no-eval",
                           "--folds", "2", "--models-dir", str(tmp_path / "r"))
    assert code == 0, err
    html = (tmp_path / "m" / "report.html").read_text()
    assert "<script>" not in html
    assert "Misclassified examples" in html


def test_missing_negatives_are_recorded_in_the_card(tmp_path, capsys):
    data = write_csv(tmp_path / "t.csv", ["text", "label"], INTENT_ROWS)
    code, _out, err = _run(capsys, "train", "intent", "--data", str(data), "--out", str(tmp_path / "m"), "--no-eval",
                           "--folds", "2", "--negatives", str(tmp_path / "nope" / "data_full.json"),
                           "--models-dir", str(tmp_path / "r"))
    assert code == 0
    assert "not found; training without it" in err
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    assert card["negatives"][0]["found"] is False


def test_evaluate_side_by_side_flags_regressions(tiny, tmp_path, capsys):
    data = write_csv(tmp_path / "holdout.csv", ["text", "label"], [(t, l) for t, l, _c in RISK_ROWS])
    report = tmp_path / "eval.html"
    code, out, err = _run(capsys, "evaluate", "--model", str(tiny.risk_v2), "--data", str(data),
                          "--models-dir", str(tiny.models_dir), "--report", str(report))
    assert code == 0, err
    assert "emergency_recall" in out and "false_diversion" in out
    assert tiny.risk_v1.name[-14:] in out  # the promoted model's column
    html = report.read_text()
    assert "Compared with the promoted model" in html and tiny.risk_v1.name in html


def test_evaluate_refuses_a_tampered_model(tiny, tmp_path, capsys):
    folder = tmp_path / "m"
    shutil.copytree(tiny.risk_v1, folder)
    (folder / "model.joblib").write_bytes((folder / "model.joblib").read_bytes() + b"\0")
    data = write_csv(tmp_path / "d.csv", ["text", "label"], [("hello", "none"), ("knife now", "immediate")])
    code, _out, err = _run(capsys, "evaluate", "--model", str(folder), "--data", str(data),
                           "--models-dir", str(tiny.models_dir))
    assert code == 2
    assert err.startswith(f"switchboard: error: {folder / 'model.joblib'}: sha256")
    assert len(err.strip().splitlines()) == 1


def test_promote_refuses_a_model_failing_the_gate_then_forced_is_recorded_and_rollback(tiny, tmp_path, capsys, monkeypatch):
    models = tmp_path / "models"
    shutil.copytree(tiny.models_dir, models)
    # An evaluation set no model can pass: emergencies written in words nobody has seen.
    gate_set = write_csv(tmp_path / "gate.csv", ["text", "label"],
                         [("zqx vlorp gwint", "immediate"), ("plinth wobble sprocket", "immediate"),
                          ("i lost my wallet in town yesterday", "none")])
    code, _out, err = _run(capsys, "models", "promote", tiny.risk_v2.name, "--eval", str(gate_set),
                           "--models-dir", str(models))
    assert code == 2
    assert "refused: fails the safety gate (emergency recall 0.000 < 0.98" in err
    assert (models / "risk" / "CURRENT").read_text().strip() == tiny.risk_v1.name

    code, _out, err = _run(capsys, "models", "promote", tiny.risk_v2.name, "--eval", str(gate_set), "--force",
                           "--models-dir", str(models))
    assert code == 2 and "needs --reason" in err

    monkeypatch.setenv("USER", "data-team-tester")
    code, out, err = _run(capsys, "models", "promote", tiny.risk_v2.name, "--eval", str(gate_set), "--force",
                          "--reason", "urgent fix for new scam wording", "--models-dir", str(models))
    assert code == 0, err
    assert "FORCED promotion" in err
    assert (models / "risk" / "CURRENT").read_text().strip() == tiny.risk_v2.name
    last = read_history(models, "risk")[-1]
    assert last["forced"] is True and last["reason"] == "urgent fix for new scam wording"
    assert last["who"] == "data-team-tester" and last["previous"] == tiny.risk_v1.name
    assert last["gate"]["figures"]["emergency_recall"] == 0.0

    code, out, _err = _run(capsys, "models", "list", "--kind", "risk", "--models-dir", str(models))
    assert f"* {tiny.risk_v2.name}" in out and f"  {tiny.risk_v1.name}" in out

    code, out, err = _run(capsys, "models", "rollback", "--kind", "risk", "--models-dir", str(models))
    assert code == 0, err
    assert (models / "risk" / "CURRENT").read_text().strip() == tiny.risk_v1.name
    assert read_history(models, "risk")[-1]["action"] == "rollback"
    code, _out, err = _run(capsys, "models", "rollback", "--kind", "risk", "--models-dir", str(models))
    assert code == 2 and "no earlier promoted risk model to roll back to" in err


def test_promote_refuses_a_tampered_model_even_when_forced(tiny, tmp_path, capsys):
    folder = tmp_path / "m"
    shutil.copytree(tiny.risk_v2, folder)
    (folder / "model.joblib").write_bytes(b"not a model")
    code, _out, err = _run(capsys, "models", "promote", str(folder), "--force", "--reason", "x",
                           "--models-dir", str(tmp_path / "reg"))
    assert code == 2 and "sha256" in err
    assert not (tmp_path / "reg" / "risk" / "CURRENT").exists()


def test_ensure_defaults_trains_once_and_records_a_failed_gate_as_forced(tmp_path, monkeypatch):
    from switchboard.training import defaults
    from switchboard.training.registry import GateResult

    risk = write_csv(tmp_path / "risk.csv", ["text", "label", "category"], RISK_ROWS)
    intent = write_csv(tmp_path / "intent.csv", ["text", "label"], INTENT_ROWS)
    monkeypatch.setattr(defaults, "DEFAULT_TRAIN", {"risk": risk, "intent": intent})
    monkeypatch.setattr(defaults, "DEFAULT_EVAL", {"risk": tmp_path / "none.csv", "intent": tmp_path / "none.csv"})
    monkeypatch.setattr(defaults, "DEFAULT_NEGATIVES", (tmp_path / "missing" / "labeled_data.csv",))
    gates: list[str] = []

    def gate(kind, folder):
        gates.append(kind)
        if kind == "risk":
            return GateResult(False, {"emergency_recall": 0.5}, ("emergency recall 0.500 < 0.98",))
        return GateResult(True, {"emergency_recall": 1.0})

    warnings: list[str] = []
    models = tmp_path / "models"
    records = defaults.ensure_defaults(models, gate, folds=2, say=lambda s: None, warn=warnings.append)
    assert [r["kind"] for r in records] == ["risk", "intent"] and gates == ["risk", "intent"]
    assert records[0]["forced"] is True and "emergency recall 0.500 < 0.98" in records[0]["reason"]
    assert records[1]["forced"] is False
    assert any("FAILED the safety gate" in w for w in warnings)
    assert (models / "risk" / "CURRENT").read_text().strip() == records[0]["version"]
    # Routine intents from the intent file taught the risk model 'none' (recorded in the card).
    card = json.loads((models / "risk" / records[0]["version"] / "card.json").read_text())
    assert card["routine_examples"][0]["rows"] > 0
    # Second run: models are promoted and load, nothing is trained again.
    assert defaults.ensure_defaults(models, gate, folds=2, say=lambda s: None, warn=warnings.append) == []
    assert gates == ["risk", "intent"]


def test_the_false_diversion_budget_counts_what_the_keyword_rules_already_divert():
    import numpy as np

    from switchboard.training.metrics import budget_threshold, system_budget_threshold

    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.01])
    negative = np.ones(10, dtype=bool)
    none = np.zeros(10, dtype=bool)
    # no keyword hits: the model alone may divert 2 of 10
    assert system_budget_threshold(scores, negative, none, none, 0.05, 0.2) == budget_threshold(scores, negative, 0.2)
    assert 0.7 < budget_threshold(scores, negative, 0.2) <= 0.8 + 1e-9
    # a rule already diverts one negative the model scores low (0.3, with a now cue): one is left
    now = none.copy()
    now[6] = True
    t = system_budget_threshold(scores, negative, now, none, 0.05, 0.2)
    assert 0.8 < t <= 0.9 + 1e-9
    # a bare rule hit on a negative the model scores below the corroboration floor costs nothing
    bare = none.copy()
    bare[9] = True
    assert system_budget_threshold(scores, negative, none, bare, 0.05, 0.2) == budget_threshold(scores, negative, 0.2)
    # ... but above the floor it is diverted and counts
    assert system_budget_threshold(scores, negative, none, bare, 0.005, 0.2) == t
    # a now-cued rule hit counts unless the model scores it below the (lower) now floor
    now_low = none.copy()
    now_low[9] = True  # the model's 0.01
    assert system_budget_threshold(scores, negative, now_low, none, 0.05, 0.2, floor_now=0.02) == \
        budget_threshold(scores, negative, 0.2)
    assert system_budget_threshold(scores, negative, now_low, none, 0.05, 0.2, floor_now=0.005) == t
    # rules alone over budget: the model keeps its own budget instead of being silenced
    everything = np.ones(10, dtype=bool)
    assert system_budget_threshold(scores, negative, everything, none, 0.05, 0.2) == budget_threshold(scores, negative, 0.2)


def test_train_assumes_the_forces_own_corroboration_floors(tmp_path, capsys):
    # the immediate threshold's budget must count keyword diversions as this force's core makes them
    demo = Path(__file__).resolve().parents[1] / "core" / "forces" / "demo" / "force.toml"
    text = demo.read_text(encoding="utf-8")
    assert "keyword_corroboration = 0.05" in text and "keyword_corroboration_now = 0.02" in text
    config = tmp_path / "force.toml"
    config.write_text(text.replace("keyword_corroboration = 0.05", "keyword_corroboration = 0.1")
                      .replace("keyword_corroboration_now = 0.02", "keyword_corroboration_now = 0.0"), encoding="utf-8")
    data = write_csv(tmp_path / "train.csv", ["text", "label", "category"], list(RISK_ROWS))
    cards = {}
    for name, extra in (("demo", ()), ("force", ("--config", str(config)))):
        out_dir = tmp_path / name
        code, _out, err = _run(capsys, *extra, "train", "risk", "--data", str(data), "--out", str(out_dir),
                               "--models-dir", str(tmp_path / "models"), "--folds", "2", "--no-eval")
        assert code == 0, err
        cards[name] = json.loads((out_dir / "card.json").read_text())["keyword_layer"]
    assert (cards["demo"]["corroboration_floor"], cards["demo"]["corroboration_floor_now"]) == (0.05, 0.02)
    assert (cards["force"]["corroboration_floor"], cards["force"]["corroboration_floor_now"]) == (0.1, 0.0)
