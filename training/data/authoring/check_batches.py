"""Check new batch files before they are built into ``risk_train.csv``.

An author runs this on their own batch files (selected by the note in their names, e.g. ``r13t``)
to find, before building:

* misnamed files and over-long rows (as ``build.py`` would);
* rows that repeat or nearly duplicate a row of the development, evaluation or hold-out sets
  (character 3-5 gram TF-IDF cosine >= 0.9, the data-set tests' check), which must be reworded;
* rows that repeat another batch's row (``build.py`` would silently drop the later one).

Only the author's own rows are printed: a held-out text never is (the sets are named, and the
similarity given, so the author rewords their own row without reading the other one).

    .venv/bin/python training/data/authoring/check_batches.py r13t [r13u ...]

Exit status: 0 when nothing needs rewording, 1 when something does, 2 for a usage error.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from build import BATCHES, BatchError, batch_lines, dedupe_key, read_batches  # type: ignore[import-not-found]

from switchboard.training.paths import DATA_DIR, DEFAULT_EVAL, DEFAULT_HOLDOUT
from switchboard.training.testing import near_duplicate_pairs

HELD_OUT = {
    "development": [DATA_DIR / "dev" / "risk_dev_pos.csv", DATA_DIR / "dev" / "risk_dev_neg.csv"],
    "evaluation": [DEFAULT_EVAL["risk"]],
    "hold-out": [DEFAULT_HOLDOUT],
}
NEAR_DUPLICATE = 0.9


def _texts(path: Path) -> list[str]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return [row["text"] for row in csv.DictReader(fh)]


def _own_files(notes: list[str]) -> list[Path]:
    return sorted(p for p in BATCHES.glob("*.txt") if len(p.stem.split("__")) > 2 and p.stem.split("__")[2] in notes)


def _rows(files: list[Path]) -> list[tuple[str, str]]:
    """``(file:line, text)`` of every non-blank row of ``files``."""
    return [(f"{path.name}:{lineno}", text) for path in files for lineno, text in batch_lines(path)]


def check(notes: list[str]) -> list[str]:
    """Problems with the batch files whose note is one of ``notes`` (own rows only are quoted)."""
    files = _own_files(notes)
    if not files:
        return [f"no batch files with note {' or '.join(notes)} in {BATCHES}"]
    problems: list[str] = []
    try:
        read_batches()  # every file's name and rows, as build.py checks them
    except BatchError as exc:
        problems.append(str(exc))
    own = _rows(files)
    others = [t for _w, t in _rows(sorted(set(BATCHES.glob("*.txt")) - set(files)))]
    own_texts = [t for _w, t in own]
    for where, text in own:
        if len(text) > 600:
            problems.append(f"{where}: longer than 600 characters")
    taken = {dedupe_key(t) for t in others}
    for where, text in own:
        if dedupe_key(text) in taken:
            problems.append(f"{where}: repeats another batch's row (build.py would drop it): {text}")
    for name, paths in HELD_OUT.items():
        held = [t for path in paths for t in _texts(path)]
        if not held:
            continue
        for score, i, _j in near_duplicate_pairs(own_texts, held, NEAR_DUPLICATE):
            problems.append(f"{own[i][0]}: near duplicate of a {name} row (similarity {score:.2f}); reword: {own[i][1]}")
    return problems


def main(argv: list[str]) -> int:
    if not argv or any(a.startswith("-") for a in argv):
        print("usage: check_batches.py NOTE [NOTE ...]  (e.g. r13t)", file=sys.stderr)
        return 2
    problems = check(argv)
    for line in problems:
        print(line)
    print(f"{len(problems)} problem(s)" if problems else "ok: nothing to reword")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
