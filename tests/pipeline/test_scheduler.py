"""The scheduler: interval and cron jobs, failures that do not stop the others."""

from __future__ import annotations

import threading

from sightline.pipeline.scheduler import Scheduler
from tests.pipeline.test_queue import Clock


def test_interval_and_cron_jobs() -> None:
    clock = Clock(start=0.0)
    s = Scheduler(clock=clock)
    ran: list[str] = []
    s.every(10, "ten", lambda: ran.append("ten"))
    s.every(10, "boom", lambda: 1 / 0, first=0)  # fails every time, keeps its schedule
    s.cron("*/1 * * * *", "minutely", lambda: ran.append("minute"))
    assert s.run_due() == ["boom"]
    clock.advance(10)
    assert sorted(s.run_due()) == ["boom", "ten"]
    clock.advance(50)
    assert sorted(s.run_due()) == ["boom", "minutely", "ten"]
    assert ran == ["ten", "ten", "minute"]  # missed runs of "ten" are not made up
    assert s.runs["boom"] == 3


def test_thread_runs_jobs_until_stopped() -> None:
    s = Scheduler()
    hit = threading.Event()
    s.every(0.01, "tick", hit.set, first=0)
    s.start()
    try:
        assert hit.wait(5)
    finally:
        s.stop()
    assert s.runs["tick"] >= 1
