"""Video jobs through the whole system: boto3 Start*/Get* against a live server, a real
worker process, the concurrency cap, signed completion notifications that survive the
worker's death, paging, and bad videos failing alone.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sightline.analyzers.base import AnalyzerPool
from sightline.api.app import create_app
from sightline.api.services import ApiServices, build_services
from sightline.config import Settings
from sightline.executors.local import LocalExecutor
from sightline.notify.dispatcher import Dispatcher
from sightline.notify.signing import verify_signature
from sightline.runtime import Runtime
from sightline.video.jobs import jobs_of
from tests.api.live import rekognition, serve
from tests.botocore_shapes import assert_valid_output
from tests.media.videos import astronaut_scene, cut_scene, not_a_video, truncate
from tests.notify.receiver import Receiver, receiving
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

BUCKET = "videos"
TOPIC = "arn:aws:sns:us-east-1:123456789012:video-done"
SECRET = "video-test-secret"


@dataclass
class Live:
    settings: Settings
    runtime: Runtime
    services: ApiServices
    client: Any
    receiver: Receiver
    executor: LocalExecutor

    def video(self, name: str) -> dict[str, Any]:
        return {"S3Object": {"Bucket": BUCKET, "Name": name}}

    def status(self, operation: str, job_id: str) -> str:
        return str(getattr(self.client, operation)(JobId=job_id)["JobStatus"])

    def wait(self, operation: str, job_id: str, timeout: float = 240) -> dict[str, Any]:
        wait_until(
            lambda: self.status(operation, job_id) != "IN_PROGRESS", timeout, f"job {job_id}"
        )
        response = getattr(self.client, operation)(JobId=job_id)
        response.pop("ResponseMetadata")
        return dict(response)


def _snake(operation: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, analyzer_pool: AnalyzerPool) -> Iterator[Live]:
    root: Path = tmp_path_factory.mktemp("video-e2e")
    with receiving() as receiver:
        settings = Settings(
            data_dir=root / "data",
            models={"model_dir": root / "models"},
            video={"max_concurrent_jobs": 1},
            notify={"topics": {"video-done": {"webhook": receiver.url}}, "secret": SECRET},
            pipeline={
                "workers": 1,
                "lease_seconds": 6.0,
                "heartbeat_seconds": 1.0,
                "idle_poll_seconds": 0.1,
                "backoff_seconds": 0.2,
            },
        )
        runtime = Runtime.open(settings)
        runtime.ensure_buckets()
        runtime.apply_limits()
        runtime.store.ensure_bucket(BUCKET)
        clips = root / "clips"
        clips.mkdir()
        astronaut = astronaut_scene(clips / "astronaut.mp4")
        cut = cut_scene(clips / "cut.mp4")
        for name, path in [
            ("astronaut.mp4", astronaut.path),
            ("cut.mp4", cut.path),
            ("truncated.mp4", truncate(astronaut.path, clips / "truncated.mp4", 0.5)),
            ("notes.mp4", not_a_video(clips / "notes.mp4", "text")),
        ]:
            runtime.store.put(BUCKET, name, path.read_bytes())
        services = build_services(settings, analyzers=analyzer_pool, runtime=runtime)
        key = services.keys.create(name="video")
        executor = LocalExecutor(settings, workers=1, kinds=["video-job"])
        executor.start()
        try:
            with serve(create_app(settings, services=services)) as url:
                client = rekognition(url, key.info.access_key_id, key.secret_access_key)
                yield Live(settings, runtime, services, client, receiver, executor)
        finally:
            executor.stop()
            services.close()
            runtime.close()


def test_jobs_run_one_at_a_time_and_notify_even_when_the_worker_dies(live: Live) -> None:
    channel = {"SNSTopicArn": TOPIC, "RoleArn": "arn:aws:iam::123456789012:role/rekognition"}
    starts = [
        ("StartFaceDetection", "GetFaceDetection", live.video("astronaut.mp4"), {}),
        ("StartLabelDetection", "GetLabelDetection", live.video("astronaut.mp4"), {}),
        (
            "StartSegmentDetection",
            "GetSegmentDetection",
            live.video("cut.mp4"),
            {"SegmentTypes": ["SHOT", "TECHNICAL_CUE"]},
        ),
    ]
    jobs: list[tuple[str, str]] = []
    for n, (start, get, video, extra) in enumerate(starts):
        response = getattr(live.client, _snake(start))(
            Video=video, NotificationChannel=channel, JobTag=f"job-{n}", **extra
        )
        assert_valid_output(start, {k: v for k, v in response.items() if k != "ResponseMetadata"})
        jobs.append((get, response["JobId"]))
    # Kill the worker as soon as the first job has finished: its notification waits in
    # the outbox (no dispatcher runs yet), the second job dies with the worker and runs
    # again once its lease expires and the executor has started a new worker.
    store = jobs_of(live.runtime)
    wait_until(lambda: store.get(jobs[0][1]).finished, 240, "the first job")
    [pid] = live.executor.pids()
    os.kill(pid, signal.SIGKILL)
    for get, job_id in jobs:
        response = live.wait(_snake(get), job_id)
        assert_valid_output(get, response)
        assert response["JobStatus"] == "SUCCEEDED", response.get("StatusMessage")
    rows = sorted((store.get(j) for _, j in jobs), key=lambda r: r.started_at or 0)
    for before, after in itertools.pairwise(rows):
        assert before.finished_at is not None and after.started_at is not None
        assert after.started_at >= before.finished_at  # never two at once

    assert live.receiver.received == []  # nothing delivered: the outbox holds them
    assert Dispatcher(live.runtime.engine, live.settings).deliver_due() == 3
    messages = {}
    for got in live.receiver.received:
        stamp, signature = (
            got.headers["x-sightline-timestamp"],
            got.headers["x-sightline-signature"],
        )
        assert verify_signature(SECRET, stamp, got.body, signature)
        envelope = json.loads(got.body)
        assert envelope["Type"] == "Notification" and envelope["TopicArn"] == TOPIC
        message = json.loads(envelope["Message"])
        messages[message["JobId"]] = message
    for n, ((start, _, video, _), (_, job_id)) in enumerate(zip(starts, jobs, strict=True)):
        message = messages[job_id]
        assert message["Status"] == "SUCCEEDED"
        assert message["API"] == start
        assert message["JobTag"] == f"job-{n}"
        assert message["Video"] == {
            "S3ObjectName": video["S3Object"]["Name"],
            "S3Bucket": BUCKET,
        }
        assert isinstance(message["Timestamp"], int)
    assert Dispatcher(live.runtime.engine, live.settings).deliver_due() == 0  # once each


def _all_pages(live: Live, operation: str, member: str, **request: Any) -> list[Any]:
    records: list[Any] = []
    token = None
    while True:
        args = dict(request, **({"NextToken": token} if token else {}))
        response = getattr(live.client, _snake(operation))(**args)
        assert len(response[member]) <= request.get("MaxResults", 1000)
        records.extend(response[member])
        token = response.get("NextToken")
        if not token:
            return records


def test_get_pages_return_every_record_once_in_the_asked_order(live: Live) -> None:
    job_id = live.client.start_label_detection(Video=live.video("astronaut.mp4"))["JobId"]
    whole = live.wait("get_label_detection", job_id)
    assert whole["GetRequestMetadata"] == {"SortBy": "TIMESTAMP", "AggregateBy": "TIMESTAMPS"}
    assert whole["LabelModelVersion"]
    assert whole["VideoMetadata"]["FrameWidth"] == 640
    everything = whole["Labels"]
    assert len(everything) > 5
    paged = _all_pages(live, "GetLabelDetection", "Labels", JobId=job_id, MaxResults=3)
    assert paged == everything
    by_name = _all_pages(
        live, "GetLabelDetection", "Labels", JobId=job_id, MaxResults=4, SortBy="NAME"
    )
    assert sorted(map(json.dumps, by_name)) == sorted(map(json.dumps, everything))
    names = [r["Label"]["Name"] for r in by_name]
    assert names == sorted(names)
    segments = live.client.get_label_detection(JobId=job_id, AggregateBy="SEGMENTS")
    assert_valid_output(
        "GetLabelDetection", {k: v for k, v in segments.items() if k != "ResponseMetadata"}
    )
    face = next(s for s in segments["Labels"] if s["Label"]["Name"] == "Face")
    assert 1500 <= face["StartTimestampMillis"] <= 2500 <= face["EndTimestampMillis"] - 1000
    # A token of one order is refused in another.
    first = live.client.get_label_detection(JobId=job_id, MaxResults=2)
    with pytest.raises(ClientError) as info:
        live.client.get_label_detection(
            JobId=job_id, MaxResults=2, SortBy="NAME", NextToken=first["NextToken"]
        )
    assert info.value.response["Error"]["Code"] == "InvalidPaginationTokenException"
    # The whole document also lies beside the video's key in the output bucket.
    [row] = [r for r in jobs_of(live.runtime).list() if r.job_id == job_id]
    assert row.output_key == f"async/astronaut.mp4-analysis/{job_id}/response.json"
    stored = json.loads(live.runtime.store.get("output", row.output_key))
    assert stored["Labels"] == everything


def test_bad_videos_fail_with_a_clear_message_and_others_carry_on(live: Live) -> None:
    broken = live.client.start_label_detection(Video=live.video("truncated.mp4"))["JobId"]
    fake = live.client.start_label_detection(Video=live.video("notes.mp4"))["JobId"]
    good = live.client.start_person_tracking(Video=live.video("astronaut.mp4"))["JobId"]
    for job_id in (broken, fake):
        response = live.wait("get_label_detection", job_id)
        assert response["JobStatus"] == "FAILED"
        assert response["StatusMessage"]
        assert response["Labels"] == []
    fake_message = live.client.get_label_detection(JobId=fake)["StatusMessage"]
    assert "video" in fake_message.lower()
    assert live.wait("get_person_tracking", good)["JobStatus"] == "SUCCEEDED"
    # Refusals at Start*: a missing object, an unknown collection, an unknown job.
    with pytest.raises(ClientError) as info:
        live.client.start_label_detection(Video=live.video("missing.mp4"))
    assert info.value.response["Error"]["Code"] == "InvalidS3ObjectException"
    with pytest.raises(ClientError) as info:
        live.client.start_face_search(Video=live.video("astronaut.mp4"), CollectionId="nobody")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as info:
        live.client.get_face_detection(JobId=broken)  # a LabelDetection job
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_client_request_token_returns_the_same_job(live: Live) -> None:
    video = live.video("cut.mp4")
    first = live.client.start_segment_detection(
        Video=video, SegmentTypes=["SHOT"], ClientRequestToken="seg-1"
    )["JobId"]
    again = live.client.start_segment_detection(
        Video=video, SegmentTypes=["SHOT"], ClientRequestToken="seg-1"
    )["JobId"]
    assert again == first
    with pytest.raises(ClientError) as info:
        live.client.start_segment_detection(
            Video=video, SegmentTypes=["TECHNICAL_CUE"], ClientRequestToken="seg-1"
        )
    assert info.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    response = live.wait("get_segment_detection", first)
    assert {s["Type"] for s in response["Segments"]} == {"SHOT"}
    assert response["SelectedSegmentTypes"] == [
        {"Type": "SHOT", "ModelVersion": "sightline-segments-1.0"}
    ]
