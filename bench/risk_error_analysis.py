"""Error analysis of the risk guardrail on the TRAINING data (never the evaluation texts).

Two modes:

``--keywords-only``
    the keyword rules alone over ``training/data/risk_train.csv`` (a few seconds);

default (cross-validation)
    5-fold cross-validation over ``risk_train.csv``: for each fold the ML model is trained on the
    other four folds with the project's own pipeline (:func:`switchboard.training.train.train`,
    public negatives and routine intent rows included, written into a temporary folder), then
    every held-out message goes through the FULL first-message triage (a
    :class:`~switchboard.dispatch.Dispatcher` with every built-in plugin, keyword rules included,
    the fold's model pinned). Scripted noisy variants of one message are kept in the same fold as
    the message (grouped by a crude key) so the figures are not flattered by near-duplicates.

Both print the confusion (true label x triaged level), emergency recall, false diversion,
must-reach-a-human recall, per-category recall and the worst misses and false alarms with the
rule ids that fired, so a rule or data author sees what to fix.

``--dev [PATH ...]``
    the development set (``training/data/dev/*.csv`` unless paths are given; never training data):
    the keyword rules alone and the combined triage (model trained on all of ``risk_train.csv``,
    as for the evaluation set), each with its figures, per-category breakdown and the misses and
    false diversions with the rule ids that fired. Its texts may be read for error analysis.

``--eval-aggregate`` prints ONLY aggregate figures for the independent evaluation set (counts and
rates per label, kind and category; never a message text), for the combined triage with a default
model trained on all of ``risk_train.csv`` and for the keyword rules alone. Its texts stay unread
by authors; use it sparingly to check progress. ``--holdout-aggregate`` does the same for the blind
hold-out set (``training/data/holdout/``, written by an author who read only the labelling guide);
use it once per change worth reporting, never to choose between candidates.

Run from the repository root::

    .venv/bin/python bench/risk_error_analysis.py --keywords-only [--show 40] [--rule-precision]
    .venv/bin/python bench/risk_error_analysis.py [--folds 5] [--inner-folds 3] [--show 40]
    .venv/bin/python bench/risk_error_analysis.py --dev [--show 60] [--rule-precision]
    .venv/bin/python bench/risk_error_analysis.py --eval-aggregate [--holdout-aggregate]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from switchboard.training.paths import DEFAULT_HOLDOUT

REPO = Path(__file__).resolve().parent.parent
TRAIN_CSV = REPO / "training" / "data" / "risk_train.csv"
DEV_DIR = REPO / "training" / "data" / "dev"
HOLDOUT_CSV = DEFAULT_HOLDOUT
LEVELS = ("none", "elevated", "high", "immediate")


# -- reading ----------------------------------------------------------------------------------------
def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a labelled risk CSV (``text``, ``label``, ``category`` and any other column)."""
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# -- outcomes ---------------------------------------------------------------------------------------
class Outcome:
    """What the triage did with one message."""

    __slots__ = ("text", "label", "category", "kind", "level", "emergency", "human", "why")

    def __init__(self, row: dict[str, str], level: str, emergency: bool, human: bool, why: str) -> None:
        self.text = row["text"]
        self.label = row["label"]
        self.category = row.get("category", "")
        self.kind = row.get("kind", "")
        self.level = level
        self.emergency = emergency
        self.human = human
        self.why = why


def keyword_outcomes(rows: Sequence[dict[str, str]]) -> list[Outcome]:
    """The keyword plugin alone (exactly the matcher the plugin serves)."""
    from switchboard.plugins.risk_keywords.plugin import RULES_DIR, build_matcher

    matcher, _files = build_matcher([RULES_DIR])
    out = []
    for row in rows:
        signals = matcher.assess(row["text"])
        best = max((s.level for s in signals), default=None)
        level = best.value if best is not None else "none"
        why = "; ".join(f"{s.rule_id}={s.level.value}[{s.matched_text}]" for s in signals if s.level == best)
        out.append(Outcome(row, level, level == "immediate", level in ("high", "immediate"), why))
    return out


def dispatcher_outcomes(dispatcher: Any, rows: Iterable[dict[str, str]]) -> list[Outcome]:
    """The full first-message triage (what the live chat does)."""
    out = []
    for row in rows:
        d = dispatcher.triage(row["text"])
        why = "; ".join(
            f"{s.plugin}:{s.rule_id or 'ml'}={s.level.value}" + (f"[{s.matched_text}]" if s.matched_text else "")
            for s in d.signals if s.level == d.risk_level
        )
        out.append(Outcome(row, d.risk_level.value, d.emergency, bool(d.handover or d.emergency), why))
    return out


# -- figures ----------------------------------------------------------------------------------------
def figures(outcomes: Sequence[Outcome]) -> dict[str, float]:
    imm = [o for o in outcomes if o.label == "immediate"]
    non = [o for o in outcomes if o.label != "immediate"]
    neg = [o for o in outcomes if o.label == "none"]
    hum = [o for o in outcomes if o.label in ("high", "immediate")]

    def rate(xs: Sequence[Outcome], pred: Callable[[Outcome], bool]) -> float:
        return sum(map(pred, xs)) / len(xs) if xs else 0.0

    return {
        "emergency_recall": rate(imm, lambda o: o.emergency),
        "false_diversion": rate(non, lambda o: o.emergency),
        "false_diversion_of_none": rate(neg, lambda o: o.emergency),
        "human_recall": rate(hum, lambda o: o.human),
        "none_flagged_high_or_more": rate(neg, lambda o: o.level in ("high", "immediate")),
        "n": len(outcomes),
    }


def print_figures(title: str, outcomes: Sequence[Outcome]) -> None:
    f = figures(outcomes)
    print(f"\n== {title}: {f['n']} messages")
    print(f"emergency recall {f['emergency_recall']:.3f} (target >= 0.98) | false diversion {f['false_diversion']:.3f}"
          f" (target <= 0.05; of label none: {f['false_diversion_of_none']:.3f}) | must-reach-a-human recall "
          f"{f['human_recall']:.3f} (target >= 0.90) | none raised to high+ {f['none_flagged_high_or_more']:.3f}")
    imm = [o for o in outcomes if o.label == "immediate"]
    non = [o for o in outcomes if o.label != "immediate"]
    print("95% Wilson intervals: emergency recall " + _interval(sum(o.emergency for o in imm), len(imm))
          + " | false diversion " + _interval(sum(o.emergency for o in non), len(non)))
    conf = Counter((o.label, o.level) for o in outcomes)
    print("confusion (rows = true label, columns = triaged level)")
    print(f"{'':>10} " + " ".join(f"{lvl:>9}" for lvl in LEVELS))
    for t in LEVELS:
        print(f"{t:>10} " + " ".join(f"{conf[(t, p)]:>9}" for p in LEVELS))
    sources = Counter(_diversion_source(o) for o in outcomes if o.emergency)
    if sources:
        for kind, label in (("false", lambda o: o.label != "immediate"), ("true", lambda o: o.label == "immediate")):
            got = Counter(_diversion_source(o) for o in outcomes if o.emergency and label(o))
            print(f"{kind} diversions by source: " + ", ".join(f"{k} {got[k]}" for k in ("rules only", "model only", "both")))


def _interval(k: int, n: int) -> str:
    """``k/n`` with its 95% Wilson score interval (how far a few hundred messages pin a rate down)."""
    if not n:
        return "-"
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return f"{k}/{n} [{ci.low:.3f}, {ci.high:.3f}]"


def _diversion_source(o: Outcome) -> str:
    """Which layer said immediate for a diverted message: the keyword rules, the model or both."""
    rules = "risk_keywords:" in o.why or (o.why and "risk_ml:" not in o.why and "=" in o.why)
    model = "risk_ml:" in o.why
    return "both" if rules and model else "model only" if model else "rules only"


def print_breakdown(outcomes: Sequence[Outcome], field: str) -> None:
    """Per category (or kind): immediate recall, human recall, false diversion counts."""
    rows: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        rows[getattr(o, field) or "-"].append(o)
    print(f"\nper {field}: immediate n / diverted | high+imm n / reached human | non-immediate n / falsely diverted")
    for key in sorted(rows):
        xs = rows[key]
        imm = [o for o in xs if o.label == "immediate"]
        hum = [o for o in xs if o.label in ("high", "immediate")]
        non = [o for o in xs if o.label != "immediate"]
        print(f"  {key:<22} imm {len(imm):>4} / {sum(o.emergency for o in imm):>4}"
              f" ({_pct(sum(o.emergency for o in imm), len(imm))})"
              f" | human {len(hum):>4} / {sum(o.human for o in hum):>4} ({_pct(sum(o.human for o in hum), len(hum))})"
              f" | other {len(non):>4} / {sum(o.emergency for o in non):>3} falsely diverted")


def _pct(a: int, b: int) -> str:
    return f"{a / b:6.1%}" if b else "     -"


def rule_precision(rows: Sequence[dict[str, str]]) -> list[tuple[str, int, int, Counter[str], int]]:
    """Per rule id: (id, immediate firings, of which the row is labelled immediate, labels of the rest,
    immediate rows caught by this rule alone).

    Every immediate signal counts, not only the one reported for the message, so a rule that always
    fires alongside a better one is still measured.
    """
    from switchboard.plugins.risk_keywords.plugin import RULES_DIR, build_matcher

    matcher, _files = build_matcher([RULES_DIR])
    fired: Counter[str] = Counter()
    right: Counter[str] = Counter()
    wrong: dict[str, Counter[str]] = defaultdict(Counter)
    sole: Counter[str] = Counter()
    for row in rows:
        ids = {s.rule_id for s in matcher.assess(row["text"]) if s.level.value == "immediate" and s.rule_id}
        for rid in ids:
            fired[rid] += 1
            if row["label"] == "immediate":
                right[rid] += 1
                if len(ids) == 1:
                    sole[rid] += 1
            else:
                wrong[rid][row["label"]] += 1
    return [(rid, fired[rid], right[rid], wrong[rid], sole[rid]) for rid in fired]


def print_rule_precision(rows: Sequence[dict[str, str]], min_fired: int = 1) -> None:
    """The rule-level precision report, least precise first."""
    table = rule_precision(rows)
    table.sort(key=lambda t: (t[2] / t[1], -t[1]))
    print("\nrule precision at immediate (training rows): fired / really immediate (precision)"
          " | caught by this rule alone | wrong firings by true label")
    for rid, n, ok, wrong, alone in table:
        if n < min_fired:
            continue
        detail = " ".join(f"{lvl}={wrong[lvl]}" for lvl in LEVELS if wrong.get(lvl))
        print(f"  {rid:<34} {n:>4} / {ok:>4} ({ok / n:6.1%}) | alone {alone:>3} | {detail}")


def print_errors(outcomes: Sequence[Outcome], show: int) -> None:
    """The worst misses and false alarms (training or development data; never the evaluation set)."""
    missed = [o for o in outcomes if o.label == "immediate" and not o.emergency]
    missed.sort(key=lambda o: (LEVELS.index(o.level), o.category))
    print(f"\n-- missed emergencies ({len(missed)}), worst first (label immediate, not diverted)")
    for o in missed[:show]:
        print(f"  [{o.category}] got {o.level}: {o.text}" + (f"  <- {o.why}" if o.why else ""))
    lost = [o for o in outcomes if o.label == "high" and not o.human]
    print(f"\n-- high not reaching a human ({len(lost)})")
    for o in lost[:show]:
        print(f"  [{o.category}] got {o.level}: {o.text}" + (f"  <- {o.why}" if o.why else ""))
    false = [o for o in outcomes if o.label != "immediate" and o.emergency]
    false.sort(key=lambda o: LEVELS.index(o.label))
    print(f"\n-- false diversions ({len(false)}), label none first")
    for o in false[:show]:
        print(f"  [{o.label}/{o.category}]: {o.text}  <- {o.why}")


# -- cross-validation -------------------------------------------------------------------------------
def _write_csv(path: Path, rows: Sequence[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["text", "label", "category"], extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def _train(train_csv: Path, out: Path, models_dir: Path, inner_folds: int) -> Path:
    from switchboard.training.paths import DEFAULT_NEGATIVES, DEFAULT_TRAIN
    from switchboard.training.train import TrainOptions, train

    opts = TrainOptions(
        kind="risk", data=[train_csv], models_dir=models_dir, out=out, negatives=list(DEFAULT_NEGATIVES),
        routine=[DEFAULT_TRAIN["intent"]] if DEFAULT_TRAIN["intent"].is_file() else [], folds=inner_folds,
    )
    return train(opts).model_dir


def cross_validate(rows: Sequence[dict[str, str]], folds: int, inner_folds: int, seed: int = 0) -> list[Outcome]:
    """Out-of-fold triage outcomes for every row (the ML never saw the row's group)."""
    from switchboard.training.data_io import variant_group
    from switchboard.training.gate import make_dispatcher

    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[variant_group(r["text"])].append(i)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    fold_of = {k: n % folds for n, k in enumerate(keys)}
    outcomes: list[Outcome | None] = [None] * len(rows)
    with tempfile.TemporaryDirectory(prefix="risk-cv-") as tmp:
        base = Path(tmp)
        for k in range(folds):
            started = time.perf_counter()
            train_rows = [r for r in rows if fold_of[variant_group(r["text"])] != k]
            test_idx = [i for i, r in enumerate(rows) if fold_of[variant_group(r["text"])] == k]
            csv_path = base / f"fold{k}.csv"
            _write_csv(csv_path, train_rows)
            model = _train(csv_path, base / f"model{k}", base / "registry", inner_folds)
            dispatcher = make_dispatcher(None, base / "registry", {"risk": model})
            for i, o in zip(test_idx, dispatcher_outcomes(dispatcher, [rows[i] for i in test_idx])):
                outcomes[i] = o
            print(f"fold {k + 1}/{folds}: trained on {len(train_rows)}, triaged {len(test_idx)} "
                  f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return [o for o in outcomes if o is not None]


# -- held-out sets: the evaluation set (aggregates only) and the development set -------------------
def combined_outcomes(rows: Sequence[dict[str, str]], inner_folds: int) -> list[Outcome]:
    """The full triage with a default risk model trained on all of ``risk_train.csv``."""
    return combined_outcomes_many([rows], inner_folds)[0]


def combined_outcomes_many(sets: Sequence[Sequence[dict[str, str]]], inner_folds: int) -> list[list[Outcome]]:
    """:func:`combined_outcomes` of several sets with one trained model."""
    from switchboard.training.defaults import train_default
    from switchboard.training.gate import make_dispatcher

    with tempfile.TemporaryDirectory(prefix="risk-heldout-") as tmp:
        model = train_default("risk", Path(tmp), folds=inner_folds).model_dir  # exactly what the safety test trains
        dispatcher = make_dispatcher(None, Path(tmp), {"risk": model})
        return [dispatcher_outcomes(dispatcher, rows) for rows in sets]


def eval_aggregate(inner_folds: int, evaluation: bool = True, holdout: bool = False) -> None:
    """Aggregate figures on the evaluation set and/or the blind hold-out set. Never prints a
    message text."""
    from switchboard.training.paths import DEFAULT_EVAL

    sets = ([("EVAL", DEFAULT_EVAL["risk"])] if evaluation else []) + (
        [("HOLDOUT", HOLDOUT_CSV)] if holdout else [])
    for name, path in sets:
        if not path.is_file():
            raise SystemExit(f"{name.lower()} set not found: {path}")
    rows = [read_rows(path) for _name, path in sets]
    combined = combined_outcomes_many(rows, inner_folds)
    for (name, _path), set_rows, outs_ml in zip(sets, rows, combined):
        for title, outs in ((f"{name} keyword rules alone", keyword_outcomes(set_rows)),
                            (f"{name} combined triage (keywords + ML)", outs_ml)):
            print_figures(title, outs)
            print_breakdown(outs, "kind")
            print_breakdown(outs, "category")


def dev_paths(paths: Sequence[Path]) -> list[Path]:
    """The development CSVs: the given paths, or every ``training/data/dev/*.csv``."""
    found = list(paths) or sorted(DEV_DIR.glob("*.csv"))
    eval_dir = (REPO / "training" / "data" / "eval").resolve()
    holdout_dir = HOLDOUT_CSV.parent.resolve()
    if any(eval_dir in f.resolve().parents or holdout_dir in f.resolve().parents for f in found):
        raise SystemExit("--dev lists message texts: it never reads the evaluation or hold-out set "
                         "(use --eval-aggregate or --holdout-aggregate)")
    if not found:
        raise SystemExit(f"no development set: {DEV_DIR}/*.csv not found")
    return found


def dev_report(paths: Sequence[Path], inner_folds: int, show: int, precision: bool) -> None:
    """Keyword rules alone and the combined triage on the development set, errors listed."""
    files = dev_paths(paths)
    rows = [r for f in files for r in read_rows(f)]
    name = ", ".join(f.name for f in files)
    for title, outs in ((f"DEV keyword rules alone on {name}", keyword_outcomes(rows)),
                        (f"DEV combined triage (keywords + ML) on {name}", combined_outcomes(rows, inner_folds))):
        print_figures(title, outs)
        print_breakdown(outs, "kind")
        print_breakdown(outs, "category")
        print_errors(outs, show)
    if precision:
        print_rule_precision(rows)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keywords-only", action="store_true", help="keyword rules alone over the training CSV")
    ap.add_argument("--eval-aggregate", action="store_true", help="aggregate figures on the evaluation set (no texts)")
    ap.add_argument("--holdout-aggregate", action="store_true",
                    help="aggregate figures on the blind hold-out set training/data/holdout (no texts)")
    ap.add_argument("--dev", nargs="*", type=Path, default=None, metavar="CSV",
                    help="keywords alone and combined triage on the development set (default training/data/dev/*.csv)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--inner-folds", type=int, default=5, help="the training pipeline's own CV folds (thresholds)")
    ap.add_argument("--show", type=int, default=40, help="how many misses / false alarms to list")
    ap.add_argument("--data", type=Path, default=TRAIN_CSV)
    ap.add_argument("--rule-precision", action="store_true",
                    help="with --keywords-only or --dev: per-rule precision of immediate firings")
    args = ap.parse_args(argv)
    if args.eval_aggregate or args.holdout_aggregate:
        eval_aggregate(args.inner_folds, evaluation=args.eval_aggregate, holdout=args.holdout_aggregate)
        return 0
    if args.dev is not None:
        dev_report(args.dev, args.inner_folds, args.show, args.rule_precision)
        return 0
    rows = read_rows(args.data)
    if args.keywords_only:
        outs = keyword_outcomes(rows)
        title = f"keyword rules alone on {args.data.name}"
    else:
        outs = cross_validate(rows, args.folds, args.inner_folds)
        title = f"{args.folds}-fold CV on {args.data.name}: full triage (ML trained on the other folds + keyword rules)"
    print_figures(title, outs)
    print_breakdown(outs, "category")
    print_errors(outs, args.show)
    if args.rule_precision:
        print_rule_precision(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
