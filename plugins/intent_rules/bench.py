"""Print the per-message cost of the intent rules: ``python -m switchboard.plugins.intent_rules.bench``.

Uses the project's training messages (training/data/intent_train.csv) when present, so the
figure reflects realistic lengths. Prints numbers only; nothing asserts on time.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from switchboard.config import load_settings
from switchboard.text import normalise
from switchboard.types import Message

from .plugin import IntentRulesPlugin

_DATA = Path(__file__).resolve().parents[2] / "training" / "data" / "intent_train.csv"


def main(rounds: int = 20) -> None:
    """Time ``categorise_intent`` over every training message ``rounds`` times."""
    plugin = IntentRulesPlugin()
    plugin.configure(settings=load_settings(environ={}), contributions={})
    if _DATA.exists():
        with _DATA.open(encoding="utf-8", newline="") as fh:
            texts = [row["text"] for row in csv.DictReader(fh)]
    else:
        texts = ["hi any update on my report 12345/23", "I lost my wallet on the bus yesterday"] * 500
    messages = [Message(text=t, normalised=normalise(t)) for t in texts]
    started = time.perf_counter()
    for _ in range(rounds):
        for m in messages:
            plugin.categorise_intent(m)
    elapsed = time.perf_counter() - started
    n = rounds * len(messages)
    print(f"intent_rules: {len(plugin.matcher.rules) if plugin.matcher else 0} rules, {n} messages, "
          f"{elapsed / n * 1e6:.1f} us/message (mean, {len(messages)} distinct texts)")


if __name__ == "__main__":
    main()
