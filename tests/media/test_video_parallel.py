"""Sampling in GOP-aligned spans on several threads gives exactly a single pass's frames,
timestamps and errors: codecs, containers, open GOPs, B-frames, variable frame rates,
keyframes only, damaged files, early closing."""

from __future__ import annotations

import dataclasses
import itertools
import threading
from pathlib import Path

import av
import numpy as np
import pytest
from av.container import InputContainer
from av.video.stream import VideoStream

from sightline.media import video_parallel
from sightline.media.video import SamplingPlan, VideoFrame, sample_frames
from sightline.media.video_container import open_video
from sightline.media.video_pass import SplitPoint
from sightline.media.video_types import SampleStats
from tests.media import videos


@pytest.fixture(params=["two spans", "many spans"], autouse=True)
def span_sizes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Split the short test clips: into two spans (one per worker), or into as many
    as 1 s spans allow (more spans than workers, claimed in turn)."""
    monkeypatch.setattr(video_parallel, "MIN_SPAN_S", 1.0)
    if request.param == "many spans":
        monkeypatch.setattr(video_parallel, "SPAN_BYTES", 1)  # 4 samples a span
    return str(request.param)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("parallel")


def _moving(t: float) -> np.ndarray:
    return videos.grain(videos.pan(videos.picture("rocket.jpg"), t, 40.0), t)


# name -> (file, codec, encoder options, audio)
KINDS: dict[str, tuple[str, str, dict[str, str], bool]] = {
    "x264 B-frames mp4": ("b.mp4", "libx264", {"bf": "3"}, False),
    "x264 open GOP mkv": ("open.mkv", "libx264", {"x264-params": "open-gop=1:bframes=3"}, False),
    "x265 mp4": (
        "h265.mp4",
        "libx265",
        {"preset": "ultrafast", "x265-params": "log-level=error"},
        False,
    ),
    "vp9 webm": ("vp9.webm", "libvpx-vp9", {}, False),
    "mpeg4 B-frames avi": ("bf.avi", "mpeg4", {"bf": "2"}, False),
    "x264 mp4 with sound": ("sound.mp4", "libx264", {}, True),
}


@pytest.fixture(scope="module")
def kinds(clips: Path) -> dict[str, Path]:
    """6 s, 15 fps clips with a keyframe every 12 frames (0.8 s)."""
    out = {}
    for name, (file, codec, options, audio) in KINDS.items():
        out[name] = videos.write_video(
            clips / file, _moving, 6.0, 15, codec=codec, gop=12, options=options, audio=audio
        )
    return out


@pytest.fixture(scope="module")
def vfr(clips: Path) -> Path:
    """Irregular frame times, sparser than the samples in places: a sample's frame may
    lie past the keyframe a span ends at."""
    times = [0, 0.1, 0.15, 0.5, 0.9, 1.0, 1.7, 2.2, 3.6, 4.4, 4.45, 5.0, 5.9]
    return videos.counter_scene(clips / "vfr.mkv", fps=100.0, times=times, gop=2)


def _sample(path: Path, plan: SamplingPlan, workers: int) -> tuple[list[VideoFrame], SampleStats]:
    sampler = sample_frames(path, dataclasses.replace(plan, workers=workers), on_error="stop")
    frames = list(sampler)
    return frames, sampler.stats


def assert_same_run(path: Path, plan: SamplingPlan) -> SampleStats:
    """Sampling with two workers gives what one pass gives; the two-worker stats."""
    single, one = _sample(path, plan, 1)
    spans, two = _sample(path, plan, 2)
    assert one.spans == 1 and one.workers == 1
    assert [(f.index, f.timestamp_ms, f.keyframe) for f in spans] == [
        (f.index, f.timestamp_ms, f.keyframe) for f in single
    ]
    for a, b in zip(spans, single, strict=True):
        assert np.array_equal(a.image.pixels, b.image.pixels), a.timestamp_ms
        assert a.image.info == b.image.info
    assert str(two.error) == str(one.error)
    assert two.complete == one.complete and two.finished
    assert two.samples == one.samples == len(single)
    assert two.last_timestamp_ms == one.last_timestamp_ms
    assert two.decode_errors == one.decode_errors
    return two


@pytest.mark.parametrize("fps", [0.4, 1.0, 2.0, 7.0])
@pytest.mark.parametrize("kind", list(KINDS))
def test_spans_give_the_frames_of_one_pass(kinds: dict[str, Path], kind: str, fps: float) -> None:
    stats = assert_same_run(kinds[kind], SamplingPlan(fps=fps, max_side=None))
    assert stats.spans >= 2 and stats.workers == 2
    assert stats.complete


def test_spans_give_the_frames_of_a_full_decode(kinds: dict[str, Path]) -> None:
    path = kinds["x264 open GOP mkv"]
    frames, stats = _sample(path, SamplingPlan(fps=2.0, max_side=None), 2)
    assert stats.spans >= 2
    expected = []
    with av.open(str(path)) as container:
        next_t = 0.0
        for frame in container.decode(video=0):
            assert frame.time is not None
            if frame.time >= next_t - 1e-3:
                expected.append((round(frame.time * 1000), frame.to_ndarray(format="rgb24")))
                next_t = (np.floor((frame.time + 1e-3) * 2.0) + 1) / 2.0
    assert [f.timestamp_ms for f in frames] == [ms for ms, _ in expected]
    for frame, (_, pixels) in zip(frames, expected, strict=True):
        assert np.array_equal(frame.image.pixels, pixels)


@pytest.mark.parametrize("fps", [0.5, 2.0, 3.0])
def test_variable_frame_rate_spans(vfr: Path, fps: float) -> None:
    stats = assert_same_run(vfr, SamplingPlan(fps=fps, max_side=None))
    assert stats.spans >= 2


def test_a_frame_past_the_span_end_is_handed_out_once(vfr: Path) -> None:
    # At 2 fps the 2.5, 3.0 and 3.5 s samples all take the frame shown at 3.6 s, a
    # keyframe (every other frame is one) where the two spans meet.
    frames, stats = _sample(vfr, SamplingPlan(fps=2, max_side=None), 2)
    assert [f.timestamp_ms for f in frames] == [0, 500, 1000, 1700, 2200, 3600, 4400, 5000, 5900]
    assert [f.index for f in frames] == list(range(9))
    assert [videos.frame_number(f.image.pixels) for f in frames][:5] == [0, 50, 100, 170, 220]
    assert stats.spans >= 2


@pytest.mark.parametrize("kind", ["x264 B-frames mp4", "vp9 webm", "mpeg4 B-frames avi"])
def test_keyframes_only_spans(kinds: dict[str, Path], kind: str) -> None:
    stats = assert_same_run(kinds[kind], SamplingPlan(fps=2, keyframes_only=True))
    assert stats.spans >= 2


def test_shrunk_frames_and_fast_decode_spans(kinds: dict[str, Path]) -> None:
    path = kinds["x264 B-frames mp4"]
    assert_same_run(path, SamplingPlan(fps=2, max_side=320))
    assert_same_run(path, SamplingPlan(fps=2, max_side=320, fast_decode=True))


def test_fast_decode_is_close_to_exact(kinds: dict[str, Path]) -> None:
    # Deblocking skipped: near the exact frames, not equal to them (bench/video.py
    # measures the PSNR on the 1080p clip).
    path = kinds["x264 B-frames mp4"]
    exact, _ = _sample(path, SamplingPlan(fps=2, max_side=None), 1)
    fast, _ = _sample(path, SamplingPlan(fps=2, max_side=None, fast_decode=True), 1)
    assert [f.timestamp_ms for f in fast] == [f.timestamp_ms for f in exact]
    diffs = [
        float(np.abs(a.image.pixels.astype(np.int16) - b.image.pixels).mean())
        for a, b in zip(exact, fast, strict=True)
    ]
    assert 0 < max(diffs) < 2.0


# --- when not to split --------------------------------------------------------------


def test_a_video_of_one_gop_is_one_pass(clips: Path) -> None:
    path = videos.counter_scene(clips / "one-gop.mp4", gop=60)  # one keyframe
    stats = assert_same_run(path, SamplingPlan(fps=2))
    assert stats.spans == 1


def test_a_short_video_is_one_pass(clips: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = videos.counter_scene(clips / "short.mp4", gop=5)
    monkeypatch.setattr(video_parallel, "MIN_SPAN_S", 3.5)  # 6 s < two spans of 3.5 s
    stats = assert_same_run(path, SamplingPlan(fps=2))
    assert stats.spans == 1


def test_plan_spans_end_at_keyframes(kinds: dict[str, Path]) -> None:
    path = kinds["x264 B-frames mp4"]
    plan = SamplingPlan(fps=2, workers=2)
    with open_video(path) as (container, stream):
        spans, seeked = video_parallel.plan_spans(container, stream, plan, 2)
    assert seeked and len(spans) >= 2
    assert spans[0].start is None and spans[-1].end is None
    for before, after in itertools.pairwise(spans):
        point = before.end
        assert point is not None and point is after.start
        assert round(point.t * 15) % 12 == 0  # a keyframe every 12 frames at 15 fps
        assert point.sample / 2 >= point.t  # its first sample lies at or after it
    assert video_parallel.worker_count(SamplingPlan()) >= 1
    assert video_parallel.worker_count(plan) == 2


# --- damage ---------------------------------------------------------------------------

# With damage, which packets the decoder rejects and when it says so depends on its
# frame threads (the single pass uses them, each span's decoder does not): the spans
# are compared with a single pass of the same single-threaded decoder.
DAMAGE_PLAN = SamplingPlan(fps=2, max_side=None, threads=1)


@pytest.fixture(scope="module")
def streams(clips: Path) -> dict[str, Path]:
    """A panning clip, index first, a keyframe each second."""
    out = {}
    for ext in ("mp4", "mkv", "webm", "avi"):
        path = clips / f"stream.{ext}"
        videos.write_video(path, _moving, 6.0, 15, gop=15, faststart=ext == "mp4")
        out[ext] = path
    return out


@pytest.mark.parametrize("keep", [0.3, 0.55, 0.8, 0.97])
@pytest.mark.parametrize("ext", ["mp4", "mkv", "webm", "avi"])
def test_truncated_files_end_as_in_one_pass(
    clips: Path, streams: dict[str, Path], ext: str, keep: float
) -> None:
    path = videos.truncate(streams[ext], clips / f"cut-{keep}.{ext}", keep)
    stats = assert_same_run(path, DAMAGE_PLAN)
    assert stats.stopped_early


@pytest.mark.parametrize("start", [0.15, 0.35, 0.5, 0.65, 0.85])
@pytest.mark.parametrize("ext", ["mp4", "mkv", "webm", "avi"])
def test_corrupt_files_end_as_in_one_pass(
    clips: Path, streams: dict[str, Path], ext: str, start: float
) -> None:
    # Damage before, across and after the span ends (a fifth of the file each time).
    path = videos.corrupt(streams[ext], clips / f"bad-{start}.{ext}", start=start, length=0.1)
    assert_same_run(path, DAMAGE_PLAN)


def test_a_truncated_file_raises_after_its_good_frames(
    clips: Path, streams: dict[str, Path]
) -> None:
    path = videos.truncate(streams["mkv"], clips / "cut-raise.mkv", 0.6)
    single, _ = _sample(path, SamplingPlan(fps=2), 1)
    got = []
    with pytest.raises(Exception, match="truncated") as raised:
        for frame in sample_frames(path, SamplingPlan(fps=2, workers=2)):
            got.append(frame.timestamp_ms)
    assert type(raised.value).__name__ == "InvalidVideoError"
    assert got == [f.timestamp_ms for f in single] and len(got) >= 3


def test_a_file_that_is_not_a_video_fails_as_before(clips: Path) -> None:
    path = videos.not_a_video(clips / "fake.mp4", "text")
    sampler = sample_frames(path, SamplingPlan(workers=2), on_error="stop")
    assert list(sampler) == []
    assert "not a video" in str(sampler.stats.error)


# --- threads --------------------------------------------------------------------------


def _workers_alive() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sightline-video-")]


def test_closing_early_stops_the_workers(kinds: dict[str, Path]) -> None:
    with sample_frames(kinds["x264 B-frames mp4"], SamplingPlan(fps=7, workers=2)) as sampler:
        first = next(sampler)
        assert first.timestamp_ms == 0
    assert not sampler.stats.finished
    assert _workers_alive() == []
    with pytest.raises(StopIteration):
        next(sampler)


def test_a_missed_seek_falls_back_to_one_pass(
    kinds: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A span whose seek lands elsewhere than its keyframe (as if the file changed):
    # the frames already handed out stand, one pass gives the rest.
    real = video_parallel.split_point

    def misleading(
        container: InputContainer, stream: VideoStream, target: float, fps: float
    ) -> SplitPoint | None:
        point = real(container, stream, target, fps)
        return None if point is None else dataclasses.replace(point, seek_ts=0, backward=True)

    path = kinds["x264 B-frames mp4"]
    plan = SamplingPlan(fps=2, max_side=None)
    single, _ = _sample(path, plan, 1)
    monkeypatch.setattr(video_parallel, "split_point", misleading)
    frames, stats = _sample(path, plan, 2)
    assert [f.timestamp_ms for f in frames] == [f.timestamp_ms for f in single]
    assert [f.index for f in frames] == list(range(len(single)))
    assert all(
        np.array_equal(a.image.pixels, b.image.pixels) for a, b in zip(frames, single, strict=True)
    )
    assert stats.complete and stats.spans == 1
    assert _workers_alive() == []
