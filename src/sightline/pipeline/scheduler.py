"""The scheduler of ``sightline serve``: periodic jobs on one background thread.

Jobs run by interval (``every``) or cron expression (``cron``); a job's exception is
logged and the job runs again at its next time. Long jobs delay the others, so jobs
stay short (they hand real work to the queue).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(order=True)
class _Entry:
    due: float
    seq: int
    name: str = field(compare=False)
    fn: Callable[[], object] = field(compare=False)
    next_due: Callable[[float], float] = field(compare=False)


class Scheduler:
    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._heap: list[_Entry] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs: dict[str, int] = {}

    def every(
        self, seconds: float, name: str, fn: Callable[[], object], *, first: float | None = None
    ) -> None:
        """Run ``fn`` every ``seconds`` (first after ``first`` seconds, default one period)."""
        start = self.clock() + (seconds if first is None else first)
        self._add(_Entry(start, next(self._seq), name, fn, lambda t: t + seconds))

    def cron(self, expression: str, name: str, fn: Callable[[], object]) -> None:
        """Run ``fn`` at the times of a cron ``expression`` (``"0 * * * *"``: hourly)."""
        from croniter import croniter

        def after(t: float) -> float:
            return float(croniter(expression, t).get_next(float))

        self._add(_Entry(after(self.clock()), next(self._seq), name, fn, after))

    def _add(self, entry: _Entry) -> None:
        with self._lock:
            heapq.heappush(self._heap, entry)
        self._wake.set()

    def run_due(self) -> list[str]:
        """Run every job that is due now; their names (tests call this directly)."""
        ran: list[str] = []
        while True:
            with self._lock:
                if not self._heap or self._heap[0].due > self.clock():
                    return ran
                entry = heapq.heappop(self._heap)
            try:
                entry.fn()
            except Exception:
                log.exception("scheduled job %s failed", entry.name)
            self.runs[entry.name] = self.runs.get(entry.name, 0) + 1
            ran.append(entry.name)
            # Missed runs are not made up: the next one is the first after now.
            now = self.clock()
            entry.due = entry.next_due(entry.due)
            if entry.due <= now:
                entry.due = entry.next_due(now)
            with self._lock:
                heapq.heappush(self._heap, entry)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            with self._lock:
                wait = self._heap[0].due - self.clock() if self._heap else 60.0
            self._wake.clear()
            self._wake.wait(max(0.01, min(wait, 60.0)))

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
