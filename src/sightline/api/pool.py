"""A bounded thread pool for analysis, awaited from the event loop.

``threads`` bounds CPU concurrency (models run in parallel up to it); ``max_pending``
bounds the requests admitted at once, running or queued, since each queued request
holds its body in memory. Beyond it a request is refused at once with
``ThrottlingException``, which AWS SDKs retry with backoff.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sightline.errors import ThrottlingError

T = TypeVar("T")


class AnalysisPool:
    def __init__(self, threads: int, max_pending: int) -> None:
        self.threads = threads
        self.max_pending = max_pending
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="sightline-analysis")
        # Released when the work ends, not when its caller stops waiting (a client that
        # hangs up does not stop a running analysis), hence a lock: threads release.
        self._admitted = 0
        self._lock = threading.Lock()

    @property
    def admitted(self) -> int:
        """Requests running or waiting for a thread now."""
        return self._admitted

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` on a pool thread; :class:`ThrottlingError` when over capacity."""
        with self._lock:
            if self._admitted >= self.max_pending:
                raise ThrottlingError(
                    f"The server is busy: {self._admitted} requests are already waiting for "
                    f"its {self.threads} analysis threads (settings.api.max_pending). Retry "
                    "with backoff."
                )
            self._admitted += 1
        try:
            future = self._executor.submit(fn, *args)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def _release(self, _: object = None) -> None:
        with self._lock:
            self._admitted -= 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
