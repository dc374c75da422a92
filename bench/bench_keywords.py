"""Keyword risk matcher: cost per message with 100, 1,000 and 10,000 phrases.

Run: ``.venv/bin/python bench/bench_keywords.py [--repeat N]``

The built-in rules are cut down to their first 100 phrases, and that same core is padded with
synthetic filler phrases made of random real-looking words for 1,000 and 10,000 phrases: the
automaton grows while the messages, and the rule hits whose context is judged, stay the same.
A last line measures the rules as they ship (several thousand phrases, many more hits). Prints microseconds per message and messages per
second for a fixed set of typical first messages (routine and risky, short and long).

Timing is CPU time of this process (``time.process_time``), so a busy shared machine inflates it
less than wall-clock time would; a calibration line (a bare ``str.split`` per message) is printed
so figures from different machines can be compared.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time

from switchboard.plugins.risk_keywords.matcher import KeywordMatcher
from switchboard.plugins.risk_keywords.normalise import load_lexicon
from switchboard.plugins.risk_keywords.plugin import RULES_DIR
from switchboard.plugins.risk_keywords.rules_io import Rule, load_rules

MESSAGES = [
    "hi, I lost my purse on the number 42 bus yesterday, has anyone handed it in?",
    "the neighbours have had music blaring every night this week until 3am",
    "I want to follow up on crime ref 12345/23, nobody has called me back",
    "there's a man with a machete outside the shop as we speak",
    "my ex hit me last month and he keeps messaging me from new numbers",
    "some1 is in my house rn pls help",
    "can I defend myself if someone attacks me at home?",
    "the traffic was murder this morning, how do I get a copy of a collision report",
    "I've taken all my pills, I can't do this anymore",
    "my nan's carer has been taking money out of her account and she has dementia",
    "Hello, I'm moving to the area next month and wanted to check what I need to do about my firearms "
    "certificate, also whether the police station on the high street is still open on Saturdays",
    "a car has been parked across my drive for three days and I can't get my car out for work",
]

_SYLLABLES = ["ka", "lo", "mi", "ner", "tro", "ba", "sel", "vin", "dor", "pa", "qui", "zem", "rul", "fo", "gan"]


def _filler(rng: random.Random, n: int) -> list[str]:
    out = set()
    while len(out) < n:
        words = ["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(rng.randint(1, 4))]
        out.add(" ".join(words))
    return sorted(out)


def _core_rules(rules: list[Rule], size: int) -> list[Rule]:
    """The built-in rules cut down to their first ``size`` phrases (the phrases that can match)."""
    kept: list[Rule] = []
    budget = size
    for r in rules:
        if budget <= 0:
            break
        take = r.phrases[:budget]
        kept.append(dataclasses.replace(r, phrases=take))
        budget -= len(take)
    return kept


def _matcher_with(size: int, core: list[Rule], idioms: list, rng: random.Random) -> KeywordMatcher:
    """The same core rules (so the same hits and the same context work per message) padded with
    filler phrases that never match, so only the automaton grows."""
    total = sum(len(r.phrases) for r in core)
    if size <= total:
        return KeywordMatcher(core, idioms, load_lexicon())
    filler = Rule(
        id="bench.filler", category="other", severity="elevated", reason="bench filler",
        phrases=tuple(_filler(rng, size - total)), source="bench",
    )
    return KeywordMatcher([*core, filler], idioms, load_lexicon())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000, help="passes over the message set per size")
    args = parser.parse_args()
    rules, idioms, _files = load_rules([RULES_DIR])
    shipped = sum(len(r.phrases) for r in rules)
    print(f"built-in rules: {len(rules)} rules, {shipped} phrases, {len(idioms)} idiom sets")
    start = time.process_time()
    for _ in range(args.repeat):
        for m in MESSAGES:
            m.split()
    calib = (time.process_time() - start) / (args.repeat * len(MESSAGES)) * 1e6
    print(f"calibration: str.split per message {calib:.2f} us (about 0.1-0.2 us on an idle modern core)")
    print(f"{'phrases':>8} {'keys':>8} {'us/msg':>8} {'msgs/s':>10}")
    rng = random.Random(7)
    core = _core_rules(rules, 100)
    for size in (100, 1_000, 10_000):
        matcher = _matcher_with(size, core, idioms, rng)
        for m in MESSAGES:  # warm up
            matcher.assess(m)
        n = 0
        start = time.process_time()
        for _ in range(args.repeat):
            for m in MESSAGES:
                matcher.assess(m)
                n += 1
        elapsed = time.process_time() - start
        print(f"{matcher.stats.phrases:>8} {matcher.stats.automaton_keys:>8} {elapsed / n * 1e6:>8.1f} {n / elapsed:>10.0f}")
    full = KeywordMatcher(rules, idioms, load_lexicon())
    per = {}
    for m in MESSAGES:
        start = time.process_time()
        for _ in range(args.repeat):
            full.assess(m)
        per[m] = (time.process_time() - start) / args.repeat * 1e6
    worst = max(per, key=per.get)
    print(f"shipped rules: median {sorted(per.values())[len(per) // 2]:.1f} us/msg, worst {per[worst]:.1f} us "
          f"({len(worst)} chars)")


if __name__ == "__main__":
    main()
