"""``switchboard train``, ``switchboard evaluate`` and ``switchboard models …`` (the data team's CLI).

``core/cli.py`` imports this module and calls :func:`add_parser`. Every problem is a
:class:`~switchboard.errors.SwitchboardError` naming the file (and row), which the core prints on
stderr before exiting with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from switchboard.errors import DataError

from .paths import DEFAULT_EVAL


def add_parser(subparsers: Any) -> None:
    """Add the training subcommands to the ``switchboard`` parser."""
    p = subparsers.add_parser("train", help="train a risk or intent model from labelled CSV / JSONL / Parquet")
    p.add_argument("kind", choices=("risk", "intent"))
    p.add_argument("--data", action="append", required=True, metavar="FILE", help="labelled file (repeatable)")
    p.add_argument("--out", metavar="DIR", help="new model folder (default: a new version in the registry)")
    p.add_argument("--text-column", default="text")
    p.add_argument("--label-column", default="label")
    p.add_argument("--category-column", default="category", help="risk category column, if present (risk only)")
    p.add_argument("--eval", action="append", metavar="FILE",
                   help="held-out labelled file: overlap check and report (default: the project's evaluation set)")
    p.add_argument("--no-eval", action="store_true", help="skip the project's evaluation set")
    p.add_argument("--target-recall", type=float, default=0.98, help="immediate recall the threshold must reach on CV")
    p.add_argument("--target-human-recall", type=float, default=0.93, help="recall of high-or-above on CV")
    p.add_argument("--max-false-diversion", type=float, default=0.05,
                   help="the immediate threshold never lets the system (keyword rules + model) divert more "
                        "than this share of the project's non-emergencies on CV")
    p.add_argument("--model-alone", action="store_true",
                   help="choose the immediate threshold for the model alone (a force that runs without the "
                        "built-in keyword rules)")
    p.add_argument("--negatives", action="append", metavar="PATH", default=None,
                   help="public negatives (Davidson labeled_data.csv, CLINC150 data_full.json)")
    p.add_argument("--routine", action="append", metavar="FILE", default=None,
                   help="labelled intent file whose routine intents teach the risk model 'none' (risk only)")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--extra-label", action="append", default=[], help="allow a force-specific label")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    _common(p)
    p.set_defaults(func=cmd_train)

    p = subparsers.add_parser("evaluate", help="evaluate a model on a labelled file, side by side with the promoted one")
    p.add_argument("--model", required=True, metavar="DIR")
    p.add_argument("--data", required=True, metavar="FILE")
    p.add_argument("--against", default="current", help="'current' (default), 'none', or another model folder")
    p.add_argument("--report", metavar="FILE", help="HTML report path (default: <model>/evaluation-<data>.html)")
    p.add_argument("--text-column", default="text")
    p.add_argument("--label-column", default="label")
    p.add_argument("--fail-on-regression", action="store_true", help="exit 1 when a regression is flagged")
    _common(p)
    p.set_defaults(func=cmd_evaluate)

    p = subparsers.add_parser("models", help="the model registry: list, promote, rollback, history, ensure-defaults")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", parser_class=type(p))
    m = msub.add_parser("list", help="model versions, newest first (* = promoted)")
    m.add_argument("--kind", choices=("risk", "intent"))
    _common(m)
    m.set_defaults(func=cmd_models_list)
    m = msub.add_parser("promote", help="serve VERSION (a version id or model folder) if it passes the safety gate")
    m.add_argument("version")
    m.add_argument("--kind", choices=("risk", "intent"))
    m.add_argument("--force", action="store_true", help="promote despite a failed gate (needs --reason)")
    m.add_argument("--reason", default="")
    m.add_argument("--eval", metavar="FILE", help="safety evaluation set (default: the project's)")
    _common(m)
    m.set_defaults(func=cmd_models_promote)
    m = msub.add_parser("rollback", help="serve the previously promoted version again")
    m.add_argument("--kind", choices=("risk", "intent"), default="risk")
    m.add_argument("--reason", default="")
    _common(m)
    m.set_defaults(func=cmd_models_rollback)
    m = msub.add_parser("history", help="promotions and rollbacks (who, when, why)")
    m.add_argument("--kind", choices=("risk", "intent"), default="risk")
    _common(m)
    m.set_defaults(func=cmd_models_history)
    m = msub.add_parser("ensure-defaults", help="train and promote the default models if none is promoted")
    m.add_argument("--folds", type=int, default=5)
    m.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    _common(m)
    m.set_defaults(func=cmd_models_ensure_defaults)
    p.set_defaults(func=lambda args: _models_help(p))


def _models_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--models-dir", metavar="DIR", help="model registry (default: settings models.dir or <data_dir>/models)")
    p.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)


def _models_dir(args: argparse.Namespace) -> Path:
    if getattr(args, "models_dir", None):
        return Path(args.models_dir).resolve()
    from switchboard.config import load_settings

    return load_settings(args.config).models_dir


def _corroboration_floors(args: argparse.Namespace) -> dict[str, float]:
    """The force's ``thresholds.keyword_corroboration`` floors (``--config``), which the immediate
    threshold's false-diversion budget must assume the core applies."""
    from switchboard.config import load_settings

    th = load_settings(args.config).section("thresholds")
    return {"keyword_floor": float(th["keyword_corroboration"]),
            "keyword_floor_now": float(th["keyword_corroboration_now"])}


def _progress(args: argparse.Namespace) -> bool:
    flag = getattr(args, "progress", None)
    return sys.stderr.isatty() if flag is None else bool(flag)


def _warn(line: str) -> None:
    print(f"switchboard: warning: {line}", file=sys.stderr)


# -- train -------------------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    from .train import TrainOptions, train

    if not 0.0 < args.target_recall <= 1.0:
        raise DataError("--target-recall", "must be between 0 and 1")
    if args.folds < 2:
        raise DataError("--folds", "must be at least 2")
    eval_paths = [Path(p) for p in (args.eval or [])]
    if not eval_paths and not args.no_eval and DEFAULT_EVAL[args.kind].is_file():
        eval_paths = [DEFAULT_EVAL[args.kind]]
    result = train(
        TrainOptions(
            kind=args.kind,
            data=[Path(p) for p in args.data],
            models_dir=_models_dir(args),
            out=Path(args.out) if args.out else None,
            text_column=args.text_column,
            label_column=args.label_column,
            category_column=args.category_column,
            eval_paths=eval_paths,
            target_recall=args.target_recall,
            target_human_recall=args.target_human_recall,
            max_false_diversion=args.max_false_diversion,
            with_keywords=not args.model_alone,
            **_corroboration_floors(args),
            negatives=[Path(p) for p in (args.negatives or [])],
            routine=[Path(p) for p in (args.routine or [])],
            folds=args.folds,
            progress=_progress(args),
            extra_labels=tuple(args.extra_label),
        )
    )
    for w in result.warnings:
        _warn(w)
    _print_card(result.card, result.model_dir)
    return 0


def _print_card(card: dict[str, Any], folder: Path) -> None:
    cv = card["cross_validation"]["summary"]
    print(f"trained {card['version']}")
    print(f"  folder:      {folder}")
    print(f"  report:      {folder / 'report.html'}")
    print(f"  labels:      {', '.join(f'{k} {v}' for k, v in card['label_counts'].items())}")
    if card["thresholds"]:
        print(f"  thresholds:  {', '.join(f'{k} {v:.3f}' for k, v in card['thresholds'].items())}")
        print(f"  policy:      {card.get('threshold_policy', '')}")
    keys = ("emergency_recall", "false_diversion", "human_recall", "accuracy") if card["kind"] == "risk" else ("accuracy", "macro_f1")
    print(f"  CV ({card['cross_validation']['folds']} folds): " + ", ".join(f"{k} {cv[k]:.3f}" for k in keys))
    if card.get("evaluation"):
        ev = card["evaluation"]["summary"]
        print("  evaluation set (model alone): " + ", ".join(f"{k} {ev[k]:.3f}" for k in keys))
    print(f"  promote with: switchboard models promote {folder}")


# -- evaluate ----------------------------------------------------------------------------------------


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, summary_lines

    result = evaluate(
        Path(args.model), Path(args.data), _models_dir(args), args.against,
        Path(args.report) if args.report else None, args.text_column, args.label_column,
    )
    for line in summary_lines(result):
        print(line)
    print(f"report: {result.report_path}")
    return 1 if (args.fail_on_regression and result.regressions) else 0


# -- models ------------------------------------------------------------------------------------------


def cmd_models_list(args: argparse.Namespace) -> int:
    from .registry import list_versions

    models_dir = _models_dir(args)
    print(f"registry: {models_dir}")
    for kind in ([args.kind] if args.kind else ["risk", "intent"]):
        rows = list_versions(models_dir, kind)
        print(f"{kind}:")
        if not rows:
            print("  (no models)")
        for r in rows:
            mark = "*" if r["current"] else " "
            if "problem" in r:
                print(f" {mark} {r['version']}  PROBLEM: {r['problem']}")
                continue
            cv = r.get("cv", {})
            figures = (
                f"CV emergency recall {cv.get('emergency_recall', 0):.3f}, false diversion {cv.get('false_diversion', 0):.3f}"
                if kind == "risk" else f"CV accuracy {cv.get('accuracy', 0):.3f}"
            )
            print(f" {mark} {r['version']}  {r['created_at']}  {r['rows']} rows  {figures}")
    return 0


def _gate(args: argparse.Namespace, models_dir: Path) -> Any:
    from .gate import safety_gate

    eval_path = Path(args.eval) if getattr(args, "eval", None) else None

    def run(kind: str, folder: Path) -> Any:
        return safety_gate(kind, folder, models_dir, args.config, eval_path)

    return run


def cmd_models_promote(args: argparse.Namespace) -> int:
    from .registry import promote

    models_dir = _models_dir(args)
    record = promote(models_dir, args.version, _gate(args, models_dir), kind=args.kind, force=args.force, reason=args.reason)
    _print_gate(record)
    if record["forced"]:
        _warn(f"FORCED promotion of {record['version']} despite a failed safety gate; reason recorded: {record['reason']}")
    print(f"promoted {record['kind']} {record['version']} (was {record['previous'] or 'none'})")
    return 0


def _print_gate(record: dict[str, Any]) -> None:
    figures = record["gate"]["figures"]
    if "emergency_recall" in figures:
        print(
            f"safety gate ({figures.get('eval_file')}): emergency recall {figures['emergency_recall']:.3f}, "
            f"false diversion {figures['false_diversion']:.3f}, must-reach-a-human recall {figures['human_recall']:.3f}: "
            + ("PASSED" if record["gate"]["passed"] else "FAILED (" + "; ".join(record["gate"]["failures"]) + ")")
        )


def cmd_models_rollback(args: argparse.Namespace) -> int:
    from .registry import rollback

    record = rollback(_models_dir(args), args.kind, args.reason)
    print(f"rolled back {record['kind']}: now serving {record['version']} (was {record['previous']})")
    return 0


def cmd_models_history(args: argparse.Namespace) -> int:
    from .registry import read_history

    for rec in read_history(_models_dir(args), args.kind):
        forced = " FORCED" if rec.get("forced") else ""
        reason = f" reason: {rec['reason']}" if rec.get("reason") else ""
        print(f"{rec['at']}  {rec['who']}  {rec['action']}{forced}  {rec['version']} (was {rec.get('previous') or 'none'}){reason}")
    return 0


def cmd_models_ensure_defaults(args: argparse.Namespace) -> int:
    """Train and promote the default models from training/data if none is promoted."""
    from .defaults import ensure_defaults

    models_dir = _models_dir(args)
    records = ensure_defaults(
        models_dir, _gate(argparse.Namespace(eval=None, config=args.config), models_dir), folds=args.folds,
        progress=_progress(args), say=lambda line: print(line, file=sys.stderr), warn=_warn,
        options=_corroboration_floors(args),
    )
    for record in records:
        _print_gate(record)
        print(f"{record['kind']}: promoted {record['version']}")
    return 0
