"""Per-caller token buckets: a sustained rate with a burst allowance.

Each bucket holds up to ``burst`` tokens and refills at ``rate`` tokens per second; a
request takes one token or is refused. Buckets live in the serving process: with several
API processes each enforces the rate on its own share of the traffic. (The pipeline's
rate limits, which must hold across machines, live in the database's task claims.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Callers keyed by client address (auth off) are unbounded, so past this many buckets
# those idle for ten minutes are dropped; one that comes back starts full again.
_MAX_BUCKETS = 10_000
_IDLE_SECONDS = 600.0


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets keyed by caller (access key id, token id, or client address)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str, rate: float, burst: int) -> float:
        """Take a token from ``key``'s bucket.

        Returns:
            0.0 when the request may proceed, else the seconds until a token is due.
            A ``rate`` of 0 means unlimited.
        """
        if rate <= 0:
            return 0.0
        now = self._clock()
        with self._lock:
            if len(self._buckets) > _MAX_BUCKETS:
                self._forget_full(now)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(tokens=float(burst), updated=now)
            bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / rate

    def _forget_full(self, now: float) -> None:
        idle = [k for k, b in self._buckets.items() if now - b.updated > _IDLE_SECONDS]
        for k in idle:
            del self._buckets[k]
