"""A bounded thread pool for analysis, awaited from the event loop.

``threads`` bounds CPU concurrency (models run in parallel up to it); ``max_pending``
bounds the requests admitted at once, running or queued, since each queued request
holds its body in memory. Beyond it a request is refused at once with
``ThrottlingException``, which AWS SDKs retry with backoff.
"""

from __future__ import annotations

import asyncio
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
        # Touched only on the event loop's thread, so it needs no lock.
        self._admitted = 0

    @property
    def admitted(self) -> int:
        """Requests running or waiting for a thread now."""
        return self._admitted

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` on a pool thread; :class:`ThrottlingError` when over capacity."""
        if self._admitted >= self.max_pending:
            raise ThrottlingError(
                f"The server is busy: {self._admitted} requests are already waiting for its "
                f"{self.threads} analysis threads (settings.api.max_pending). Retry with backoff."
            )
        self._admitted += 1
        try:
            return await asyncio.wrap_future(self._executor.submit(fn, *args))
        finally:
            self._admitted -= 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
