"""The image stage, run inline by a WorkerLoop: outputs, results, typed failures, retries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sightline.analyzers.base import AnalyzerPool
from sightline.config import Settings
from sightline.errors import StorageError
from sightline.pipeline.delivery import DeliveryStreams
from sightline.pipeline.ingest import Ingestor, upload
from sightline.pipeline.stages import build_stages
from sightline.pipeline.worker import WorkerLoop, WorkerRegistry
from sightline.runtime import Runtime
from sightline.storage import MemoryStore, ObjectInfo
from tests.pipeline.images import distinct_jpeg
from tests.pipeline.probe_analyzer import probe_settings


class FlakyStore(MemoryStore):
    """Fails the first ``failures`` reads of each key, as a storage outage would."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.reads: dict[str, int] = {}

    def get(self, bucket: str, key: str, *, byte_range: tuple[int, int] | None = None) -> bytes:
        self.reads[key] = self.reads.get(key, 0) + 1
        if self.reads[key] <= self.failures:
            raise StorageError(f"s3://{bucket}/{key}: connection reset")
        return super().get(bucket, key, byte_range=byte_range)


def make_runtime(tmp_path: Path, store: MemoryStore | None = None, **pipeline: Any) -> Runtime:
    rules = [
        {"prefix": "p/", "analyses": ["probe"]},
        {"prefix": "m/", "analyses": ["probe", "slowprobe"]},
    ]
    settings = Settings(
        data_dir=tmp_path / "data",
        pipeline=probe_settings(rules=rules, backoff_seconds=0.01, **pipeline),
    )
    rt = Runtime.open(settings, store=store or MemoryStore())
    rt.ensure_buckets()
    return rt


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    rt = make_runtime(tmp_path)
    yield rt
    rt.close()


def drain(rt: Runtime, pool: AnalyzerPool | None = None) -> WorkerLoop:
    """Run the image stage inline until the queue is empty; ``pool`` shares loaded models."""
    stages = build_stages(rt, pool or AnalyzerPool(rt.settings), ["image"])
    loop = WorkerLoop(
        rt.tasks, stages, owner="inline:1", idle_poll=0.01, registry=WorkerRegistry(rt.engine)
    )
    loop.run(until_idle=True)
    return loop


def output(rt: Runtime, key: str) -> dict[str, Any]:
    data = rt.store.get("output", key)
    document: dict[str, Any] = json.loads(data)
    return document


def test_one_analysis_writes_its_document(runtime: Runtime) -> None:
    rec = upload(runtime.store, runtime.catalog, "content", "p/a b.jpg", distinct_jpeg(1))
    loop = drain(runtime)
    assert loop.stats.outcomes == {"succeeded": 1}
    item = runtime.catalog.get(str(rec.item_id))
    assert item is not None and item.status == "SUCCEEDED" and item.attempts == 1
    assert item.media_type == "image/jpeg" and item.finished_at is not None
    doc = output(runtime, f"sync/p/a b.jpg-analysis/{rec.item_id}/response.json")
    assert (doc["Width"], doc["Height"]) == (96, 96)
    task = runtime.tasks.by_key(f"image:{rec.item_id}")
    assert task is not None and task.state == "done"
    (worker,) = WorkerRegistry(runtime.engine).workers()
    assert (worker.id, worker.state, worker.processed) == ("inline:1", "stopped", 1)


def test_several_analyses_write_a_combined_response(runtime: Runtime) -> None:
    rec = upload(runtime.store, runtime.catalog, "content", "m/x.jpg", distinct_jpeg(2))
    drain(runtime)
    prefix = f"sync/m/x.jpg-analysis/{rec.item_id}/"
    combined = output(runtime, prefix + "response.json")
    assert sorted(combined) == ["probe", "slowprobe"]
    assert output(runtime, prefix + "probe.json") == combined["probe"]
    with runtime.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT analysis, model_version, output_key FROM results ORDER BY analysis"
        ).all()
    assert [tuple(r) for r in rows] == [
        ("probe", "probe-1", prefix + "probe.json"),
        ("slowprobe", "probe-1", prefix + "slowprobe.json"),
    ]


def test_bad_objects_fail_or_are_rejected_with_reasons(runtime: Runtime) -> None:
    store = runtime.store
    good = distinct_jpeg(3)
    store.put("content", "p/truncated.jpg", good[: len(good) // 2])
    store.put("content", "p/notes.jpg", b"these are words, not pixels\n")
    store.put("content", "p/clip.jpg", b"\x00\x00\x00\x20ftypisom" + b"\x00" * 100)
    infos = [store.head("content", k) for k in ("p/truncated.jpg", "p/notes.jpg", "p/clip.jpg")]
    infos.append(ObjectInfo("content", "p/gone.jpg", 10, "gone", 1.0))
    # Trusted facts (as from an S3 Inventory): nothing read yet, the task sniffs.
    recorded = Ingestor(store, runtime.catalog).ingest_infos(infos, "backfill")
    drain(runtime)
    items = {r.key: runtime.catalog.get(str(r.item_id)) for r in recorded}
    truncated, notes, clip, gone = (
        items[k] for k in ("p/truncated.jpg", "p/notes.jpg", "p/clip.jpg", "p/gone.jpg")
    )
    assert truncated is not None and truncated.status == "FAILED"
    assert truncated.error == "InvalidImageFormatError" and "truncated" in str(truncated.reason)
    assert notes is not None and notes.status == "REJECTED"
    assert "text, not an image or video" in str(notes.reason)
    assert gone is not None and gone.status == "FAILED" and gone.error == "ObjectNotFoundError"
    # a video found by its bytes goes to the video workflow's queue
    assert clip is not None and (clip.status, clip.workflow) == ("PENDING", "video")
    assert clip.media_type == "video/mp4"
    video = runtime.tasks.by_key(f"video:{clip.id}")
    assert video is not None and video.state == "queued"
    assert list(runtime.store.list("output")) == []  # nothing written for any of them


def test_storage_outage_is_retried(tmp_path: Path) -> None:
    rt = make_runtime(tmp_path, store=FlakyStore(failures=2))
    try:
        rec = upload(rt.store, rt.catalog, "content", "p/a.jpg", distinct_jpeg(4))
        loop = drain(rt)
        assert loop.stats.outcomes == {"retry": 2, "succeeded": 1}
        item = rt.catalog.get(str(rec.item_id))
        assert item is not None and item.status == "SUCCEEDED" and item.attempts == 3
        assert item.error is None and item.reason is None
    finally:
        rt.close()


def test_storage_outage_that_never_ends_fails_the_item(tmp_path: Path) -> None:
    rt = make_runtime(tmp_path, store=FlakyStore(failures=99), max_attempts=2)
    try:
        rec = upload(rt.store, rt.catalog, "content", "p/a.jpg", distinct_jpeg(5))
        drain(rt)
        item = rt.catalog.get(str(rec.item_id))
        assert item is not None and (item.status, item.error) == ("FAILED", "StorageError")
        assert "connection reset" in str(item.reason) and item.attempts == 2
        task = rt.tasks.by_key(f"image:{rec.item_id}")
        assert task is not None and task.state == "dead"
    finally:
        rt.close()


def test_delivery_stream_batches_results(tmp_path: Path) -> None:
    streams = [{"name": "results", "max_bytes": 700, "max_seconds": 3600}]
    rt = make_runtime(tmp_path, delivery_streams=streams)
    try:
        for i in range(6):
            upload(rt.store, rt.catalog, "content", f"p/{i}.jpg", distinct_jpeg(i))
        drain(rt)
        delivery = DeliveryStreams(rt.engine, rt.store, rt.settings.pipeline)
        full = delivery.flush()  # only files that are full: the last partial one waits
        rest = delivery.flush(force=True)
        assert full and len(rest) == 1
        lines = [
            json.loads(line)
            for key in full + rest
            for line in rt.store.get("output", key).decode().splitlines()
        ]
        assert len(lines) == 6 and len({x["itemId"] for x in lines}) == 6
        assert all(x["analysis"] == "probe" and x["response"]["Width"] == 96 for x in lines)
        assert all(key.startswith("firehose/") and key.endswith(".jsonl") for key in full)
        assert delivery.flush(force=True) == []  # delivered once
    finally:
        rt.close()
