"""serve's scheduler forgets what has outlived its retention: delivered notifications
and finished video jobs (pending messages and running jobs are never touched)."""

from __future__ import annotations

import time
from pathlib import Path

from sightline.config import Settings
from sightline.db import tx
from sightline.db.models.notify import Notification
from sightline.embedded import EmbeddedSystem
from sightline.notify.channels import resolve_channel
from sightline.notify.outbox import Outbox
from sightline.pipeline.scheduler import Scheduler
from sightline.video.apis import LABELS
from sightline.video.jobs import J, jobs_of


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_old_notifications_and_video_jobs_are_purged(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        notify={"retention_seconds": 60.0, "poll_seconds": 3600.0},
        video={"job_retention_seconds": 60.0},
    )
    system = EmbeddedSystem(settings, workers=0, watch=False)
    clock = Clock()
    system.scheduler = Scheduler(clock=clock)
    rt = system.runtime
    outbox = Outbox(rt.engine, clock=lambda: clock.now - 120)  # added two minutes ago
    targets = resolve_channel(settings.notify, "http://127.0.0.1:9/hook")
    with tx.write(rt.engine) as conn:
        outbox.add(conn, targets, {"n": 1}, topic_arn="http://127.0.0.1:9/hook")
        outbox.add(conn, targets, {"n": 2}, topic_arn="http://127.0.0.1:9/hook")
    [first, _] = sorted(r.id for r in outbox.list())
    with tx.write(rt.engine) as conn:
        table = Notification.__table__
        conn.execute(table.update().where(table.c.id == first).values(state="delivered"))
    rt.store.ensure_bucket("videos")
    rt.store.put("videos", "a.mp4", b"\x00" * 8)
    jobs = jobs_of(rt)
    request = {"Video": {"S3Object": {"Bucket": "videos", "Name": "a.mp4"}}}
    finished, running = jobs.start(LABELS, request), jobs.start(LABELS, request)
    with tx.write(rt.engine) as conn:
        jobs.fail(conn, jobs.get(finished), "not a video")
    with tx.write(rt.engine) as conn:  # finished two minutes ago
        conn.execute(J.update().where(J.c.job_id == finished).values(finished_at=clock.now - 120))
    with system:
        clock.now += 2 * 3600
        deadline = time.monotonic() + 20
        while not {"purge-notifications", "purge-video-jobs"} <= set(system.scheduler.runs):
            assert time.monotonic() < deadline, system.scheduler.runs
            system.scheduler.run_due()
            time.sleep(0.05)
    assert [r.state for r in outbox.list()] == ["pending"]
    assert [j.job_id for j in jobs.list()] == [running]
