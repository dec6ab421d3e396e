"""The whole embedded pipeline with real worker processes: watcher, events, limits, crashes.

Most images here run the built-in ``metadata`` analysis (routed by a configured rule
for ``bulk/``; it reads headers, not pixels), so the tests measure the pipeline rather
than the models; a few go through the other built-in analyzers by the reference folder
convention (``labels/``, ``faces/``, ``text/``, ``moderation/``). The rate, cap and crash
tests use ``probe``/``slowprobe`` (``tests/pipeline/probe_analyzer.py``), whose work
takes a known time.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sightline.api.app import create_app
from sightline.config import Settings
from sightline.db import tx
from sightline.embedded import EmbeddedSystem
from sightline.pipeline.backfill import Backfill
from sightline.pipeline.catalog import I
from sightline.pipeline.ingest import upload
from sightline.pipeline.outputs import response_key
from sightline.pipeline.queue import T
from sightline.runtime import Runtime
from sightline.storage import ObjectStore
from tests.botocore_shapes import assert_valid_output
from tests.conftest import sample_bytes
from tests.pipeline.images import distinct_jpeg
from tests.pipeline.live import serve
from tests.pipeline.probe_analyzer import probe_settings
from tests.waiting import wait_until

pytestmark = pytest.mark.slow


def make_settings(tmp_path: Path, database_url: str | None = None, **pipeline: Any) -> Settings:
    defaults: dict[str, Any] = {
        "workers": 2,
        "lease_seconds": 10.0,
        "heartbeat_seconds": 1.0,
        "idle_poll_seconds": 0.05,
        "watch_quiet_seconds": 0.2,
        "backoff_seconds": 0.05,
        # The bulk runs the built-in metadata analysis: real, and cheap (no pixels).
        "rules": [{"match": "bulk/**", "analyses": ["metadata"]}],
    }
    defaults.update(pipeline)
    storage = defaults.pop("storage", None)
    extra: dict[str, Any] = {"storage": storage} if storage else {}
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        pipeline=probe_settings(**defaults),
        **extra,
    )


def counts(rt: Runtime) -> dict[str, int]:
    return rt.catalog.counts()


def assert_outputs(rt: Runtime, expected: int, prefix: str = "bulk/") -> None:
    """Every item under ``prefix`` SUCCEEDED with its response.json where the reference
    puts it, written once."""
    items = rt.catalog.items(prefix=prefix, limit=expected + 10)
    assert len(items) == expected
    for item in items:
        assert item.status == "SUCCEEDED", (item.key, item.error, item.reason)
        key = response_key("sync/", item.key, item.id)
        doc = json.loads(rt.store.get("output", key))
        assert (doc["format"], doc["width"]) == ("jpeg", 96)
    written = [
        o.key for o in rt.store.list("output", "sync/" + prefix) if o.key.endswith("response.json")
    ]
    assert len(written) == expected == len(set(written))


# The reference convention: the first folder names the API. Each real analyzer here.
CONVENTION = {
    "labels/chelsea.png": ("chelsea.png", "DetectLabels"),
    "faces/astronaut.png": ("astronaut.png", "DetectFaces"),
    "text/page.png": ("page.png", "DetectText"),
    "moderation/coffee.png": ("coffee.png", "DetectModerationLabels"),
}


def test_300_images_dropped_while_serving(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url)
    content = settings.data_dir / "storage" / "content"
    folder = content / "bulk"
    folder.mkdir(parents=True)
    bulk = 300 - len(CONVENTION)
    # Saved while Sightline was stopped: the startup scan finds them.
    for i in range(20):
        (folder / f"early-{i:03}.jpg").write_bytes(distinct_jpeg(i))
    with EmbeddedSystem(settings) as system:
        rt = system.runtime
        for key, (sample, _) in CONVENTION.items():
            (content / key).parent.mkdir(exist_ok=True)
            (content / key).write_bytes(sample_bytes(sample))
        (content / "celebrities").mkdir()
        (content / "celebrities" / "star.png").write_bytes(sample_bytes("astronaut.png"))
        # Saved while serving, by plain writes (not atomic): the quiet period waits.
        for i in range(20, bulk):
            sub = folder / f"d{i % 7}"
            sub.mkdir(exist_ok=True)
            (sub / f"img-{i:03}.jpg").write_bytes(distinct_jpeg(i))
        wait_until(lambda: counts(rt).get("SUCCEEDED", 0) == 300, 240, "300 SUCCEEDED items")
        assert counts(rt) == {"SUCCEEDED": 300, "REJECTED": 1}
        assert_outputs(rt, bulk)
        for key, (_, operation) in CONVENTION.items():
            (item,) = rt.catalog.versions("content", key)
            assert item.analyses == [key.split("/")[0]]
            doc = json.loads(rt.store.get("output", response_key("sync/", key, item.id)))
            assert_valid_output(operation, doc)
        faces = json.loads(
            rt.store.get(
                "output",
                response_key(
                    "sync/",
                    "faces/astronaut.png",
                    rt.catalog.versions("content", "faces/astronaut.png")[0].id,
                ),
            )
        )
        assert len(faces["FaceDetails"]) == 1
        (celebrity,) = rt.catalog.versions("content", "celebrities/star.png")
        assert celebrity.status == "REJECTED" and "not supported" in str(celebrity.reason)

        # Saved again unchanged: recognised by content, no new task.
        same = folder / "early-000.jpg"
        same.write_bytes(distinct_jpeg(0))
        time.sleep(1.5)
        assert sum(rt.tasks.depth().values()) == 300
        assert len(rt.catalog.versions("content", "bulk/early-000.jpg")) == 1
        # Changed content: a new version, processed.
        same.write_bytes(distinct_jpeg(1000))
        wait_until(
            lambda: (
                [v.status for v in rt.catalog.versions("content", "bulk/early-000.jpg")]
                == ["SUCCEEDED", "SUCCEEDED"]
            ),
            60,
            "the changed file's new version",
        )
        assert sum(rt.tasks.depth().values()) == 301


def test_s3_storage_with_event_endpoint(tmp_path: Path, s3_settings: dict[str, Any]) -> None:
    import uuid

    suffix = uuid.uuid4().hex[:8]
    settings = make_settings(
        tmp_path,
        input_bucket=f"in-{suffix}",
        output_bucket=f"out-{suffix}",
        events_token="tok",
        storage={"backend": "s3", "s3": s3_settings},
    )
    bucket = settings.pipeline.input_bucket
    with (
        EmbeddedSystem(settings) as system,
        serve(create_app(settings, runtime=system.runtime)) as api,
    ):
        rt = system.runtime
        keys = [f"bulk/photo {i} + more.jpg" for i in range(24)]
        for i, key in enumerate(keys):
            rt.store.put(bucket, key, distinct_jpeg(i))
        rt.store.put(bucket, "bulk/readme.jpg", b"not an image at all")
        records = [
            {
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": bucket},
                    # S3 URL-encodes keys in events, spaces as '+'
                    "object": {"key": k.replace("+", "%2B").replace(" ", "+")},
                },
            }
            for k in [*keys, "bulk/readme.jpg"]
        ]
        r = api.post(
            "/events/s3", json={"Records": records}, headers={"Authorization": "Bearer tok"}
        )
        assert r.status_code == 200, r.text
        assert sorted(x["key"] for x in r.json()["recorded"]) == sorted([*keys, "bulk/readme.jpg"])
        wait_until(lambda: counts(rt).get("SUCCEEDED", 0) == 24, 120, "24 SUCCEEDED items")
        assert counts(rt) == {"SUCCEEDED": 24, "REJECTED": 1}
        for item in rt.catalog.items(statuses=["SUCCEEDED"]):
            doc = json.loads(
                rt.store.get(
                    settings.pipeline.output_bucket, response_key("sync/", item.key, item.id)
                )
            )
            assert (doc["format"], doc["width"]) == ("jpeg", 96)
        status = api.get("/status").json()
        assert {"kind": "image", "state": "done", "count": 24} in status["queue"]


def claim_times(rt: Runtime) -> list[float]:
    with tx.read(rt.engine) as conn:
        return sorted(float(t) for t in conn.execute(select(T.c.started_at)).scalars())


def test_rate_limit_and_concurrency_cap_across_two_workers(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        limits={"image": {"rate": 5.0, "burst": 1}},
        rules=[
            {"match": "rate/**", "analyses": ["probe"]},
            {"match": "cap/**", "analyses": ["slowprobe"]},
        ],
        sleep=0.05,
        watch=False,
    )
    with EmbeddedSystem(settings) as system:
        rt = system.runtime
        wait_until(
            lambda: len(system.executor.pids()) == 2 if system.executor else False, 30, "2 workers"
        )
        for i in range(16):
            upload(rt.store, rt.catalog, "content", f"rate/{i}.jpg", distinct_jpeg(i))
        wait_until(lambda: counts(rt).get("SUCCEEDED", 0) == 16, 60, "16 rate-limited images")
        started = claim_times(rt)
        rate = (len(started) - 1) / (started[-1] - started[0])
        assert rate <= 5.5, f"measured {rate:.2f} tasks/s with a limit of 5/s"

        # Change the limits live, in the database: a concurrency cap of 1, no rate limit.
        rt.tasks.set_limit("image", max_running=1)
        for i in range(12):
            upload(rt.store, rt.catalog, "content", f"cap/{i}.jpg", distinct_jpeg(100 + i))
        wait_until(lambda: counts(rt).get("SUCCEEDED", 0) == 28, 60, "12 capped images")
        intervals = []
        for item in rt.catalog.items(prefix="cap/"):
            doc = json.loads(rt.store.get("output", response_key("sync/", item.key, item.id)))
            intervals.append((doc["Started"], doc["Ended"]))
        intervals.sort()
        overlaps = [(a, b) for a, b in itertools.pairwise(intervals) if b[0] < a[1]]
        assert overlaps == [], "two images were analysed at once under a cap of 1"
        with tx.read(rt.engine) as conn:
            owners = set(conn.execute(select(T.c.lease_owner)).scalars())
        assert len(owners) == 2  # both workers took part


def test_worker_killed_mid_backfill(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        rules=[{"match": "bulk/**", "analyses": ["slowprobe"]}],
        sleep=0.02,
        lease_seconds=2.0,
        heartbeat_seconds=0.4,
        watch=False,
    )
    content = settings.data_dir / "storage" / "content" / "bulk"
    content.mkdir(parents=True)
    for i in range(200):
        (content / f"{i:03}.jpg").write_bytes(distinct_jpeg(i))
    inventory = tmp_path / "inventory.csv"
    inventory.write_text("".join(f"content,bulk/{i:03}.jpg\n" for i in range(200)))
    with EmbeddedSystem(settings) as system:
        rt = system.runtime
        summary = Backfill(rt, batch_size=50).run_inventory(inventory)
        assert summary.new == 200
        wait_until(lambda: counts(rt).get("SUCCEEDED", 0) >= 30, 60, "30 SUCCEEDED items")
        assert system.executor is not None
        held: list[int] = []
        for _ in range(50):
            pid = system.executor.pids()[0]
            os.kill(pid, signal.SIGSTOP)  # freeze it, so what it holds cannot change
            owner = f"{socket.gethostname()}:{pid}"
            with tx.read(rt.engine) as conn:
                held = list(
                    conn.execute(
                        select(T.c.id).where(T.c.lease_owner == owner, T.c.state == "running")
                    ).scalars()
                )
            if held:
                os.kill(pid, signal.SIGKILL)
                break
            os.kill(pid, signal.SIGCONT)
            time.sleep(0.05)
        assert held, "the worker never held a task when looked at"
        wait_until(lambda: counts(rt).get("SUCCEEDED", 0) == 200, 120, "200 SUCCEEDED items")
        assert counts(rt) == {"SUCCEEDED": 200}
        with tx.read(rt.engine) as conn:
            tasks = {r.id: r for r in conn.execute(select(T.c.id, T.c.attempts, T.c.payload))}
            attempts = dict(conn.execute(select(I.c.id, I.c.attempts)).all())
            results = conn.exec_driver_sql(
                "SELECT count(*), count(DISTINCT item_id) FROM results"
            ).one()
        for task_id in held:
            task = tasks[task_id]
            assert task.attempts == 2  # the killed attempt, then the one that succeeded
            assert attempts[task.payload["item"]] == 2
        assert tuple(results) == (200, 200)
        store: ObjectStore = rt.store
        outputs = [o.key for o in store.list("output") if o.key.endswith("response.json")]
        assert len(outputs) == 200
        # the executor replaced the killed process
        wait_until(
            lambda: len(system.executor.pids()) == 2 if system.executor else False,
            30,
            "a restarted worker",
        )
