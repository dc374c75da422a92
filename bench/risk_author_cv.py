"""Cross-validation of the risk model that holds out whole AUTHORS (training data only).

The evaluation and hold-out sets were written by authors the model never saw, but the training
pipeline's own folds keep only a message's scripted copies together, so they measure a model on
authors it has already read. This script groups every row of ``risk_train.csv`` by the author who
wrote it (the note in its batch file's name: ``r13t``, ``r9i``...; rounds 1 to 3 and the early
topic files are one group, "early"), and runs 5 folds that each hold out about a fifth of the
authors. The public negatives and routine intent rows are added as the trainer adds them (spread
over the folds). Out-of-fold scores then give, with the built-in keyword rules beside the model
and the core's corroboration floors, at false-diversion budgets of 4% and 5%:

* the system's emergency recall (rules + model; the threshold is chosen on these scores, so
  recall at a fixed false-diversion rate is what compares candidates), and the model alone's;
* with ``--compare prepare``, the same for models whose texts have no context-cue words, and the
  emergencies only one of the two catches (with a sign test);
* with ``--extra CSV``, the same when that file's rows (e.g. a new data round) are added to every
  fold's training rows, scored on the same held-out authors' rows;
* with ``--variant NAME=JSON``, the same for ``make_risk_model(**JSON)`` (e.g. other vote weights
  or n-gram ranges);
* with ``--misses``, emergencies missed and non-emergencies diverted per category;
* with ``--nested-thresholds``, whether the trainer's threshold rule transfers to authors it has
  not read: in each fold the threshold is chosen, as the trainer chooses it, on inner folds of the
  remaining rows (by scripted copies, as the trainer's, or by author), and the held-out authors'
  recall and false diversion at that threshold are summed (11 fits per fold: about 10 minutes).

    .venv/bin/python bench/risk_author_cv.py [--compare prepare] [--extra new_rows.csv] [--misses]
        [--variant NAME=JSON ...] [--seeds N] [--nested-thresholds]

It reads only training data; it prints no message text. About a minute per model on one core.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BATCHES = ROOT / "training" / "data" / "authoring" / "batches"
sys.path.insert(0, str(BATCHES.parent))

from build import dedupe_key  # noqa: E402  (training/data/authoring/build.py)

from switchboard.training import metrics as M  # noqa: E402
from switchboard.training.data_io import variant_group  # noqa: E402

BUDGETS = (0.04, 0.05)


def author_of(batch_name: str) -> str:
    """The author group of a batch file: its round-and-letter note (``r13t``; ``r4``, ``r4neg``
    and ``r4_idioms`` are all round 4's one author), or ``early``."""
    parts = Path(batch_name).stem.split("__")
    m = re.match(r"r(\d+)([a-z](?![a-z]))?", parts[2]) if len(parts) > 2 else None
    return f"r{m.group(1)}{m.group(2) or ''}" if m else "early"


def author_keys() -> dict[str, str]:
    """``dedupe_key`` of every batch row -> its author (scripted copies share their row's key or,
    failing that, the trainer's ``variant_group`` key)."""
    keys: dict[str, str] = {}
    for path in sorted(BATCHES.glob("*.txt")):
        author = author_of(path.name)
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                keys.setdefault(dedupe_key(line), author)
                keys.setdefault(_copy_key(line), author)
    return keys


def _copy_key(text: str) -> str:
    """The trainer's key for a message's scripted copies (marked apart from ``dedupe_key``s)."""
    return "~" + variant_group(text)


def assemble() -> dict[str, Any]:
    """The trainer's rows (project rows first, then public negatives and routine intent rows),
    their labels, author groups and the keyword rules' emergency flags on the project rows."""
    from switchboard.training.paths import DEFAULT_EVAL, DEFAULT_NEGATIVES, DEFAULT_TRAIN, labels_for
    from switchboard.training.train import TrainOptions, keyword_emergencies, training_rows

    opts = TrainOptions(kind="risk", data=[DEFAULT_TRAIN["risk"]], models_dir=Path("."),
                        eval_paths=[DEFAULT_EVAL["risk"]], negatives=list(DEFAULT_NEGATIVES),
                        routine=[DEFAULT_TRAIN["intent"]])
    assembled = training_rows(opts, labels_for("risk", ()))
    data, rows = assembled.data, assembled.rows
    keys = author_keys()
    groups = []
    for i, r in enumerate(rows):
        if i < len(data.rows):
            groups.append(keys.get(dedupe_key(r.text)) or keys.get(_copy_key(r.text)) or "early")
        else:  # public negatives and routine rows: spread over the folds by a stable key
            groups.append(f"other{sum(map(ord, variant_group(r.text))) % 5}")
    y = np.asarray([r.label for r in rows])
    now, bare = keyword_emergencies([r.text for r in data.rows])
    return {"texts": np.asarray([r.text for r in rows], dtype=object), "y": y, "own": len(data.rows),
            "categories": np.asarray([r.category or "none" for r in rows[: len(data.rows)]]),
            "groups": groups, "now": now, "bare": bare}


def author_folds(groups: list[str], seed: int, n_folds: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index arrays of ``n_folds`` folds that each hold out whole authors: the
    authors, shuffled by ``seed``, each go to the fold with the fewest rows so far."""
    sizes = Counter(groups)
    order = sorted(sizes)
    np.random.default_rng(seed).shuffle(order)
    fold_of: dict[str, int] = {}
    totals = [0] * n_folds
    for author in order:
        k = int(np.argmin(totals))
        fold_of[author] = k
        totals[k] += sizes[author]
    assigned = np.asarray([fold_of[g] for g in groups])
    return [(np.where(assigned != k)[0], np.where(assigned == k)[0]) for k in range(n_folds)]


def out_of_fold(d: dict[str, Any], splits: list[tuple[np.ndarray, np.ndarray]], factory: Callable[[], Any],
                extra: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """p(immediate) of every project row from the model trained on the other authors' folds."""
    from threadpoolctl import threadpool_limits

    p = np.zeros(len(d["y"]))
    with threadpool_limits(limits=1):
        for train, test in splits:
            p[test] = _fit_scores(d, train, test, factory, extra)
    return p[: d["own"]]


def diverted(d: dict[str, Any], p: np.ndarray, budget: float, floor: float, floor_now: float) -> tuple[np.ndarray, np.ndarray]:
    """(system diversions, model-alone diversions) at the false-diversion ``budget``."""
    negative = d["y"][: d["own"]] != "immediate"
    t = M.system_budget_threshold(p, negative, d["now"], d["bare"], floor, budget, floor_now=floor_now)
    return _system(p, t, d["now"], d["bare"], floor, floor_now), p >= M.budget_threshold(p, negative, budget)


def _system(p: np.ndarray, t: float, now: np.ndarray, bare: np.ndarray, floor: float, floor_now: float) -> np.ndarray:
    """Which rows the rules and the model together divert at threshold ``t`` (the core's rule:
    the model's score reaches ``t``, or a keyword emergency is corroborated at its floor)."""
    return (p >= t) | (now & (p >= floor_now)) | (bare & (p >= floor))


def report(name: str, d: dict[str, Any], p: np.ndarray, floor: float, floor_now: float) -> dict[float, np.ndarray]:
    positive = d["y"][: d["own"]] == "immediate"
    out = {}
    parts = []
    for budget in BUDGETS:
        system, alone = diverted(d, p, budget, floor, floor_now)
        out[budget] = system
        parts.append(f"at {budget:.0%}: system recall {system[positive].mean():.4f} "
                     f"(false diversion {system[~positive].mean():.4f}), model alone {alone[positive].mean():.4f}")
    print(f"{name:28s} " + " | ".join(parts))
    return out


def _fit_scores(d: dict[str, Any], train: np.ndarray, test: np.ndarray, factory: Callable[[], Any] | None = None,
                extra: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """p(immediate) of the ``test`` rows from a model (``factory``, default the risk model) fitted
    on the ``train`` rows and any ``extra`` (texts, labels)."""
    from switchboard.plugins.risk_ml.features import make_risk_model

    x_train, y_train = d["texts"][train], d["y"][train]
    if extra is not None:
        x_train, y_train = np.concatenate([x_train, extra[0]]), np.concatenate([y_train, extra[1]])
    model = (factory or make_risk_model)().fit(x_train, y_train)
    return M.cumulative_scores(model.predict_proba(d["texts"][test]), [str(c) for c in model.classes_], "immediate")


def nested_thresholds(d: dict[str, Any], seed: int, budgets: tuple[float, ...]) -> None:
    """How the trainer's threshold rule transfers to authors it has not read: in each outer fold
    (whole authors held out), the threshold is chosen as the trainer chooses it, on out-of-fold
    scores of the remaining rows from inner folds that keep either scripted copies together (the
    trainer's folds) or whole authors together; the model fitted on all remaining rows then scores
    the held-out authors' rows, and their recall and false diversion at each threshold are summed."""
    from threadpoolctl import threadpool_limits
    from sklearn.model_selection import StratifiedGroupKFold

    from switchboard.training.train import TrainOptions, immediate_thresholds

    own, y, groups = d["own"], d["y"], d["groups"]
    positive_all = y[:own] == "immediate"
    policies = [("copies", 0.05)] + [("authors", b) for b in budgets]
    hits = {p: np.zeros(own, dtype=bool) for p in policies}
    tested = np.zeros(own, dtype=bool)
    with threadpool_limits(limits=1):
        for k, (train, test) in enumerate(author_folds(groups, seed)):
            inner = {
                "copies": [
                    (train[a], train[b]) for a, b in StratifiedGroupKFold(5, shuffle=True, random_state=0).split(
                        train, y[train], [variant_group(t) for t in d["texts"][train]])
                ],
                "authors": [(train[a], train[b]) for a, b in author_folds([groups[i] for i in train], seed)],
            }
            kept = train[train < own]  # the remaining project rows, where thresholds are chosen
            thresholds = {}
            for name, splits in inner.items():
                p_inner = np.zeros(len(y))
                for a, b in splits:
                    p_inner[b] = _fit_scores(d, a, b)
                for policy in policies:
                    if policy[0] == name:
                        opts = TrainOptions(kind="risk", data=[], models_dir=Path("."), max_false_diversion=policy[1])
                        thresholds[policy] = max(immediate_thresholds(
                            opts, p_inner[kept], y[kept] == "immediate", d["now"][kept], d["bare"][kept]))
            held = test[test < own]
            p = _fit_scores(d, train, held)
            tested[held] = True
            for policy, t in thresholds.items():
                hits[policy][held] = _system(p, t, d["now"][held], d["bare"][held], d["floor"], d["floor_now"])
            print(f"outer fold {k}: {len(held)} held-out project rows; thresholds "
                  + ", ".join(f"{n} {b:.1%}: {t:.4f}" for (n, b), t in thresholds.items()), flush=True)
    pos, neg = positive_all & tested, ~positive_all & tested
    for (name, budget), h in hits.items():
        print(f"thresholds from inner folds by {name:7s} at budget {budget:.1%}: held-out authors' recall "
              f"{h[pos].mean():.4f} ({int(h[pos].sum())}/{int(pos.sum())}), false diversion {h[neg].mean():.4f} "
              f"({int(h[neg].sum())}/{int(neg.sum())})")


def main(argv: list[str] | None = None) -> int:
    from scipy.stats import binomtest

    from switchboard.config import CORE_SCHEMA
    from switchboard.plugins.risk_ml.features import PREPROCESSORS, make_risk_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", choices=sorted(PREPROCESSORS), help="also a model with this preprocessor")
    parser.add_argument("--extra", type=Path, help="a labelled CSV (text,label) added to every fold's training rows")
    parser.add_argument("--misses", action="store_true", help="misses and false diversions per category")
    parser.add_argument("--seeds", type=int, default=1, help="repeat with this many different author-to-fold splits")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=JSON",
                        help='also a model made by make_risk_model(**JSON), e.g. \'nb60={"weights": [0.4, 0.6]}\'')
    parser.add_argument("--nested-thresholds", action="store_true",
                        help="how the trainer's threshold rule transfers to held-out authors (inner folds by "
                             "scripted copies, as the trainer's, or by author)")
    args = parser.parse_args(argv)
    floor = CORE_SCHEMA["thresholds"]["keyword_corroboration"][1]
    floor_now = CORE_SCHEMA["thresholds"]["keyword_corroboration_now"][1]

    d = assemble()
    d["floor"], d["floor_now"] = floor, floor_now
    if args.nested_thresholds:
        for seed in range(args.seeds):
            nested_thresholds(d, seed, (0.04, 0.045, 0.05))
        return 0
    authors = sorted({g for g in d["groups"][: d["own"]]})
    print(f"{d['own']} project rows by {len(authors)} author groups, {len(d['y']) - d['own']} public negative and "
          f"routine rows; 5 folds by author; keyword floors {floor} (no time cue) and {floor_now} (now)")
    positive = d["y"][: d["own"]] == "immediate"
    runs = [("default model", make_risk_model, None)]
    if args.compare:
        runs.append((f"preprocessor {args.compare}", lambda: make_risk_model(preprocessor=PREPROCESSORS[args.compare]), None))
    for spec in args.variant:
        label, _, kwargs = spec.partition("=")
        params = json.loads(kwargs or "{}")
        params = {k: tuple(v) if k.endswith("ngrams") else v for k, v in params.items()}
        runs.append((f"variant {label}", lambda params=params: make_risk_model(**params), None))
    if args.extra:
        with args.extra.open(encoding="utf-8", newline="") as fh:
            extra_rows = list(csv.DictReader(fh))
        extra = (np.asarray([r["text"] for r in extra_rows], dtype=object), np.asarray([r["label"] for r in extra_rows]))
        runs.append((f"+ {args.extra.name} ({len(extra_rows)} rows)", make_risk_model, extra))
    splits = [author_folds(d["groups"], seed) for seed in range(args.seeds)]
    results = []  # per run: {budget: [system diversions per seed]}
    for name, factory, extra_data in runs:
        per_budget: dict[float, list[np.ndarray]] = {b: [] for b in BUDGETS}
        for seed, folds in enumerate(splits):
            p = out_of_fold(d, folds, factory, extra_data)
            for budget, system in report(f"{name} (split {seed})", d, p, floor, floor_now).items():
                per_budget[budget].append(system)
            if args.misses:
                system = per_budget[0.05][-1]
                print("  missed emergencies per category at 5%:",
                      dict(Counter(d["categories"][positive & ~system].tolist()).most_common()))
                print("  false diversions per true label at 5%:",
                      dict(Counter(d["y"][: d["own"]][~positive & system].tolist()).most_common()))
        if args.seeds > 1:
            print(f"{name}: mean system recall over {args.seeds} splits: "
                  + ", ".join(f"{float(np.mean([s[positive].mean() for s in per_budget[b]])):.4f} at {b:.0%}" for b in BUDGETS))
        results.append((name, per_budget))
    for name, per_budget in results[1:]:
        only_other = sum(int((o & ~b)[positive].sum()) for o, b in zip(per_budget[0.05], results[0][1][0.05]))
        only_base = sum(int((b & ~o)[positive].sum()) for o, b in zip(per_budget[0.05], results[0][1][0.05]))
        pvalue = binomtest(only_other, only_other + only_base).pvalue if only_other + only_base else 1.0
        print(f"at 5%, over {args.seeds} split(s): emergencies caught only by '{name}' {only_other}, only by the "
              f"default model {only_base} (sign test p = {pvalue:.3f}; splits are not independent)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
