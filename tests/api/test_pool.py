from __future__ import annotations

import asyncio
import threading

import pytest

from sightline.api.pool import AnalysisPool
from sightline.errors import ThrottlingError


def test_admission_is_bounded_and_released_when_work_ends() -> None:
    pool = AnalysisPool(threads=1, max_pending=2)
    release = threading.Event()

    async def scenario() -> None:
        first = asyncio.ensure_future(pool.run(release.wait, 30))
        second = asyncio.ensure_future(pool.run(lambda: 2))
        await asyncio.sleep(0.05)
        assert pool.admitted == 2
        with pytest.raises(ThrottlingError, match="max_pending"):
            await pool.run(lambda: 3)
        # A caller that stops waiting does not free the slot its running work holds.
        first.cancel()
        await asyncio.sleep(0.05)
        assert pool.admitted == 2
        release.set()
        assert await second == 2
        await asyncio.sleep(0.05)
        assert pool.admitted == 0

    asyncio.run(scenario())
    pool.shutdown()
