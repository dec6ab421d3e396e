"""The catalog on SQLite and PostgreSQL: one item per version, its task in the same
transaction, idempotent re-recording, uploads through the API entry point."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sightline.config import Settings
from sightline.pipeline.catalog import Discovered, version_of
from sightline.pipeline.ingest import Ingestor, upload
from sightline.runtime import Runtime
from sightline.storage import MemoryStore, ObjectInfo

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100


@pytest.fixture
def runtime(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    rt = Runtime.open(settings, store=MemoryStore())
    rt.ensure_buckets()
    yield rt
    rt.close()


def test_version_identity() -> None:
    assert version_of(ObjectInfo("b", "k", 3, "abc", 1.5, "v1")) == "v:v1"
    assert version_of(ObjectInfo("b", "k", 3, "abc", 1.5, "null")) == "e:abc"
    assert version_of(ObjectInfo("b", "k", 3, None, 1.5)) == "s:3:1.500000"


def test_record_creates_item_and_task_once(runtime: Runtime) -> None:
    info = ObjectInfo("content", "labels/a.jpg", 104, "e1", 10.0)
    (first,) = runtime.catalog.record([Discovered(info, JPEG, "watch")])
    assert first.new and first.status == "PENDING" and first.workflow == "image"
    assert first.item_id is not None
    task = runtime.tasks.by_key(f"image:{first.item_id}")
    assert task is not None and task.payload["analyses"] == ["labels"]
    assert task.payload["media_type"] == "image/jpeg"
    # the same version again (even with a newer mtime): nothing new
    resaved = ObjectInfo("content", "labels/a.jpg", 104, "e1", 12.0)
    (again,) = runtime.catalog.record([Discovered(resaved, JPEG)])
    assert not again.new and again.item_id == first.item_id
    row = runtime.catalog.get(first.item_id)
    assert row is not None and row.mtime == 12.0  # remembered for the next scan
    assert sum(runtime.tasks.depth().values()) == 1
    # changed content: a new version, a new item, a new task
    changed = ObjectInfo("content", "labels/a.jpg", 104, "e2", 11.0)
    (second,) = runtime.catalog.record([Discovered(changed, JPEG)])
    assert second.new and second.item_id != first.item_id
    assert [v.id for v in runtime.catalog.versions("content", "labels/a.jpg")] == [
        second.item_id,
        first.item_id,
    ]
    assert sum(runtime.tasks.depth().values()) == 2


def test_duplicates_within_a_batch_count_once(runtime: Runtime) -> None:
    info = ObjectInfo("content", "faces/a.jpg", 104, "e1", 10.0)
    a, b = runtime.catalog.record([Discovered(info, JPEG), Discovered(info, JPEG)])
    assert a.new and not b.new and a.item_id == b.item_id
    assert runtime.catalog.counts() == {"PENDING": 1}


def test_rejections_are_recorded_without_tasks(runtime: Runtime) -> None:
    objs = [
        Discovered(ObjectInfo("content", "labels/notes.jpg", 5, "t", 1.0), b"hello"),
        Discovered(ObjectInfo("content", "celebrities/x.jpg", 104, "c", 1.0), JPEG),
        Discovered(ObjectInfo("content", "labels/clip.mp4", 64, "v", 1.0), b"\0\0\0 ftypisom"),
    ]
    text, celeb, video = runtime.catalog.record(objs)
    assert text.status == "REJECTED" and "text, not an image" in (text.reason or "")
    assert celeb.status == "REJECTED" and "RecognizeCelebrities" in (celeb.reason or "")
    row = runtime.catalog.get(str(text.item_id))
    assert row is not None and row.error == "InvalidImageFormatError"
    assert row.finished_at is not None
    # the video is queued for the video workflow, which picks up kind "video"
    assert video.status == "PENDING" and video.workflow == "video"
    assert runtime.tasks.depth() == {("video", "queued"): 1}
    assert runtime.catalog.counts() == {"REJECTED": 2, "PENDING": 1}


def test_upload_and_listing_ingest(runtime: Runtime) -> None:
    rec = upload(runtime.store, runtime.catalog, "content", "text/page.jpg", JPEG)
    assert rec.new and rec.status == "PENDING"
    again = upload(runtime.store, runtime.catalog, "content", "text/page.jpg", JPEG)
    assert not again.new and again.item_id == rec.item_id
    ingestor = Ingestor(runtime.store, runtime.catalog)
    runtime.store.put("content", "labels/b.jpg", JPEG)
    recorded, missing = ingestor.ingest_keys("content", ["labels/b.jpg", "labels/gone.jpg"], "s3")
    assert [r.new for r in recorded] == [True]
    assert [m.key for m in missing] == ["labels/gone.jpg"]
    listed = list(runtime.store.list("content"))
    assert runtime.catalog.unchanged(listed) == {
        ("content", "labels/b.jpg"),
        ("content", "text/page.jpg"),
    }
    recorded, _ = ingestor.ingest_listed(listed, "lister")
    assert recorded == []  # both known by size and mtime: not even read
    assert runtime.catalog.counts() == {"PENDING": 2}


def test_items_paging_and_filters(runtime: Runtime) -> None:
    objs = [
        Discovered(ObjectInfo("content", f"labels/{i:03}.jpg", 104, f"e{i}", 1.0), JPEG)
        for i in range(25)
    ]
    runtime.catalog.record(objs)
    page = runtime.catalog.items(limit=10)
    rest = runtime.catalog.items(limit=100, after_id=page[-1].id)
    assert len(page) == 10 and len(rest) == 15
    assert len(runtime.catalog.items(prefix="labels/00")) == 10
    assert runtime.catalog.items(statuses=["FAILED"]) == []
