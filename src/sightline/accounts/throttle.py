"""Sign-in limits: after repeated wrong passwords for one user from one address, that
pair's sign-ins are refused for a while.

Keyed by (user name, client address), so an attacker guessing one account from one
address is slowed while the owner signing in from elsewhere is not locked out. Counts
live in the serving process (one API process serves the web app); a restart forgets
them, which only gives an attacker one more round of guesses.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Past this many tracked pairs, those whose pause and failures are over are dropped.
_MAX_ENTRIES = 10_000


@dataclass
class _Entry:
    failures: int
    last_failure: float
    locked_until: float = 0.0


class LoginThrottle:
    """``max_failures`` wrong passwords in a row pause the pair for ``lockout_seconds``."""

    def __init__(
        self,
        max_failures: int,
        lockout_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.lockout_seconds = lockout_seconds
        self._clock = clock
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._lock = threading.Lock()

    def retry_after(self, username: str, address: str) -> float:
        """Seconds until this pair may try again; 0.0 when it may now."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get((username, address))
            if entry is None or entry.locked_until <= now:
                return 0.0
            return entry.locked_until - now

    def failed(self, username: str, address: str) -> None:
        """Count a wrong password; the ``max_failures``-th starts a pause."""
        now = self._clock()
        with self._lock:
            if len(self._entries) > _MAX_ENTRIES:
                self._forget_stale(now)
            entry = self._entries.get((username, address))
            if entry is None or (entry.locked_until and entry.locked_until <= now):
                # New, or a pause that has run out: counting starts again.
                entry = self._entries[(username, address)] = _Entry(0, now)
            entry.failures += 1
            entry.last_failure = now
            if entry.failures >= self.max_failures:
                entry.locked_until = now + self.lockout_seconds

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._entries.pop((username, address), None)

    def _forget_stale(self, now: float) -> None:
        stale = [
            k
            for k, e in self._entries.items()
            if e.locked_until <= now and now - e.last_failure > self.lockout_seconds
        ]
        for k in stale:
            del self._entries[k]
