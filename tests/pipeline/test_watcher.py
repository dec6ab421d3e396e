"""The folder watcher: files become items once quiet, once, whether seen by the start-up
scan or by events."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sightline.config import Settings
from sightline.pipeline.ingest import Ingestor
from sightline.pipeline.watcher import FolderWatcher
from sightline.runtime import Runtime
from tests.pipeline.images import distinct_jpeg
from tests.waiting import wait_until


def test_a_file_still_being_written_at_start_is_recorded_once_whole(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    rt = Runtime.open(settings)
    try:
        rt.ensure_buckets()
        folder = rt.store.bucket_path("content") / "labels"  # type: ignore[attr-defined]
        folder.mkdir(parents=True)
        old = folder / "old.jpg"
        old.write_bytes(distinct_jpeg(1))
        os.utime(old, (time.time() - 60, time.time() - 60))
        growing = folder / "growing.jpg"
        data = distinct_jpeg(2)
        growing.write_bytes(data[: len(data) // 2])  # the copy has only begun
        watcher = FolderWatcher(rt.store, "content", Ingestor(rt.store, rt.catalog), quiet=1.0)  # type: ignore[arg-type]
        watcher.start()
        try:
            assert watcher.scanned.wait(10)
            # The scan took the old file; the fresh one waits for quiet.
            assert [i.key for i in rt.catalog.items(limit=10)] == ["labels/old.jpg"]
            with growing.open("ab") as f:
                f.write(data[len(data) // 2 :])
            wait_until(
                lambda: len(rt.catalog.items(limit=10)) == 2 and watcher.pending() == 0,
                20,
                "the growing file to be recorded",
            )
            time.sleep(1.5)  # any late duplicate would be recorded by now
            # Our own reads of the files (probes) are no changes: nothing is pending.
            assert watcher.pending() == 0
        finally:
            watcher.stop()
        versions = rt.catalog.versions("content", "labels/growing.jpg")
        assert len(versions) == 1
        assert versions[0].size == len(data)
    finally:
        rt.close()
