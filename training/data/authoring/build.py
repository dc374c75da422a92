"""Assemble ``training/data/risk_train.csv`` from the hand-written batch files.

Each file in ``batches/`` is named ``<label>__<category>[__<note>].txt`` and holds one
hand-written visitor message per line (blank lines are ignored). The messages are the
authored data; this script only:

1. reads every batch, checking label and category against the labelling guide;
2. adds a small, seeded amount of scripted surface variation (text-speak, dropped
   punctuation, lower case, a typo) to a capped share of rows, so the classifier sees
   the same kinds of noise real visitors type (at most ``MAX_VARIANT_SHARE`` of the
   final rows);
3. removes duplicates (case-, space- and punctuation-insensitive);
4. writes the CSV with Python's csv module (RFC 4180 quoting, UTF-8, header row).

Run from the repository root::

    .venv/bin/python training/data/authoring/build.py
"""

from __future__ import annotations

import csv
import random
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
BATCHES = HERE / "batches"
OUT = HERE.parent / "risk_train.csv"

LABELS = ("none", "elevated", "high", "immediate")
CATEGORIES = (
    "threat_to_life", "violence_weapons", "crime_in_progress", "self_harm", "domestic_abuse",
    "child_safeguarding", "sexual_offence", "missing_person", "fire_medical_road", "hate_crime",
    "exploitation", "stalking_harassment", "intimate_image_abuse", "financial_abuse", "other", "none",
)
MAX_VARIANT_SHARE = 0.08
SEED = 20261127

_TEXTSPEAK = (
    (r"\byou\b", "u"), (r"\bare\b", "r"), (r"\bplease\b", "pls"), (r"\bsomeone\b", "some1"),
    (r"\btonight\b", "2nite"), (r"\btoday\b", "2day"), (r"\bbecause\b", "cos"),
    (r"\bgoing to\b", "gonna"), (r"\bright now\b", "rn"), (r"\bboyfriend\b", "bf"),
    (r"\bgirlfriend\b", "gf"), (r"\bpeople\b", "ppl"), (r"\bwant to\b", "wanna"),
    (r"\bthanks\b", "thx"), (r"\btomorrow\b", "tmrw"), (r"\bbefore\b", "b4"), (r"\bsee\b", "c"),
    (r"\bdon't\b", "dont"), (r"\bI'm\b", "im"), (r"\bcan't\b", "cant"), (r"\bhe's\b", "hes"),
)


class BatchError(ValueError):
    """A batch file is misnamed or holds an invalid row (names the file and line)."""


def dedupe_key(text: str) -> str:
    """Return the key used to spot duplicates: NFKC, case-folded, letters/digits only."""
    norm = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.findall(r"[a-z0-9£]+", norm))


def batch_lines(path: Path) -> list[tuple[int, str]]:
    """``(line number, text)`` of every non-blank row of one batch file, white space collapsed."""
    lines = enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
    return [(lineno, text) for lineno, text in ((n, " ".join(line.split())) for n, line in lines) if text]


def read_batches(folder: Path = BATCHES) -> list[tuple[str, str, str]]:
    """Read every ``*.txt`` batch and return ``(text, label, category)`` rows in file order."""
    rows: list[tuple[str, str, str]] = []
    for path in sorted(folder.glob("*.txt")):
        parts = path.stem.split("__")
        if len(parts) < 2 or parts[0] not in LABELS or parts[1] not in CATEGORIES:
            raise BatchError(f"{path.name}: name must be <label>__<category>[__note].txt")
        label, category = parts[0], parts[1]
        if (label == "none") != (category == "none"):
            raise BatchError(f"{path.name}: label none goes with category none only")
        for lineno, text in batch_lines(path):
            if len(text) > 600:
                raise BatchError(f"{path.name}:{lineno}: message longer than 600 characters")
            rows.append((text, label, category))
    return rows


def _variant(text: str, rng: random.Random) -> str:
    """Return a noisier surface form of ``text`` (text-speak, case, punctuation, one typo)."""
    out = text
    for pattern, repl in _TEXTSPEAK:
        if rng.random() < 0.7:
            out = re.sub(pattern, repl, out, flags=re.IGNORECASE)
    choice = rng.random()
    if choice < 0.5:
        out = out.lower()
    elif choice < 0.6:
        out = out.upper()
    out = re.sub(r"[.,!?;:']", "", out) if rng.random() < 0.6 else out
    words = out.split()
    long_words = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if long_words and rng.random() < 0.6:
        i = rng.choice(long_words)
        w = words[i]
        j = rng.randrange(1, len(w) - 2)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def build(rows: list[tuple[str, str, str]], seed: int = SEED) -> list[tuple[str, str, str]]:
    """Dedupe the authored rows and add a capped share of scripted variants."""
    seen: set[str] = set()
    authored: list[tuple[str, str, str]] = []
    for text, label, category in rows:
        key = dedupe_key(text)
        if key in seen:
            continue
        seen.add(key)
        authored.append((text, label, category))
    rng = random.Random(seed)
    budget = int(len(authored) * MAX_VARIANT_SHARE / (1 - MAX_VARIANT_SHARE))
    candidates = rng.sample(authored, k=min(len(authored), budget * 2))
    variants: list[tuple[str, str, str]] = []
    for text, label, category in candidates:
        if len(variants) >= budget:
            break
        new = _variant(text, rng)
        key = dedupe_key(new)
        if key in seen:
            continue
        seen.add(key)
        variants.append((new, label, category))
    return authored + variants


def write_csv(rows: list[tuple[str, str, str]], out: Path = OUT) -> None:
    """Write ``rows`` as ``text,label,category`` CSV (UTF-8, RFC 4180 quoting)."""
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label", "category"])
        writer.writerows(rows)


def main() -> int:
    """Build the CSV and print counts."""
    try:
        authored = read_batches()
    except BatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    rows = build(authored)
    write_csv(rows)
    n_auth = len({dedupe_key(t) for t, _, _ in authored})
    print(f"wrote {len(rows)} rows to {OUT} ({n_auth} authored, {len(rows) - n_auth} scripted variants)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
