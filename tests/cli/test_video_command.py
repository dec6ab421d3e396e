"""``sightline video analyze | jobs | get`` on a generated clip, with the real models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sightline.analyzers.base
from sightline.analyzers.base import AnalyzerPool
from sightline.cli import app
from sightline.config import Settings
from sightline.runtime import Runtime
from sightline.video.apis import LABELS
from sightline.video.jobs import jobs_of
from tests.botocore_shapes import assert_valid_output
from tests.media.videos import astronaut_scene, not_a_video

pytestmark = pytest.mark.slow


@pytest.fixture
def run(tmp_path: Path, analyzer_pool: AnalyzerPool, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    # Share the session's loaded models instead of loading them per command.
    monkeypatch.setattr(sightline.analyzers.base, "AnalyzerPool", lambda settings: analyzer_pool)
    monkeypatch.setenv("COLUMNS", "200")  # rich tables unwrapped
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["--data-dir", str(tmp_path / "data"), "video", *args])
        assert result.exit_code == code, result.output
        return result.output

    return invoke


def test_analyze_writes_the_get_document(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clip = astronaut_scene(tmp_path / "clip.mp4").path
    document = json.loads(run("analyze", str(clip), "--api", "faces", "--json"))
    assert_valid_output("GetFaceDetection", document)
    assert document["JobStatus"] == "SUCCEEDED"
    assert document["VideoMetadata"]["FrameWidth"] == 640
    assert document["Faces"] and all(1500 <= f["Timestamp"] <= 4500 for f in document["Faces"])
    out = run("analyze", str(clip), "--api", "segments")
    written = tmp_path / "clip.mp4-analysis" / "segments.json"
    assert str(written) in out.replace("\n", "")
    segments = json.loads(written.read_text())
    assert_valid_output("GetSegmentDetection", segments)
    fake = not_a_video(tmp_path / "fake.mp4", "text")
    assert "InvalidVideoError" in run("analyze", str(fake), code=1)
    assert "--collection" in run("analyze", str(clip), "--api", "search", code=2)


def test_jobs_and_get_read_the_job_store(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rt = Runtime.open(Settings(data_dir=tmp_path / "data"))
    try:
        rt.store.ensure_bucket("videos")
        rt.store.put("videos", "a.mp4", b"\x00" * 10)
        job_id = jobs_of(rt).start(
            LABELS, {"Video": {"S3Object": {"Bucket": "videos", "Name": "a.mp4"}}}
        )
    finally:
        rt.close()
    listed = json.loads(run("jobs", "--json"))
    assert [(j["job_id"], j["status"]) for j in listed] == [(job_id, "IN_PROGRESS")]
    assert "LabelDetection" in run("jobs")
    document = json.loads(run("get", job_id))
    assert_valid_output("GetLabelDetection", document)
    assert (document["JobStatus"], document["Labels"]) == ("IN_PROGRESS", [])
    assert "ResourceNotFoundError" in run("get", "0" * 64, code=1)
