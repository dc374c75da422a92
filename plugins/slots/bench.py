"""Per-message cost of slot extraction: ``python -m switchboard.plugins.slots.bench``.

Prints microseconds per message over a mix of typical first messages (prints figures only;
tests never assert on time).
"""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from switchboard.config import load_settings

from .plugin import SlotsPlugin

MESSAGES = (
    "my neighbours have been playing loud music every night until 3am",
    "Someone broke into my car last night outside SW1A 1AA, reg AB12 CDE",
    "I want to follow up on crime reference 12345/23, my number is 07700 900123",
    "I got a text from my bank asking me to move money to a safe account",
    "found a wallet on the high street yesterday afternoon",
    "a van reversed into my car on Tuesday about 9pm and drove off",
    "can you email me at jo.bloggs@example.com about my report",
    "there are kids on bikes causing trouble in the park most evenings",
)


def main(rounds: int = 2000) -> None:
    plugin = SlotsPlugin()
    plugin.configure(settings=load_settings(environ={}))
    now = datetime(2026, 11, 27, 14, 30, tzinfo=ZoneInfo("Europe/London"))
    for text in MESSAGES:  # warm up
        plugin.extract(text, now)
    start = time.perf_counter()
    for _ in range(rounds):
        for text in MESSAGES:
            plugin.extract(text, now)
    elapsed = time.perf_counter() - start
    per = elapsed / (rounds * len(MESSAGES)) * 1e6
    print(f"slots: {per:.1f} µs per message ({rounds * len(MESSAGES)} messages, mean length "
          f"{sum(map(len, MESSAGES)) / len(MESSAGES):.0f} chars)")
    for text in MESSAGES:
        t0 = time.perf_counter()
        for _ in range(500):
            plugin.extract(text, now)
        print(f"  {(time.perf_counter() - t0) / 500 * 1e6:6.1f} µs  {text[:60]}")


if __name__ == "__main__":
    main()
