"""Error analysis for first-message intent categorisation, on the TRAINING data only.

5-fold cross-validation over ``training/data/intent_train.csv``: for each fold the project's own
pipeline (:func:`switchboard.training.train.train`, with the default public negatives) trains an
intent model on the other four folds; the held-out fold is then categorised through a
:class:`~switchboard.dispatch.Dispatcher` with the built-in plugins (the intent rules and the
pinned fold model), exactly as the live chat categorises a first message
(``Dispatcher.categorise_intent`` on ``Dispatcher.make_message``).

It never reads the evaluation set (``training/data/eval/``): thresholds proposed here are chosen
on out-of-fold predictions of the training data.

Usage (from the repository root)::

    .venv/bin/python bench/intent_error_analysis.py [--folds 5] [--repeats 3] [--data CSV] [--save OOF.json]
    .venv/bin/python bench/intent_error_analysis.py --load OOF.json [...]  # re-analyse, no training

Prints: per-intent precision / recall / F1 (top-1 and with the configured clarification
threshold), the intent rules' precision and coverage on the held-out folds, the most frequent
confusion pairs, accuracy and clarification rate against the threshold, the threshold that
minimises an explicit cost (a wrong route costs ``--wrong-cost`` clarifications), and the
worst (most confident) mistakes.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from switchboard.training.paths import DEFAULT_NEGATIVES, DEFAULT_TRAIN, INTENT_LABELS  # noqa: E402

RULES_PLUGIN = "intent_rules"


@dataclass
class Outcome:
    """One held-out message's categorisation."""

    text: str
    label: str
    fold: int
    top: str | None
    confidence: float
    second: str | None
    second_confidence: float
    top_plugin: str
    rules_intent: str | None  # the rules plugin's best vote, if it voted
    ml_intent: str | None  # the model's top class
    ml_confidence: float


def read_rows(path: Path) -> list[tuple[str, str]]:
    """``(text, label)`` rows of a labelled intent CSV."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [(r["text"], r["label"]) for r in csv.DictReader(fh)]


def _write_csv(path: Path, rows: Sequence[tuple[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        w.writerows(rows)


def cross_validate(rows: Sequence[tuple[str, str]], folds: int, config: str | None, seed: int = 0) -> list[Outcome]:
    """Out-of-fold categorisations of ``rows`` through the dispatcher (rules + fold model).

    Fold ids are ``seed * folds + k`` so outcomes of several seeds can be pooled."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    from switchboard.training.gate import make_dispatcher
    from switchboard.training.train import TrainOptions, train

    logging.getLogger("switchboard").setLevel(logging.ERROR)  # no risk model here: risk_ml is degraded
    texts = np.asarray([t for t, _ in rows], dtype=object)
    labels = np.asarray([y for _, y in rows])
    outcomes: list[Outcome] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with tempfile.TemporaryDirectory(prefix="intent-cv-") as tmp:
        root = Path(tmp)
        for k, (train_idx, test_idx) in enumerate(splitter.split(texts, labels)):
            started = time.perf_counter()
            data = root / f"fold{k}.csv"
            _write_csv(data, [(texts[i], labels[i]) for i in train_idx])
            # folds=2: the trainer's own inner CV only fills the model card; 2 keeps it quick
            result = train(TrainOptions(kind="intent", data=[data], models_dir=root / "models",
                                        out=root / "models" / f"fold{k}", negatives=list(DEFAULT_NEGATIVES), folds=2))
            dispatcher = make_dispatcher(config, root / "models", {"intent": result.model_dir})
            for i in test_idx:
                outcomes.append(_categorise(dispatcher, str(texts[i]), str(labels[i]), seed * folds + k))
            print(f"fold {k + 1}/{folds}: trained on {len(train_idx)}, categorised {len(test_idx)} "
                  f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return outcomes


def _categorise(dispatcher: Any, text: str, label: str, fold: int) -> Outcome:
    result = dispatcher.categorise_intent(message=dispatcher.make_message(text))
    ranked = list(result.candidates)
    # each plugin's own answer, before the core merged them (the best score per intent)
    rules_top, _ = _plugin_top(dispatcher, RULES_PLUGIN, text)
    ml_top, ml_conf = _plugin_top(dispatcher, "intent_ml", text)
    return Outcome(
        text=text, label=label, fold=fold,
        top=ranked[0].intent if ranked else None,
        confidence=ranked[0].confidence if ranked else 0.0,
        second=ranked[1].intent if len(ranked) > 1 else None,
        second_confidence=ranked[1].confidence if len(ranked) > 1 else 0.0,
        top_plugin=ranked[0].plugin if ranked else "",
        rules_intent=rules_top,
        ml_intent=ml_top, ml_confidence=ml_conf,
    )


def _plugin_top(dispatcher: Any, name: str, text: str) -> tuple[str | None, float]:
    """The top intent one plugin votes for on its own (``None`` when it abstains)."""
    plugin = dispatcher.pm.get_plugin(name)
    if plugin is None:
        return None, 0.0
    scores = plugin.categorise_intent(message=dispatcher.make_message(text)) or []
    return (scores[0].intent, scores[0].confidence) if scores else (None, 0.0)


# ------------------------------------------------------------------------------------ analysis
def predicted(o: Outcome, threshold: float) -> str | None:
    """The intent the chat acts on, or ``None`` when it asks the visitor to choose."""
    return o.top if o.top is not None and o.confidence >= threshold else None


def per_intent(outcomes: Sequence[Outcome], threshold: float) -> list[tuple[str, int, float, float, float]]:
    """``(intent, support, precision, recall, f1)`` with clarifications counted as misses."""
    out = []
    for intent in INTENT_LABELS:
        tp = sum(1 for o in outcomes if o.label == intent and predicted(o, threshold) == intent)
        fp = sum(1 for o in outcomes if o.label != intent and predicted(o, threshold) == intent)
        support = sum(1 for o in outcomes if o.label == intent)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / support if support else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out.append((intent, support, p, r, f))
    return out


def threshold_table(outcomes: Sequence[Outcome], grid: Sequence[float], wrong_cost: float) -> list[dict[str, float]]:
    """Accuracy (clarify = wrong), clarification rate, precision of answered messages and the
    cost (clarification 1, wrong route ``wrong_cost``) per mean message, for each threshold."""
    n = len(outcomes)
    rows = []
    for t in grid:
        right = sum(1 for o in outcomes if predicted(o, t) == o.label)
        clar = sum(1 for o in outcomes if predicted(o, t) is None)
        wrong = n - right - clar
        rows.append({"threshold": t, "accuracy": right / n, "clarify": clar / n, "wrong": wrong / n,
                     "answered_precision": right / (n - clar) if n - clar else 0.0,
                     "cost": (clar + wrong_cost * wrong) / n})
    return rows


def _fmt_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[f"{c:.3f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    line = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def report(outcomes: Sequence[Outcome], threshold: float, wrong_cost: float, worst: int) -> None:
    n = len(outcomes)
    top1 = sum(o.top == o.label for o in outcomes) / n
    ml1 = sum(o.ml_intent == o.label for o in outcomes) / n
    print(f"\n== {n} out-of-fold categorisations from {len({o.fold for o in outcomes})} fold models "
          "(CV through the dispatcher) ==")
    print(f"top-1 accuracy (rules + model): {top1:.3f}    model alone: {ml1:.3f}")
    acc = sum(predicted(o, threshold) == o.label for o in outcomes) / n
    clar = sum(predicted(o, threshold) is None for o in outcomes) / n
    print(f"at intent_confidence {threshold:.2f}: accuracy {acc:.3f} (clarification counts as wrong), "
          f"clarification rate {clar:.3f}")

    print(f"\n-- per intent (threshold {threshold:.2f}; recall counts clarifications as misses) --")
    rows = per_intent(outcomes, threshold)
    rows0 = {r[0]: r for r in per_intent(outcomes, 0.0)}
    print(_fmt_table(["intent", "n", "precision", "recall", "f1", "top1_prec", "top1_recall"],
                     [(i, s, p, r, f, rows0[i][2], rows0[i][3]) for i, s, p, r, f in rows]))

    print("\n-- intent rules on the held-out folds (precision of the rules' best vote; coverage) --")
    rule_rows = []
    for intent in INTENT_LABELS:
        fired = [o for o in outcomes if o.rules_intent == intent]
        right = sum(o.label == intent for o in fired)
        support = sum(o.label == intent for o in outcomes)
        rule_rows.append((intent, len(fired), right / len(fired) if fired else 0.0,
                          right / support if support else 0.0))
    fired_all = [o for o in outcomes if o.rules_intent]
    rule_rows.append(("ALL", len(fired_all), sum(o.label == o.rules_intent for o in fired_all) / max(1, len(fired_all)),
                      len(fired_all) / n))
    print(_fmt_table(["intent", "fired", "precision", "coverage"], rule_rows))
    rule_wrong = {o.text: o for o in fired_all if o.rules_intent != o.label}  # once per text across repeats
    for o in list(rule_wrong.values())[:40]:
        print(f"  rules said {o.rules_intent} for {o.label}: {o.text}")

    print("\n-- confusion pairs (true -> top-1, all answers; and -> clarification at the threshold) --")
    pairs = Counter((o.label, o.top or "(none)") for o in outcomes if o.top != o.label)
    for (true, got), k in pairs.most_common(25):
        print(f"  {k:4d}  {true} -> {got}")
    clar_by = Counter(o.label for o in outcomes if predicted(o, threshold) is None)
    print("  clarifications by true intent: " + ", ".join(f"{k} {v}" for k, v in clar_by.most_common()))

    print(f"\n-- accuracy against threshold (wrong route costs {wrong_cost:g} clarifications) --")
    grid = [round(x * 0.05, 2) for x in range(0, 19)]
    table = threshold_table(outcomes, grid, wrong_cost)
    print(_fmt_table(["threshold", "accuracy", "clarify", "wrong", "answered_prec", "cost"],
                     [(r["threshold"], r["accuracy"], r["clarify"], r["wrong"], r["answered_precision"], r["cost"])
                      for r in table]))
    fine = threshold_table(outcomes, [round(x * 0.01, 2) for x in range(0, 91)], wrong_cost)
    best = min(fine, key=lambda r: (round(r["cost"], 6), -r["threshold"]))
    print(f"lowest cost: threshold {best['threshold']:.2f} (accuracy {best['accuracy']:.3f}, clarify "
          f"{best['clarify']:.3f}, wrong {best['wrong']:.3f}, answered precision {best['answered_precision']:.3f})")
    by_fold = defaultdict(list)
    for o in outcomes:
        by_fold[o.fold].append(o)
    per_fold = []
    for k, fold in sorted(by_fold.items()):
        b = min(threshold_table(fold, [round(x * 0.01, 2) for x in range(0, 91)], wrong_cost),
                key=lambda r: (round(r["cost"], 6), -r["threshold"]))
        per_fold.append(b["threshold"])
    print("lowest-cost threshold per fold: " + ", ".join(f"{t:.2f}" for t in per_fold))

    print("\n-- calibration: how often the top answer is right, by its confidence --")
    edges = [0.0, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01]
    cal = []
    for lo, hi in zip(edges, edges[1:]):
        inside = [o for o in outcomes if o.top is not None and lo <= o.confidence < hi]
        if inside:
            cal.append((f"[{lo:.2f}, {min(hi, 1.0):.2f})", len(inside), sum(o.top == o.label for o in inside) / len(inside)))
    print(_fmt_table(["confidence", "n", "right"], cal))
    print("(answering beats asking where 'right' >= 1 - 1/wrong_cost: 0.50 for cost 2, 0.67 for cost 3)")
    for cost in sorted({2.0, 3.0, wrong_cost}):
        grid = [round(x * 0.01, 2) for x in range(0, 91)]
        pooled = min(threshold_table(outcomes, grid, cost), key=lambda r: (round(r["cost"], 6), -r["threshold"]))
        folds_best = sorted(min(threshold_table(fold, grid, cost), key=lambda r: (round(r["cost"], 6), -r["threshold"]))["threshold"]
                            for fold in by_fold.values())
        print(f"wrong route = {cost:g} clarifications: pooled {pooled['threshold']:.2f}, per fold "
              f"{', '.join(f'{t:.2f}' for t in folds_best)} (median {folds_best[len(folds_best) // 2]:.2f})")

    print(f"\n-- the {worst} worst mistakes (most confident wrong answers) --")
    wrong = sorted({o.text: o for o in outcomes if o.top != o.label}.values(), key=lambda o: -o.confidence)
    for o in wrong[:worst]:
        print(f"  {o.confidence:.2f} [{o.top_plugin}] {o.label} -> {o.top}: {o.text}")
    print("\n-- low-confidence right answers just under the threshold (would be clarified) --")
    near = sorted({o.text: o for o in outcomes if o.top == o.label and o.confidence < threshold}.values(),
                  key=lambda o: -o.confidence)
    for o in near[:15]:
        print(f"  {o.confidence:.2f} {o.label}: {o.text}")


def _configured_threshold(config: str | None) -> float:
    from switchboard.config import load_settings

    return float(load_settings(config).section("thresholds")["intent_confidence"])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_TRAIN["intent"], help="labelled intent CSV (text,label)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=1,
                    help="repeat the CV with seeds seed..seed+N-1 and pool (steadier threshold estimates)")
    ap.add_argument("--config", default=None, help="force config (default: the demo force)")
    ap.add_argument("--threshold", type=float, default=None, help="default: thresholds.intent_confidence")
    ap.add_argument("--wrong-cost", type=float, default=2.0,
                    help="cost of a wrong route, in clarifications (default 2: the visitor restarts)")
    ap.add_argument("--worst", type=int, default=40)
    ap.add_argument("--save", type=Path, help="write the out-of-fold outcomes as JSON")
    ap.add_argument("--load", type=Path, nargs="+", help="analyse saved outcomes (pooled) instead of training")
    args = ap.parse_args(argv)
    if "eval" in args.data.resolve().parts:
        ap.error("this script analyses training data only; the evaluation set is never used here")
    if args.load:
        outcomes = [Outcome(**o) for path in args.load for o in json.loads(path.read_text(encoding="utf-8"))]
    else:
        rows = read_rows(args.data)
        outcomes = [o for seed in range(args.seed, args.seed + args.repeats)
                    for o in cross_validate(rows, args.folds, args.config, seed)]
        if args.save:
            args.save.write_text(json.dumps([asdict(o) for o in outcomes], ensure_ascii=False), encoding="utf-8")
    threshold = args.threshold if args.threshold is not None else _configured_threshold(args.config)
    report(outcomes, threshold, args.wrong_cost, args.worst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
