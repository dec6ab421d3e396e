"""``/api/v1/video/jobs``: the jobs Start* queued, with their progress, behind the token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sightline.api.app import create_app
from sightline.api.services import ApiServices, build_services
from sightline.config import Settings
from sightline.db import tx
from sightline.video.apis import LABELS
from sightline.video.jobs import jobs_of
from tests.api.live import serve


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[httpx.Client, ApiServices]]:
    settings = Settings(data_dir=tmp_path / "data")
    services = build_services(settings)
    token = services.tokens.create(name="video")
    services.store.ensure_bucket("videos")
    services.store.put("videos", "a.mp4", b"\x00" * 64)
    with (
        serve(create_app(settings, services=services)) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token.token}"}) as http,
    ):
        yield http, services


def test_lists_jobs_with_progress_and_status(client: tuple[httpx.Client, ApiServices]) -> None:
    http, services = client
    jobs = jobs_of(services.runtime)
    request = {"Video": {"S3Object": {"Bucket": "videos", "Name": "a.mp4"}}, "JobTag": "t"}
    first = jobs.start(LABELS, request)
    second = jobs.start(LABELS, request)
    jobs.begin(second)
    jobs.progress(second, 3, 12)
    with tx.write(services.runtime.engine) as conn:
        jobs.fail(conn, jobs.get(first), "The file is not a video.")
    listed = http.get("/api/v1/video/jobs").json()["jobs"]
    assert [j["job_id"] for j in listed] == [second, first]
    assert (listed[0]["status"], listed[0]["frames_done"], listed[0]["frames_total"]) == (
        "IN_PROGRESS",
        3,
        12,
    )
    failed = http.get("/api/v1/video/jobs", params={"status": "FAILED"}).json()["jobs"]
    assert [(j["job_id"], j["status_message"]) for j in failed] == [
        (first, "The file is not a video.")
    ]
    one = http.get(f"/api/v1/video/jobs/{second}").json()
    assert (one["api"], one["bucket"], one["name"], one["job_tag"]) == (
        "LabelDetection",
        "videos",
        "a.mp4",
        "t",
    )
    missing = http.get("/api/v1/video/jobs/" + "0" * 64)
    assert missing.status_code == 404
    assert missing.json()["code"] == "ResourceNotFoundException"
    assert httpx.get(str(http.base_url) + "/api/v1/video/jobs").status_code == 401
