"""S3 event notifications: parsing (AWS, MinIO, SNS) and the token-protected endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sightline.api.app import create_app
from sightline.config import Settings
from sightline.errors import InvalidParameterError
from sightline.pipeline.events import parse_s3_event
from sightline.runtime import Runtime
from sightline.storage import MemoryStore
from tests.pipeline.images import distinct_jpeg
from tests.pipeline.live import serve

TOKEN = "s3cret-token"


def record(bucket: str, key: str, event: str = "ObjectCreated:Put", **obj: Any) -> dict[str, Any]:
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": event,
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, **obj}},
    }


def test_parse_aws_record_decodes_keys() -> None:
    body = {"Records": [record("content", "labels/my+photo%281%29.jpg", size=10, eTag="abc")]}
    (event,), ignored = parse_s3_event(body)
    assert ignored == 0
    assert (event.bucket, event.key) == ("content", "labels/my photo(1).jpg")
    assert (event.size, event.etag) == (10, "abc")


def test_parse_minio_sns_and_test_events() -> None:
    minio = {
        "EventName": "s3:ObjectCreated:Put",
        "Key": "content/faces/a.jpg",
        "Records": [record("content", "faces/a.jpg", "s3:ObjectCreated:Put", versionId="v1")],
    }
    (event,), _ = parse_s3_event(minio)
    assert event.key == "faces/a.jpg" and event.version_id == "v1"
    sns = {"Type": "Notification", "Message": json.dumps({"Records": [record("b1b", "x/y.jpg")]})}
    assert [e.key for e in parse_s3_event(sns)[0]] == ["x/y.jpg"]
    assert parse_s3_event({"Service": "Amazon S3", "Event": "s3:TestEvent"}) == ([], 1)
    removed = {"Records": [record("content", "a.jpg", "ObjectRemoved:Delete")]}
    assert parse_s3_event(removed) == ([], 1)


@pytest.mark.parametrize(
    "body",
    [
        [],  # not an object
        {"records": []},  # wrong member name
        {"Records": [{"eventName": "ObjectCreated:Put", "s3": {}}]},  # no bucket or key
        {"Type": "Notification", "Message": "not json"},
    ],
)
def test_parse_refuses_what_is_not_an_s3_event(body: Any) -> None:
    with pytest.raises(InvalidParameterError):
        parse_s3_event(body)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[httpx.Client, Runtime]]:
    settings = Settings(data_dir=tmp_path / "data", pipeline={"events_token": TOKEN})
    rt = Runtime.open(settings, store=MemoryStore())
    rt.ensure_buckets()
    with serve(create_app(settings, runtime=rt)) as c:
        yield c, rt
    rt.close()


def test_endpoint_records_created_objects(client: tuple[httpx.Client, Runtime]) -> None:
    c, rt = client
    rt.store.put("content", "labels/my photo.jpg", distinct_jpeg(1))
    rt.store.put("content", "labels/notes.jpg", b"plain words")
    body = {
        "Records": [
            record("content", "labels/my+photo.jpg"),
            record("content", "labels/notes.jpg"),
            record("content", "labels/gone.jpg"),
            record("content", "labels/old.jpg", "ObjectRemoved:Delete"),
        ]
    }
    r = c.post("/events/s3", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["received"], answer["ignored"]) == (3, 1)
    by_key = {x["key"]: x for x in answer["recorded"]}
    assert (
        by_key["labels/my photo.jpg"]["status"] == "PENDING"
        and by_key["labels/my photo.jpg"]["new"]
    )
    assert by_key["labels/notes.jpg"]["status"] == "REJECTED"
    assert [m["key"] for m in answer["missing"]] == ["labels/gone.jpg"]
    assert rt.tasks.depth() == {("image", "queued"): 1}
    # the same event again (S3 delivers at least once): nothing new
    again = c.post("/events/s3", json=body, params={"token": TOKEN}).json()
    assert not any(x["new"] for x in again["recorded"])
    assert rt.tasks.depth() == {("image", "queued"): 1}


def test_endpoint_needs_the_token(client: tuple[httpx.Client, Runtime]) -> None:
    c, _ = client
    body = {"Records": []}
    assert c.post("/events/s3", json=body).status_code == 403
    assert (
        c.post("/events/s3", json=body, headers={"Authorization": "Bearer nope"}).status_code == 403
    )
    # MinIO's auth_token is sent as the bare header value
    assert c.post("/events/s3", json=body, headers={"Authorization": TOKEN}).status_code == 200
    bad = c.post("/events/s3", content=b"{not json", headers={"X-Sightline-Token": TOKEN})
    assert bad.status_code == 400 and "not JSON" in bad.json()["message"]
    wrong = c.post("/events/s3", json={"x": 1}, headers={"X-Sightline-Token": TOKEN})
    assert wrong.status_code == 400 and "Records" in wrong.json()["message"]


def test_endpoint_is_off_without_a_token(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with serve(create_app(settings)) as c:
        r = c.post("/events/s3", json={"Records": []})
        assert r.status_code == 403 and "pipeline.events_token" in r.json()["message"]


def test_status_and_metrics(client: tuple[httpx.Client, Runtime]) -> None:
    c, rt = client
    rt.tasks.set_limit("image", rate=5, max_running=2)
    rt.store.put("content", "labels/a.jpg", distinct_jpeg(1))
    c.post(
        "/events/s3",
        json={"Records": [record("content", "labels/a.jpg")]},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    status = c.get("/status").json()
    assert status["queue"] == [{"kind": "image", "state": "queued", "count": 1}]
    assert status["items"] == {"PENDING": 1}
    assert status["limits"][0]["rate"] == 5.0 and status["limits"][0]["max_running"] == 2
    metrics = c.get("/metrics")
    assert metrics.status_code == 200
    text = metrics.text
    assert 'sightline_tasks{kind="image",state="queued"} 1.0' in text
    assert 'sightline_items{status="PENDING"} 1.0' in text
    assert 'sightline_rate_limit_per_second{kind="image"} 5.0' in text
    assert 'sightline_concurrency_cap{kind="image"} 2.0' in text
