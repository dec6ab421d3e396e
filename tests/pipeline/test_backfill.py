"""Backfills from inventories and listings: reasons for every bad row, resumable runs."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sightline.errors import InvalidManifestError
from sightline.pipeline.backfill import Backfill
from sightline.pipeline.ingest import Ingestor
from sightline.pipeline.inventory import read_inventory
from sightline.pipeline.lister import Lister
from sightline.runtime import Runtime
from sightline.storage import LocalStore
from tests.pipeline.images import distinct_jpeg
from tests.pipeline.test_image_task import drain, make_runtime


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    rt = make_runtime(tmp_path)
    yield rt
    rt.close()


def report_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_inventory_with_bad_rows(runtime: Runtime, tmp_path: Path) -> None:
    store = runtime.store
    for i in range(5):
        store.put("content", f"p/good-{i}.jpg", distinct_jpeg(i))
    good = distinct_jpeg(99)
    store.put("content", "p/truncated.jpg", good[: len(good) // 2])
    store.put("content", "p/readme.jpg", b"This is a text file, not a photo.\n")
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(
        "bucketName,objectName\n"
        + "".join(f"content,p/good-{i}.jpg\n" for i in range(5))
        + "content,p/truncated.jpg\n"
        + "content,p/readme.jpg\n"
        + "content,p/missing.jpg\n"
        + "content\n"  # malformed: one column
        + "Not A Bucket!,p/x.jpg\n"  # malformed: invalid bucket name
        + "content,p/a.jpg,extra\n"  # malformed: three columns
        + "content,celebrities/star.jpg\n"  # missing too (never stored)
    )
    report = tmp_path / "rejected.csv"
    summary = Backfill(runtime, batch_size=4, report=report).run_inventory(inventory)
    assert (summary.rows, summary.new, summary.known) == (12, 7, 0)
    rows = report_rows(report)
    by_line = {int(r["line"]): r["reason"] for r in rows}
    assert by_line[9].startswith("missing object:") and "p/missing.jpg" in by_line[9]
    assert by_line[10].startswith("malformed row: expected 2 columns")
    assert by_line[11].startswith("malformed row: Invalid bucket name")
    assert by_line[12].startswith("malformed row: expected 2 columns")
    assert by_line[8].startswith("rejected: Unsupported media type") and "text" in by_line[8]
    assert by_line[13].startswith("missing object:")
    assert summary.rejected == len(rows) == 6
    assert dict(summary.reasons) == {"missing object": 2, "malformed row": 3, "rejected": 1}
    # the workers finish the rest: every good image succeeds, the truncated one fails
    drain(runtime)
    statuses = {i.key: (i.status, i.error, i.reason) for i in runtime.catalog.items()}
    assert all(statuses[f"p/good-{i}.jpg"][0] == "SUCCEEDED" for i in range(5))
    status, error, reason = statuses["p/truncated.jpg"]
    assert (status, error) == ("FAILED", "InvalidImageFormatError") and "truncated" in str(reason)
    assert statuses["p/readme.jpg"][:2] == ("REJECTED", "InvalidImageFormatError")


def test_interrupted_backfill_resumes(runtime: Runtime, tmp_path: Path) -> None:
    for i in range(10):
        runtime.store.put("content", f"p/{i}.jpg", distinct_jpeg(i))
    inventory = tmp_path / "inv.csv"
    inventory.write_text("".join(f"content,p/{i}.jpg\n" for i in range(10)))

    calls = []

    def crash_after_two_batches(n: int) -> None:
        calls.append(n)
        if len(calls) == 2:
            raise KeyboardInterrupt

    job = Backfill(runtime, batch_size=3)
    with pytest.raises(KeyboardInterrupt):
        job.run_inventory(inventory, progress=crash_after_two_batches)
    assert runtime.catalog.counts() == {"PENDING": 6}
    again = Backfill(runtime, batch_size=3).run_inventory(inventory)
    assert (again.resumed_after, again.rows, again.new, again.known) == (6, 4, 4, 0)
    assert runtime.catalog.counts() == {"PENDING": 10}
    done = Backfill(runtime, batch_size=3).run_inventory(inventory)
    assert done.already_done and done.new == 10
    restarted = Backfill(runtime, batch_size=3).run_inventory(inventory, restart=True)
    assert (restarted.rows, restarted.new, restarted.known) == (10, 0, 10)
    assert sum(runtime.tasks.depth().values()) == 10


def test_s3_inventory_manifest(runtime: Runtime, tmp_path: Path) -> None:
    runtime.store.put("content", "p/a b.jpg", distinct_jpeg(1))
    data = tmp_path / "inv" / "data" / "part-1.csv.gz"
    data.parent.mkdir(parents=True)
    rows = [
        ["content", "p/a+b.jpg", "123", "2024-05-01T10:00:00.000Z", "etag-1", "true", "false"],
        ["content", "p/old.jpg", "5", "2024-05-01T10:00:00.000Z", "etag-2", "false", "false"],
        ["content", "p/deleted.jpg", "", "", "", "true", "true"],
        ["content", "p/short-row.jpg"],
    ]
    with gzip.open(data, "wt", newline="") as fh:
        csv.writer(fh).writerows(rows)
    manifest = tmp_path / "inv" / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "sourceBucket": "content",
                "fileFormat": "CSV",
                "fileSchema": "Bucket, Key, Size, LastModifiedDate, ETag, IsLatest, IsDeleteMarker",
                "files": [{"key": "inventory/content/data/part-1.csv.gz", "size": 1}],
            }
        )
    )
    parsed = list(read_inventory(manifest))
    assert parsed[0].key == "p/a b.jpg" and parsed[0].info is not None
    assert (parsed[0].info.size, parsed[0].info.etag) == (123, "etag-1")
    assert parsed[1].skip and parsed[2].skip and parsed[3].error is not None
    summary = Backfill(runtime, report=tmp_path / "r.csv").run_inventory(manifest)
    assert (summary.rows, summary.new, summary.skipped, summary.rejected) == (4, 1, 2, 1)
    # the facts came from the inventory: the image task reads the bytes and succeeds
    drain(runtime)
    (item,) = runtime.catalog.items()
    assert (item.key, item.version, item.status) == ("p/a b.jpg", "e:etag-1", "SUCCEEDED")
    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    with pytest.raises(InvalidManifestError, match="fileSchema"):
        list(read_inventory(broken))


def test_listing_backfill_and_lister(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "storage")
    rt = make_runtime(tmp_path, store=store)
    try:
        rt.ensure_buckets()
        for i in range(7):
            store.put("content", f"p/{i}.jpg", distinct_jpeg(i))
        summary = Backfill(rt, batch_size=3).run_listing("content", "p/")
        assert (summary.rows, summary.new) == (7, 7)
        lister = Lister(store, Ingestor(store, rt.catalog), rt.engine, page=2)
        assert lister.poll("content", "p/").new == 0  # nothing changed
        store.put("content", "p/new.jpg", distinct_jpeg(50))
        store.put("content", "p/3.jpg", distinct_jpeg(3))  # saved again, same bytes
        passed = lister.poll("content", "p/")
        assert (passed.listed, passed.new) == (8, 1)
        assert rt.catalog.counts() == {"PENDING": 8}
    finally:
        rt.close()
