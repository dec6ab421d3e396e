"""Scheduled batches: the model loads only when images wait, once per run, and no source is
deleted before its results are written."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator

import pytest

from sightline.customlabels.batch_runner import BatchRunner
from sightline.customlabels.batches import create_batch, list_runs, next_time
from sightline.customlabels.host import VersionHost
from sightline.customlabels.versions import STOPPED, describe_version
from sightline.errors import InvalidParameterError
from sightline.storage import ObjectStore
from tests.customlabels import synthetic
from tests.customlabels.fixtures import Trained, clone_version


@pytest.fixture
def host(trained: Trained) -> Iterator[VersionHost]:
    h = VersionHost(trained.runtime)
    yield h
    h.close()


def put_images(store: ObjectStore, bucket: str, n: int, seed: int) -> list[str]:
    store.ensure_bucket(bucket)
    keys = []
    for i, (label, data) in enumerate(synthetic.dataset(n // 3 + 1, seed=seed)[:n]):
        key = f"incoming/{i:02d}-{label}.jpg"
        store.put(bucket, key, data, content_type="image/jpeg")
        keys.append(key)
    return keys


def keys_in(store: ObjectStore, bucket: str) -> set[str]:
    return {o.key for o in store.list(bucket)}


def test_empty_queue_never_loads_the_model(trained: Trained, host: VersionHost) -> None:
    rt = trained.runtime
    arn = clone_version(rt, trained.version_arn, "batch-empty")
    rt.store.ensure_bucket("empty-src")
    create_batch(rt, "empty", arn, source_bucket="empty-src", final_bucket="empty-final")
    run = BatchRunner(host).run("empty", trigger="schedule")
    assert run.status == "EMPTY" and run.queued == 0
    assert run.model_loads == 0 and run.model_started_at is None
    assert host.loads == 0 and not host.running(arn)
    assert describe_version(rt, arn).status == "TRAINING_COMPLETED"


def test_twenty_images_load_the_model_once(trained: Trained, host: VersionHost) -> None:
    rt = trained.runtime
    store = rt.store
    arn = clone_version(rt, trained.version_arn, "batch-twenty")
    sources = put_images(store, "twenty-src", 20, seed=11)
    create_batch(
        rt,
        "twenty",
        arn,
        source_bucket="twenty-src",
        source_prefix="incoming/",
        final_bucket="twenty-final",
    )
    seen: list[tuple[str, str]] = []
    run = BatchRunner(host).run(
        "twenty", on_progress=lambda outcome, key: seen.append((outcome, key))
    )
    assert run.status == "SUCCEEDED", run.error
    assert (run.queued, run.processed, run.failed) == (20, 20, 0)
    assert run.model_loads == 1 and host.loads == 1
    assert run.model_started_at is not None and run.model_stopped_at is not None
    assert run.started_at <= run.model_started_at < run.model_stopped_at <= (run.ended_at or 0)
    assert sorted(k for _, k in seen) == sorted(sources)
    final = keys_in(store, "twenty-final")
    assert final == set(sources) | {f"{k}.json" for k in sources}
    assert keys_in(store, "twenty-src") == set()
    doc = json.loads(store.get("twenty-final", f"{sources[0]}.json"))
    assert doc["CustomLabels"][0]["Name"] == sources[0].split("-")[1].removesuffix(".jpg")
    # the copy is the original image, byte for byte
    assert store.get("twenty-final", sources[1]) == synthetic.dataset(7, seed=11)[1][1]
    assert describe_version(rt, arn).status == STOPPED and not host.running(arn)
    # the next run finds nothing and loads nothing
    again = BatchRunner(host).run("twenty")
    assert again.status == "EMPTY" and again.model_loads == 0 and host.loads == 1
    assert [r.status for r in list_runs(rt, "twenty")] == ["EMPTY", "SUCCEEDED"]


def test_killed_unit_deletes_no_source_without_results(trained: Trained, host: VersionHost) -> None:
    rt = trained.runtime
    store = rt.store
    arn = clone_version(rt, trained.version_arn, "batch-killed")
    sources = put_images(store, "killed-src", 20, seed=12)
    create_batch(rt, "killed", arn, source_bucket="killed-src", final_bucket="killed-final")
    done: list[str] = []

    def kill_after_five(outcome: str, key: str) -> None:
        done.append(key)
        if len(done) == 5:
            (pid,) = host.pids(arn)
            os.kill(pid, signal.SIGKILL)

    first = BatchRunner(host).run("killed", on_progress=kill_after_five)
    assert first.status == "FAILED"
    assert "Inference unit(s) died" in (first.error or "")
    assert 5 <= first.processed < 20
    left = keys_in(store, "killed-src")
    final = keys_in(store, "killed-final")
    for key in sources:
        if key not in left:  # deleted from the source: both results exist
            assert {key, f"{key}.json"} <= final
    assert left, "the kill came after every image was done"
    assert describe_version(rt, arn).status == STOPPED

    second = BatchRunner(host).run("killed")
    assert second.status == "SUCCEEDED", second.error
    assert first.processed + second.processed == 20
    assert keys_in(store, "killed-src") == set()
    assert keys_in(store, "killed-final") == set(sources) | {f"{k}.json" for k in sources}


def test_schedule(trained: Trained, host: VersionHost) -> None:
    rt = trained.runtime
    arn = clone_version(rt, trained.version_arn, "batch-scheduled")
    rt.store.ensure_bucket("sched-src")
    batch = create_batch(
        rt, "scheduled", arn, source_bucket="sched-src", final_bucket="sched-final"
    )
    assert batch.schedule == "0 * * * *"
    assert batch.next_run_at is not None and batch.next_run_at % 3600 == 0
    runner = BatchRunner(host)
    assert runner.run_due(now=batch.next_run_at - 1) == []
    (run,) = [r for r in runner.run_due(now=batch.next_run_at + 1) if r.batch == "scheduled"]
    assert run.trigger == "schedule" and run.status == "EMPTY"
    assert runner.run_due(now=batch.next_run_at + 2) == []  # the next time is an hour on
    assert next_time("*/15 * * * *", 0.0) == 900.0


def test_batch_definitions_are_checked(trained: Trained) -> None:
    rt = trained.runtime
    with pytest.raises(InvalidParameterError, match="not a cron expression"):
        create_batch(
            rt,
            "bad",
            trained.version_arn,
            source_bucket="aaa",
            final_bucket="bbb",
            schedule="hourly",
        )
    with pytest.raises(InvalidParameterError, match="would land among the source images"):
        create_batch(rt, "loop", trained.version_arn, source_bucket="aaa", final_bucket="aaa")
