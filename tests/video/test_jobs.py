"""The video job store: Start* idempotency and refusals, Get* pages, settling once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sightline.config import Settings
from sightline.db import tx
from sightline.errors import (
    IdempotentParameterMismatchError,
    InvalidPaginationTokenError,
    InvalidParameterError,
    InvalidS3ObjectError,
    LimitExceededError,
    ResourceNotFoundError,
    VideoTooLargeError,
)
from sightline.runtime import Runtime
from sightline.video.apis import FACE_SEARCH, FACES, LABELS, PEOPLE, SEGMENTS, TIMESTAMPS
from sightline.video.jobs import FAILED, IN_PROGRESS, SUCCEEDED, VIDEO_KIND, VideoJobs, jobs_of
from sightline.video.records import Record, page


@pytest.fixture
def runtime(tmp_path: Path, database_url: str) -> Iterator[Runtime]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        video={"max_object_bytes": 1000, "max_concurrent_jobs": 2},
        notify={"topics": {"done": {"webhook": "http://127.0.0.1:9/hook"}}},
    )
    rt = Runtime.open(settings)
    rt.store.ensure_bucket("content")
    rt.store.put("content", "clip.mp4", b"\x00" * 100)
    try:
        yield rt
    finally:
        rt.close()


def _request(**extra: object) -> dict[str, object]:
    return {"Video": {"S3Object": {"Bucket": "content", "Name": "clip.mp4"}}, **extra}


def test_start_records_the_job_and_queues_it(runtime: Runtime) -> None:
    jobs = jobs_of(runtime)
    job_id = jobs.start(LABELS, _request(JobTag="t1"), owner="SLAKTEST")
    job = jobs.get(job_id, LABELS)
    assert len(job_id) == 64
    assert (job.status, job.job_tag, job.bucket, job.name, job.owner) == (
        IN_PROGRESS,
        "t1",
        "content",
        "clip.mp4",
        "SLAKTEST",
    )
    task = runtime.tasks.by_key(f"video-job:{job_id}")
    assert task is not None and task.kind == VIDEO_KIND and task.payload == {"job": job_id}


def test_client_request_token_makes_start_idempotent(runtime: Runtime) -> None:
    jobs = jobs_of(runtime)
    first = jobs.start(LABELS, _request(ClientRequestToken="tok-1"))
    assert jobs.start(LABELS, _request(ClientRequestToken="tok-1")) == first
    # The same token names another job for another API.
    assert jobs.start(FACES, _request(ClientRequestToken="tok-1")) != first
    with pytest.raises(IdempotentParameterMismatchError, match="tok-1"):
        jobs.start(LABELS, _request(ClientRequestToken="tok-1", MinConfidence=90.0))
    assert len(jobs.list()) == 2


def test_start_refuses_bad_input(runtime: Runtime) -> None:
    jobs = jobs_of(runtime)
    missing = {"Video": {"S3Object": {"Bucket": "content", "Name": "nope.mp4"}}}
    with pytest.raises(InvalidS3ObjectError, match=r"nope\.mp4"):
        jobs.start(LABELS, missing)
    runtime.store.put("content", "big.mp4", b"\x00" * 2000)
    with pytest.raises(VideoTooLargeError, match="1,000"):
        jobs.start(LABELS, {"Video": {"S3Object": {"Bucket": "content", "Name": "big.mp4"}}})
    with pytest.raises(ResourceNotFoundError, match="nobody"):
        jobs.start(FACE_SEARCH, _request(CollectionId="nobody"))
    channel = {"SNSTopicArn": "arn:aws:sns:us-east-1:1:unknown", "RoleArn": "arn:aws:iam::1:r"}
    with pytest.raises(InvalidParameterError, match="unknown"):
        jobs.start(LABELS, _request(NotificationChannel=channel))
    assert jobs.list() == []


def test_refuse_over_limit_reproduces_limit_exceeded(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(
        update={"video": runtime.settings.video.model_copy(update={"refuse_over_limit": True})}
    )
    jobs = VideoJobs(runtime.engine, runtime.tasks, runtime.store, settings)
    jobs.start(LABELS, _request())
    jobs.start(LABELS, _request())
    with pytest.raises(LimitExceededError, match="at most 2"):
        jobs.start(LABELS, _request())


def test_unknown_job_and_wrong_api_are_not_found(runtime: Runtime) -> None:
    jobs = jobs_of(runtime)
    job_id = jobs.start(LABELS, _request())
    with pytest.raises(ResourceNotFoundError):
        jobs.get("0" * 64)
    with pytest.raises(ResourceNotFoundError, match="FaceDetection"):
        jobs.get(job_id, FACES)


def _settle(runtime: Runtime, jobs: VideoJobs, job_id: str, records: list[Record]) -> None:
    job = jobs.get(job_id)
    with tx.write(runtime.engine) as conn:
        jobs.succeed(
            conn,
            job,
            {TIMESTAMPS: records, SEGMENTS: records[:2]},
            details={"ModelVersion": "m1"},
            message=None,
            partial=False,
            output=("output", "async/clip.mp4-analysis/x/response.json"),
        )


def test_pages_return_every_record_once_in_each_order(runtime: Runtime) -> None:
    jobs = jobs_of(runtime)
    job_id = jobs.start(PEOPLE, _request())
    records = [
        Record(
            t * 500, {"Timestamp": t * 500, "Person": {"Index": (t * 7) % 3}}, person=(t * 7) % 3
        )
        for t in range(23)
    ]
    _settle(runtime, jobs, job_id, records)
    assert jobs.get(job_id).status == SUCCEEDED
    assert jobs.get(job_id).record_count == 23
    for sort in ("TIMESTAMP", "INDEX"):
        seen: list[dict[str, object]] = []
        token = None
        pages = 0
        while True:
            with tx.read(runtime.engine) as conn:
                chunk, token = page(
                    conn,
                    job_id,
                    aggregation=TIMESTAMPS,
                    sort=sort,
                    max_results=5,
                    next_token=token,
                )
            seen.extend(chunk)
            pages += 1
            if token is None:
                break
        assert pages == 5
        assert sorted(r["Timestamp"] for r in seen) == [t * 500 for t in range(23)]  # type: ignore[type-var]
        key = (
            (lambda r: r["Timestamp"])
            if sort == "TIMESTAMP"
            else (lambda r: (r["Person"]["Index"], r["Timestamp"]))  # type: ignore[index]
        )
        assert seen == sorted(seen, key=key)  # type: ignore[arg-type]
    with tx.read(runtime.engine) as conn:
        segments, _ = page(
            conn, job_id, aggregation=SEGMENTS, sort="TIMESTAMP", max_results=None, next_token=None
        )
    assert len(segments) == 2


def test_a_token_cannot_be_replayed_elsewhere(runtime: Runtime) -> None:
    jobs = jobs_of(runtime)
    job_id = jobs.start(PEOPLE, _request())
    _settle(runtime, jobs, job_id, [Record(t, {"Timestamp": t}) for t in range(4)])
    with tx.read(runtime.engine) as conn:
        _, token = page(
            conn, job_id, aggregation=TIMESTAMPS, sort="TIMESTAMP", max_results=2, next_token=None
        )
        assert token is not None
        with pytest.raises(InvalidPaginationTokenError):
            page(
                conn, job_id, aggregation=TIMESTAMPS, sort="INDEX", max_results=2, next_token=token
            )
        with pytest.raises(InvalidPaginationTokenError):
            page(
                conn,
                job_id,
                aggregation=TIMESTAMPS,
                sort="TIMESTAMP",
                max_results=2,
                next_token="x!",
            )


def test_a_job_settles_once_and_notifies_once(runtime: Runtime) -> None:
    from sightline.notify.outbox import Outbox

    jobs = jobs_of(runtime)
    channel = {"SNSTopicArn": "arn:aws:sns:us-east-1:123456789012:done", "RoleArn": "r"}
    job_id = jobs.start(LABELS, _request(NotificationChannel=channel, JobTag="tag"))
    job = jobs.get(job_id)
    with tx.write(runtime.engine) as conn:
        jobs.fail(conn, job, "The file is not a video.")
    with tx.write(runtime.engine) as conn:
        jobs.fail(conn, job, "again")  # a task that ran twice
    settled = jobs.get(job_id)
    assert (settled.status, settled.status_message) == (FAILED, "The file is not a video.")
    rows = Outbox(runtime.engine).list()
    assert len(rows) == 1
    message = json.loads(rows[0].body)
    assert message["JobId"] == job_id
    assert message["Status"] == "FAILED"
    assert message["API"] == "StartLabelDetection"
    assert message["JobTag"] == "tag"
    assert message["Video"] == {"S3ObjectName": "clip.mp4", "S3Bucket": "content"}
    assert isinstance(message["Timestamp"], int)


def test_purge_forgets_old_finished_jobs_and_their_records(runtime: Runtime) -> None:
    jobs = jobs_of(runtime)
    done = jobs.start(LABELS, _request())
    running = jobs.start(LABELS, _request())
    _settle(runtime, jobs, done, [Record(0, {"Timestamp": 0})])
    assert jobs.purge(older_than=3600) == 0  # finished just now: kept
    assert jobs.purge(older_than=-1) == 1
    assert [j.job_id for j in jobs.list()] == [running]
    with tx.read(runtime.engine) as conn:
        records, _ = page(
            conn, done, aggregation=TIMESTAMPS, sort="TIMESTAMP", max_results=None, next_token=None
        )
    assert records == []
