"""Full first-message triage throughput (keywords + risk model + intent), one core.

Usage::

    .venv/bin/python bench/bench_triage.py [--models-dir DIR] [--repeat 3]

Trains and promotes the default models into ``DIR`` first if none is promoted there (default: a
temporary folder), then triages the evaluation and training texts:

1. through ``Dispatcher.triage`` one message at a time (the live chat's path);
2. through the batch CLI path (``switchboard.cli.triage_rows``);

and checks that the fast model path gives IDENTICAL decisions to the unoptimised scikit-learn
pipeline (the same dispatcher with the models' ``predict_proba`` swapped in). Prints messages/s.
Target: 3,000 messages/s or more.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from switchboard.training.paths import DEFAULT_EVAL, DEFAULT_TRAIN  # noqa: E402


def _texts() -> list[str]:
    texts: list[str] = []
    for path in (*DEFAULT_EVAL.values(), *DEFAULT_TRAIN.values()):
        if path.is_file():
            with open(path, encoding="utf-8", newline="") as fh:
                texts.extend(row["text"] for row in csv.DictReader(fh) if row.get("text"))
    return texts


def _pin_to_one_core() -> str:
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        return "pinned to one core"
    except (AttributeError, OSError):
        return "not pinned"


class _SlowPath:
    """Swap a plugin's fast model for sklearn's own ``predict_proba`` (the unoptimised pipeline)."""

    def __init__(self, model) -> None:
        self.model = model
        self.classes = model.fast.classes

    def predict_all_one(self, text: str, prepared: bool = False) -> list:
        out = [self.model.pipeline.predict_proba([text])[0]]
        if self.model.category_pipeline is not None:
            out.append(self.model.category_pipeline.predict_proba([text])[0])
        return out

    def predict_proba_one(self, text: str, prepared: bool = False):
        return self.model.pipeline.predict_proba([text])[0]

    def head_classes(self, head: int) -> list[str]:
        return self.model.fast.head_classes(head)


def _signature(decision) -> tuple:
    intent = decision.intent
    return (
        decision.risk_level.value,
        decision.emergency,
        decision.handover,
        tuple(decision.handover_reasons),
        tuple((s.plugin, s.level.value, s.category, s.rule_id, None if s.score is None else round(s.score, 9))
              for s in decision.signals),
        None if intent is None else (intent.intent, intent.clarify, round(intent.confidence, 9)),
        decision.queue.queue if decision.queue else None,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", help="registry to use (default: a temporary one with the default models)")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the texts (best one reported)")
    parser.add_argument("--no-slow-check", action="store_true", help="skip the identical-decisions check")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("switchboard").setLevel(logging.CRITICAL)
    pinned = _pin_to_one_core()

    from dataclasses import replace

    from threadpoolctl import threadpool_limits

    from switchboard.cli import triage_rows
    from switchboard.training.defaults import ensure_defaults
    from switchboard.training.gate import make_dispatcher
    from switchboard.training.registry import GateResult

    tmp = None
    if args.models_dir:
        models_dir = Path(args.models_dir)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="sb-bench-")
        models_dir = Path(tmp.name)
    t0 = time.perf_counter()
    ensure_defaults(models_dir, lambda k, f: GateResult(True, {"note": "benchmark"}), say=lambda s: None,
                    warn=lambda s: None)
    setup = time.perf_counter() - t0
    texts = _texts()
    if not texts:
        print("no texts found under training/data", file=sys.stderr)
        return 1
    dispatcher = make_dispatcher(None, models_dir)
    versions = dispatcher.model_versions()
    print(f"switchboard triage benchmark ({pinned}); {len(texts)} messages (evaluation + training texts)")
    print(f"models: {versions} (ensure-defaults took {setup:.1f} s)")

    with threadpool_limits(limits=1):
        for t in texts[:200]:
            dispatcher.triage(t)  # warm caches
        best = 0.0
        for _ in range(args.repeat):
            t = time.perf_counter()
            for text in texts:
                dispatcher.triage(text)
            best = max(best, len(texts) / (time.perf_counter() - t))
        print(f"Dispatcher.triage, one message at a time: {best:,.0f} messages/s ({1e6 / best:.0f} µs/message)")

        rows = [(str(i), text) for i, text in enumerate(texts)]
        best_batch = 0.0
        for _ in range(args.repeat):
            t = time.perf_counter()
            for _row in triage_rows(dispatcher, rows, progress=False):
                pass
            best_batch = max(best_batch, len(texts) / (time.perf_counter() - t))
        print(f"batch CLI path (switchboard.cli.triage_rows): {best_batch:,.0f} messages/s")
        print(f"target 3,000 messages/s: {'MET' if best_batch >= 3000 else 'NOT MET'}")

        # Component costs, to show where the time goes.
        for name in ("risk_ml", "intent_ml"):
            plugin = dispatcher.pm.get_plugin(name)
            model = plugin.holder.get() if plugin is not None else None
            if model is None:
                continue
            msgs = [dispatcher.make_message(x) for x in texts[:2000]]
            t = time.perf_counter()
            for m in msgs:
                model.fast.predict_all_one(m.normalised, prepared=True)
            fast_us = (time.perf_counter() - t) / len(msgs) * 1e6
            t = time.perf_counter()
            for m in msgs[:300]:
                model.pipeline.predict_proba([m.text])
            slow_us = (time.perf_counter() - t) / 300 * 1e6
            print(f"  {name}: fast path {fast_us:.0f} µs/message, sklearn predict_proba {slow_us:.0f} µs/message")

        if not args.no_slow_check:
            fast_decisions = [_signature(dispatcher.triage(x)) for x in texts]
            swapped = []
            for name in ("risk_ml", "intent_ml"):
                plugin = dispatcher.pm.get_plugin(name)
                model = plugin.holder.get() if plugin is not None else None
                if model is not None:
                    plugin.holder._model = replace(model, fast=_SlowPath(model))  # noqa: SLF001 - benchmark only
                    swapped.append(name)
            t = time.perf_counter()
            slow_decisions = [_signature(dispatcher.triage(x)) for x in texts]
            slow_rate = len(texts) / (time.perf_counter() - t)
            differ = sum(a != b for a, b in zip(fast_decisions, slow_decisions))
            print(f"unoptimised sklearn pipeline ({', '.join(swapped)}): {slow_rate:,.0f} messages/s")
            print(f"identical decisions fast vs sklearn: {len(texts) - differ}/{len(texts)}"
                  + ("" if differ == 0 else f"  ({differ} DIFFER)"))
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
