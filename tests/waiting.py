"""Waiting for something another thread or process does, with an upper bound that
catches a hang (never a timing assertion)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(
    predicate: Callable[[], bool], timeout: float, what: str, *, every: float = 0.1
) -> None:
    """Return once ``predicate()`` holds; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)
