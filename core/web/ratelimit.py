"""Rate limits behind a small interface (in-process token buckets now; Redis later)."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: float = 0.0  # seconds until one more request would be allowed

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))


class RateLimiter(Protocol):
    def hit(self, key: str, limit: int, period: float) -> RateDecision:
        """Count one request for ``key``: at most ``limit`` per ``period`` seconds (a token bucket
        of ``limit`` tokens refilled evenly over ``period``)."""


class TokenBucketLimiter:
    """Thread-safe in-process token buckets. ``clock`` is injectable for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def hit(self, key: str, limit: int, period: float) -> RateDecision:
        now = self._clock()
        rate = limit / period
        with self._lock:
            tokens, last = self._buckets.get(key, (float(limit), now))
            tokens = min(float(limit), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                allowed = RateDecision(True)
            else:
                self._buckets[key] = (tokens, now)
                allowed = RateDecision(False, (1.0 - tokens) / rate)
            if len(self._buckets) > self._max_keys:
                self._evict(now, rate)
        return allowed

    def _evict(self, now: float, rate: float) -> None:
        # Drop the oldest half: a bucket untouched for long is full again anyway.
        for key, _ in sorted(self._buckets.items(), key=lambda kv: kv[1][1])[: len(self._buckets) // 2]:
            del self._buckets[key]
