"""Analyses over time on generated clips: faces only while a face is on screen, face
search finds the person indexed, labels aggregate into segments, bad files fail clearly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sightline.analyzers.base import AnalyzerPool
from sightline.config import Settings
from sightline.errors import InvalidVideoError
from sightline.faces.service import FaceService
from sightline.video.apis import (
    FACE_SEARCH,
    FACES,
    LABELS,
    SEGMENT_DETECTION,
    SEGMENTS,
    TIMESTAMPS,
)
from sightline.video.runner import VideoOutput, analyze_video, document_for
from tests.botocore_shapes import assert_valid_output
from tests.conftest import sample_bytes
from tests.media.videos import Scene, astronaut_scene, cut_scene, not_a_video, truncate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    return astronaut_scene(tmp_path_factory.mktemp("clips") / "astronaut.mp4")


@pytest.fixture(scope="module")
def video_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("video-settings")
    return Settings(data_dir=root / "data", models={"model_dir": root / "models"})


def _with_filter(settings: Settings, person_filter: bool) -> Settings:
    video = settings.video.model_copy(update={"person_filter": person_filter})
    return settings.model_copy(update={"video": video})


def _times(output: VideoOutput) -> list[int]:
    return [r.timestamp_ms for r in output.records[TIMESTAMPS]]


def _overlaps(box: dict[str, float], scene: Scene) -> bool:
    assert scene.face_box is not None
    x0, y0, x1, y1 = scene.face_box
    left, top = box["Left"] * scene.width, box["Top"] * scene.height
    right, bottom = left + box["Width"] * scene.width, top + box["Height"] * scene.height
    ix = max(0.0, min(right, x1) - max(left, x0))
    iy = max(0.0, min(bottom, y1) - max(top, y0))
    return ix * iy > 0.3 * (x1 - x0) * (y1 - y0)


def test_faces_only_while_the_face_is_on_screen(
    scene: Scene, video_settings: Settings, analyzer_pool: AnalyzerPool
) -> None:
    progress: list[tuple[int, int]] = []
    output = analyze_video(
        scene.path,
        FACES,
        {"FaceAttributes": "ALL"},
        video_settings,
        analyzer_pool,
        progress=lambda done, total: progress.append((done, total)),
    )
    assert scene.face_interval == (2.0, 4.0)
    assert_valid_output("GetFaceDetection", document_for(FACES, scene.path, {}, output))
    times = _times(output)
    assert len(times) >= 3  # 2 samples a second over 2 seconds
    assert all(1500 <= t <= 4500 for t in times), times
    for record in output.records[TIMESTAMPS]:
        face = record.record["Face"]
        assert _overlaps(face["BoundingBox"], scene)
        assert {"Smile", "EyesOpen", "Landmarks", "Pose", "Quality"} <= set(face)
    meta = output.video_metadata
    assert (meta["FrameWidth"], meta["FrameHeight"], meta["Codec"]) == (640, 360, "h264")
    assert abs(meta["DurationMillis"] - 6000) <= 100
    # The person filter sent only the frames with someone in them to the face pass.
    frames = output.details["frames"]
    assert frames["frames"] == 12
    assert frames["analysed"] < frames["frames"]
    assert progress[0] == (0, 12) and progress[-1] == (12, 12)


def test_the_person_filter_loses_no_face(
    scene: Scene, video_settings: Settings, analyzer_pool: AnalyzerPool
) -> None:
    filtered = analyze_video(scene.path, FACES, {}, video_settings, analyzer_pool)
    unfiltered = analyze_video(
        scene.path, FACES, {}, _with_filter(video_settings, False), analyzer_pool
    )
    assert unfiltered.details["frames"]["analysed"] == 12
    assert _times(filtered) == _times(unfiltered)


def test_face_search_finds_the_indexed_person_in_her_window(
    scene: Scene, video_settings: Settings, analyzer_pool: AnalyzerPool, tmp_path: Path
) -> None:
    settings = video_settings.model_copy(update={"data_dir": tmp_path / "faces"})
    with FaceService(settings, pool=analyzer_pool) as faces:
        faces.create_collection({"CollectionId": "crew"})
        faces.index_faces(
            {
                "CollectionId": "crew",
                "Image": {"Bytes": sample_bytes("astronaut.png")},
                "ExternalImageId": "astronaut",
            }
        )
        faces.create_collection({"CollectionId": "strangers"})
        faces.index_faces(
            {
                "CollectionId": "strangers",
                "Image": {"Bytes": sample_bytes("grace_hopper.jpg")},
                "ExternalImageId": "grace",
            }
        )
        found = analyze_video(
            scene.path,
            FACE_SEARCH,
            {"CollectionId": "crew"},
            settings,
            analyzer_pool,
            faces=lambda: faces,
        )
        nobody = analyze_video(
            scene.path,
            FACE_SEARCH,
            {"CollectionId": "strangers"},
            settings,
            analyzer_pool,
            faces=lambda: faces,
        )
    assert_valid_output(
        "GetFaceSearch", document_for(FACE_SEARCH, scene.path, {"CollectionId": "crew"}, found)
    )
    persons = [r.record for r in found.records[TIMESTAMPS]]
    assert len(persons) >= 3
    assert all(1500 <= p["Timestamp"] <= 4500 for p in persons)
    assert {p["Person"]["Index"] for p in persons} == {0}  # one person, one index
    for p in persons:
        best = p["FaceMatches"][0]
        assert best["Face"]["ExternalImageId"] == "astronaut"
        assert best["Similarity"] >= 80
        assert _overlaps(p["Person"]["Face"]["BoundingBox"], scene)
    assert nobody.records[TIMESTAMPS] == []


def test_labels_aggregate_into_segments(
    scene: Scene, video_settings: Settings, analyzer_pool: AnalyzerPool
) -> None:
    output = analyze_video(scene.path, LABELS, {"MinConfidence": 60}, video_settings, analyzer_pool)
    assert_valid_output("GetLabelDetection", document_for(LABELS, scene.path, {}, output))
    segments = {r.name: r.record for r in output.records[SEGMENTS]}
    face = segments["Face"]
    assert 1500 <= face["StartTimestampMillis"] <= 2500
    assert 3500 <= face["EndTimestampMillis"] <= 4500
    assert face["DurationMillis"] == face["EndTimestampMillis"] - face["StartTimestampMillis"]
    assert "Instances" not in face["Label"]
    per_sample = [r for r in output.records[TIMESTAMPS] if r.name == "Face"]
    assert len(per_sample) >= 3
    assert all(r.record["Label"]["Confidence"] >= 60 for r in output.records[TIMESTAMPS])
    assert output.details["ModelVersion"]


def test_truncated_and_fake_videos_fail_clearly(
    scene: Scene, video_settings: Settings, analyzer_pool: AnalyzerPool, tmp_path: Path
) -> None:
    fake = not_a_video(tmp_path / "fake.mp4", "text")
    with pytest.raises(InvalidVideoError) as info:
        analyze_video(fake, LABELS, {}, video_settings, analyzer_pool)
    assert "video" in info.value.message.lower()
    # Matroska streams: cut after 60% of its bytes, the frames before the cut are
    # analysed and the result says it is partial.
    mkv = astronaut_scene(tmp_path / "clip.mkv")
    half = truncate(mkv.path, tmp_path / "half.mkv", 0.6)
    output = analyze_video(half, FACES, {}, _with_filter(video_settings, False), analyzer_pool)
    assert output.partial is not None and output.partial.startswith("Partial results")
    assert 0 < output.details["frames"]["frames"] < 12
    assert output.records[TIMESTAMPS], "the face before the cut is still found"
    stub = truncate(scene.path, tmp_path / "stub.mp4", 0.01)
    with pytest.raises(InvalidVideoError):
        analyze_video(stub, FACES, {}, video_settings, analyzer_pool)


def test_segment_detection_finds_the_cut_and_the_black_ends(
    video_settings: Settings, analyzer_pool: AnalyzerPool, tmp_path: Path
) -> None:
    clip = cut_scene(tmp_path / "cut.mp4")
    assert clip.cut_s is not None
    output = analyze_video(
        clip.path,
        SEGMENT_DETECTION,
        {"SegmentTypes": ["TECHNICAL_CUE", "SHOT"]},
        video_settings,
        analyzer_pool,
    )
    assert_valid_output(
        "GetSegmentDetection", document_for(SEGMENT_DETECTION, clip.path, {}, output)
    )
    segments = [r.record for r in output.records[TIMESTAMPS]]
    shots = [s for s in segments if s["Type"] == "SHOT"]
    frame_ms = 1000 / clip.fps
    assert any(abs(s["StartTimestampMillis"] - clip.cut_s * 1000) <= frame_ms for s in shots)
    assert [s["ShotSegment"]["Index"] for s in shots] == list(range(len(shots)))
    cues = [s["TechnicalCueSegment"]["Type"] for s in segments if s["Type"] == "TECHNICAL_CUE"]
    assert cues.count("BlackFrames") == 2 and "Content" in cues
    for s in segments:
        assert s["DurationMillis"] == s["EndTimestampMillis"] - s["StartTimestampMillis"]
        assert s["StartTimecodeSMPTE"].count(":") == 3
    assert output.details["SelectedSegmentTypes"] == [
        {"Type": "SHOT", "ModelVersion": "sightline-segments-1.0"},
        {"Type": "TECHNICAL_CUE", "ModelVersion": "sightline-segments-1.0"},
    ]
    only_shots = analyze_video(
        clip.path, SEGMENT_DETECTION, {"SegmentTypes": ["SHOT"]}, video_settings, analyzer_pool
    )
    assert {r.record["Type"] for r in only_shots.records[TIMESTAMPS]} == {"SHOT"}
