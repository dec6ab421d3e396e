"""LocalExecutor: spawned workers stop gracefully, finishing the task in hand and
releasing the rest of their batch without counting an attempt."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from sightline.config import Settings
from sightline.db import tx
from sightline.executors.local import LocalExecutor, portable
from sightline.pipeline.ingest import upload
from sightline.pipeline.queue import T
from sightline.runtime import Runtime
from tests.pipeline.images import distinct_jpeg
from tests.pipeline.probe_analyzer import probe_settings

pytestmark = pytest.mark.slow


def test_sigterm_finishes_the_task_in_hand_and_releases_the_rest(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        pipeline=probe_settings(
            rules=[{"prefix": "slow/", "analyses": ["slowprobe"]}],
            sleep=0.5,
            batch_size=4,
            idle_poll_seconds=0.05,
        ),
    )
    rt = Runtime.open(settings)
    rt.ensure_buckets()
    for i in range(8):
        upload(rt.store, rt.catalog, "content", f"slow/{i}.jpg", distinct_jpeg(i))
    executor = LocalExecutor(settings, workers=1)
    executor.start()
    try:
        deadline = time.monotonic() + 60
        while rt.tasks.depth().get(("image", "running"), 0) == 0:
            assert time.monotonic() < deadline, "the worker never claimed"
            time.sleep(0.05)
    finally:
        executor.stop(grace=20)
    with tx.read(rt.engine) as conn:
        rows = conn.execute(select(T.c.state, T.c.attempts)).all()
    states = sorted((r.state, r.attempts) for r in rows)
    done = [s for s in states if s[0] == "done"]
    # The task in hand finished; nothing is left leased; released ones kept no attempt.
    assert done and all(a == 1 for _, a in done)
    assert ("running", 1) not in states
    assert all(a == 0 for s, a in states if s == "queued")
    assert len(states) == 8
    rt.close()


def test_settings_from_a_file_travel_to_spawned_workers(tmp_path: Path) -> None:
    config = tmp_path / "sightline.toml"
    config.write_text("[pipeline]\nworkers = 3\n")
    from sightline.config import load_settings

    settings = load_settings(config, data_dir=tmp_path / "data")
    plain = portable(settings)
    assert type(plain) is Settings and plain.pipeline.workers == 3
    assert portable(plain) is plain
