"""Video probing and sampling on clips generated in code: containers, codecs, rotation,
timing, keyframes, damaged and fake files."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from sightline.config import VideoSettings
from sightline.errors import InvalidVideoError, VideoTooLargeError
from sightline.media.video import (
    SamplingPlan,
    VideoFrame,
    VideoMetadata,
    probe,
    sample_frames,
)
from tests.media import videos

# (extension, codec, container long name, codec as probed)
CONTAINERS = [
    ("mp4", "libx264", "QuickTime / MOV", "h264"),
    ("mov", "libx264", "QuickTime / MOV", "h264"),
    ("mkv", "libx264", "Matroska / WebM", "h264"),
    ("webm", "libvpx-vp9", "Matroska / WebM", "vp9"),
    ("avi", "mpeg4", "AVI (Audio Video Interleaved)", "mpeg4"),
]


def diff(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two images of one shape, 0-255."""
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def at(frames: list[VideoFrame], ms: int) -> VideoFrame:
    """The sampled frame whose timestamp is nearest ``ms``."""
    return min(frames, key=lambda f: abs(f.timestamp_ms - ms))


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="module")
def counter(clips: Path) -> Iterator[dict[str, Path]]:
    """A 6 s, 10 fps counter clip (frame number drawn as bars) in every container."""
    yield {ext: videos.counter_scene(clips / f"counter.{ext}") for ext, *_ in CONTAINERS}


@pytest.fixture(scope="module")
def astronaut(clips: Path) -> videos.Scene:
    return videos.astronaut_scene(clips / "astronaut.mp4")


# --- probe --------------------------------------------------------------------------


@pytest.mark.parametrize(("ext", "codec", "fmt", "probed"), CONTAINERS)
def test_probe_reports_container_facts(
    counter: dict[str, Path], ext: str, codec: str, fmt: str, probed: str
) -> None:
    meta = probe(counter[ext])
    assert meta.codec == probed
    assert meta.format == fmt
    assert abs(meta.duration_ms - 6000) <= 100  # within a frame at 10 fps
    assert meta.frame_rate == pytest.approx(10.0)
    assert (meta.width, meta.height) == (320, 180)
    assert meta.color_range == "LIMITED"
    assert meta.rotation == 0
    assert meta.frame_count == 60


def test_probe_reports_full_range(clips: Path) -> None:
    path = videos.counter_scene(clips / "full.mp4", full_range=True)
    assert probe(path).color_range == "FULL"


@pytest.mark.parametrize("full_range", [False, True])
def test_colours_survive_either_range(clips: Path, full_range: bool) -> None:
    # Colour bars must come back as written: the range tag is honoured in conversion.
    bars = np.zeros((180, 320, 3), np.uint8)
    colours = [(255, 255, 255), (16, 16, 16), (200, 30, 30), (30, 200, 30), (30, 30, 200)]
    for i, colour in enumerate(colours):
        bars[:, i * 64 : (i + 1) * 64] = colour
    path = videos.write_video(
        clips / f"bars-{full_range}.mkv", lambda t: bars, 1.0, 10, full_range=full_range
    )
    frame = next(iter(sample_frames(path, SamplingPlan(fps=1))))
    for i, colour in enumerate(colours):
        got = frame.image.pixels[90, i * 64 + 32].astype(int)
        assert np.abs(got - np.array(colour)).max() <= 6, (colour, got)


def test_probe_refuses_videos_over_the_duration_limit(counter: dict[str, Path]) -> None:
    with pytest.raises(VideoTooLargeError, match="6 s, over the 5 s limit"):
        probe(counter["mp4"], max_duration_seconds=5)
    assert probe(counter["mp4"], max_duration_seconds=6.5).duration_ms == 6000


# --- rotation -----------------------------------------------------------------------


def _portrait() -> np.ndarray:
    """An upright, asymmetric 180 x 320 (w x h) picture, as a phone held upright sees."""
    return videos.picture("chelsea.png", (180, 320))


@pytest.mark.parametrize("rotation", [90, 180, 270])
@pytest.mark.parametrize("ext", ["mp4", "mkv"])
def test_rotated_clips_come_out_upright(clips: Path, rotation: int, ext: str) -> None:
    upright = _portrait()
    # The sensor stores the picture turned back by the rotation a player applies.
    stored = np.ascontiguousarray(np.rot90(upright, k=rotation // 90))
    path = videos.write_video(
        clips / f"rot{rotation}.{ext}", lambda t: stored, 1.0, 10, rotation=rotation
    )
    meta = probe(path)
    assert meta.rotation == rotation
    assert (meta.width, meta.height) == (180, 320)
    frame = next(iter(sample_frames(path, SamplingPlan(fps=1, max_side=None))))
    assert (frame.image.info.width, frame.image.info.height) == (180, 320)
    assert frame.image.pixels.shape == upright.shape
    assert diff(frame.image.pixels, upright) < 6


def test_rotated_frames_shrink_to_the_upright_max_side(clips: Path) -> None:
    stored = np.ascontiguousarray(np.rot90(_portrait()))
    path = videos.write_video(clips / "rot-small.mp4", lambda t: stored, 1.0, 10, rotation=90)
    frame = next(iter(sample_frames(path, SamplingPlan(fps=1, max_side=160))))
    assert frame.image.pixels.shape == (160, 90, 3)
    assert (frame.image.info.width, frame.image.info.height) == (180, 320)
    assert frame.image.scale_y == pytest.approx(0.5)


# --- sampling by time ---------------------------------------------------------------


@pytest.mark.parametrize("ext", [ext for ext, *_ in CONTAINERS])
def test_two_fps_of_six_seconds_is_twelve_frames_every_500_ms(
    counter: dict[str, Path], ext: str
) -> None:
    sampler = sample_frames(counter[ext], SamplingPlan(fps=2))
    frames = list(sampler)
    assert len(frames) == 12
    assert [f.index for f in frames] == list(range(12))
    for n, frame in enumerate(frames):
        assert abs(frame.timestamp_ms - 500 * n) <= 100  # one frame at 10 fps
        # The pixels are the frame the timestamp names.
        assert videos.frame_number(frame.image.pixels) == round(frame.timestamp_ms / 100)
    assert sampler.stats.complete and not sampler.stats.stopped_early
    assert sampler.stats.samples == 12


def _reference(path: Path, fps: float) -> list[tuple[int, np.ndarray]]:
    """Every frame decoded in order, then the first at or after each ``n / fps``."""
    out: list[tuple[int, np.ndarray]] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        next_t = 0.0
        for frame in container.decode(stream):
            assert frame.time is not None
            if frame.time >= next_t - 1e-3:
                out.append((round(frame.time * 1000), frame.to_ndarray(format="rgb24")))
                next_t = (np.floor((frame.time + 1e-3) * fps) + 1) / fps
    return out


@pytest.mark.parametrize("fps", [0.4, 1.0, 2.0, 7.0])
@pytest.mark.parametrize("codec", ["libx264", "libvpx-vp9", "mpeg4"])
def test_skipped_decoding_gives_the_frames_a_full_decode_gives(
    clips: Path, fps: float, codec: str
) -> None:
    # Short GOPs, so whole groups of pictures and group tails are never decoded, and
    # B-frames (x264, mpeg4) so non-reference frames are skipped on the way.
    ext = {"libx264": "mp4", "libvpx-vp9": "webm", "mpeg4": "avi"}[codec]
    path = clips / f"gop-{codec}.{ext}"
    if not path.exists():
        options = {"bf": "2"} if codec == "mpeg4" else {}
        videos.write_video(
            path,
            lambda t: videos.grain(videos.pan(videos.picture("rocket.jpg"), t, 40.0), t),
            6.0,
            15,
            codec=codec,
            gop=12,
            options=options,
        )
    expected = _reference(path, fps)
    sampler = sample_frames(path, SamplingPlan(fps=fps, max_side=None))
    got = list(sampler)
    assert [f.timestamp_ms for f in got] == [ms for ms, _ in expected]
    for frame, (_, pixels) in zip(got, expected, strict=True):
        assert np.array_equal(frame.image.pixels, pixels)
    if fps < 15 / 12:  # at most one sample per group of pictures: groups are skipped
        assert sampler.stats.packets_decoded < sampler.stats.packets_read


def test_variable_frame_rate_takes_the_first_frame_at_or_after_each_time(
    clips: Path,
) -> None:
    times = [0.0, 0.1, 0.15, 0.5, 0.9, 1.0, 1.7, 2.2, 2.3]
    path = videos.counter_scene(clips / "vfr.mkv", fps=100.0, times=times)
    frames = list(sample_frames(path, SamplingPlan(fps=2)))
    # 0.0 -> 0.0; 0.5 -> 0.5; 1.0 -> 1.0; 1.5 -> 1.7; 2.0 -> 2.2 (2.5 has none)
    assert [f.timestamp_ms for f in frames] == [0, 500, 1000, 1700, 2200]
    assert [videos.frame_number(f.image.pixels) for f in frames] == [0, 50, 100, 170, 220]


@pytest.mark.parametrize("ext", ["mkv", "webm", "mp4"])  # AVI has no variable frame rate
def test_a_pause_with_sound_running_on_is_not_damage(clips: Path, ext: str) -> None:
    # A variable-frame-rate recording that stops for 3 s while the sound goes on: the
    # jump in time is not data lost (the demuxer skipped nothing).
    times = [i / 10 for i in range(10)] + [4.0 + i / 10 for i in range(10)]
    path = videos.counter_scene(clips / f"pause.{ext}", fps=10.0, times=times, audio=True)
    with av.open(str(path)) as container:
        assert container.streams.audio, "the clip has its sound track"
    sampler = sample_frames(path, SamplingPlan(fps=1))
    assert [f.timestamp_ms for f in sampler] == [0, 4000]
    assert sampler.stats.complete


def test_an_avi_with_sound_samples_whole(clips: Path) -> None:
    path = videos.counter_scene(clips / "sound.avi", audio=True)
    sampler = sample_frames(path, SamplingPlan(fps=2))
    assert len(list(sampler)) == 12
    assert sampler.stats.complete


def test_frames_sparser_than_samples_are_used_once(clips: Path) -> None:
    path = videos.counter_scene(clips / "slow.mp4", duration_s=4.0, fps=1.0)
    frames = list(sample_frames(path, SamplingPlan(fps=3)))
    assert [f.timestamp_ms for f in frames] == [0, 1000, 2000, 3000]


def test_keyframes_only_yields_only_keyframes(clips: Path) -> None:
    path = videos.counter_scene(clips / "gop10.mp4", gop=10)  # a keyframe each second
    # One pass, to count its packets (spans may decode a keyframe where they meet twice).
    sampler = sample_frames(path, SamplingPlan(fps=2, keyframes_only=True, workers=1))
    frames = list(sampler)
    assert [f.timestamp_ms for f in frames] == [0, 1000, 2000, 3000, 4000, 5000]
    assert all(f.keyframe for f in frames)
    assert [videos.frame_number(f.image.pixels) for f in frames] == [0, 10, 20, 30, 40, 50]
    assert sampler.stats.packets_decoded == 6
    assert sampler.stats.complete


def test_keyframes_only_samples_sparse_keyframes_by_time(clips: Path) -> None:
    path = videos.counter_scene(clips / "gop5.mp4", gop=5)  # two keyframes a second
    frames = list(sample_frames(path, SamplingPlan(fps=0.5, keyframes_only=True)))
    assert [f.timestamp_ms for f in frames] == [0, 2000, 4000]


def test_frames_shrink_to_max_side_and_keep_the_full_frame(astronaut: videos.Scene) -> None:
    frame = next(iter(sample_frames(astronaut.path, SamplingPlan(fps=1, max_side=320))))
    assert frame.image.pixels.shape == (180, 320, 3)
    assert (frame.image.info.width, frame.image.info.height) == (640, 360)
    assert frame.image.scale_x == pytest.approx(0.5)
    full = next(iter(sample_frames(astronaut.path, SamplingPlan(fps=1, max_side=None))))
    assert full.image.pixels.shape == (360, 640, 3)
    assert full.image.info.format == "h264"


def test_the_astronaut_is_on_screen_only_in_her_interval(astronaut: videos.Scene) -> None:
    frames = list(sample_frames(astronaut.path, SamplingPlan(fps=2, max_side=None)))
    assert len(frames) == 12
    assert astronaut.face_box is not None and astronaut.face_interval is not None
    x0, y0, x1, y1 = astronaut.face_box
    crop = videos.astronaut_crop()
    ax, ay = x0 - 90, y0 - 50  # the crop's corner, from the face's place in it
    face = crop[50:190, 90:190]
    start, end = astronaut.face_interval
    for frame in frames:
        region = frame.image.pixels[y0:y1, x0:x1]
        visible = start * 1000 <= frame.timestamp_ms < end * 1000
        assert (diff(region, face) < 12) == visible, frame.timestamp_ms
    shown = at(frames, 3000).image.pixels[ay : ay + 300, ax : ax + 300]
    assert diff(shown, crop) < 10
    assert diff(at(frames, 1000).image.pixels[ay : ay + 300, ax : ax + 300], crop) > 30


def test_the_cut_scene_has_black_ends_and_a_hard_cut(clips: Path) -> None:
    scene = videos.cut_scene(clips / "cut.mp4")
    assert scene.cut_s == 3.0
    frames = list(sample_frames(scene.path, SamplingPlan(fps=4, max_side=None)))
    cat, rocket = videos.picture("chelsea.png"), videos.picture("rocket.jpg")
    assert at(frames, 0).image.pixels.max() < 20  # black
    assert at(frames, 5750).image.pixels.max() < 20
    before, after = at(frames, 2750).image.pixels, at(frames, 3000).image.pixels
    assert diff(before, cat) < diff(before, rocket)
    assert diff(after, rocket) < diff(after, cat)


def test_a_sampler_closed_early_releases_the_file(counter: dict[str, Path]) -> None:
    with sample_frames(counter["mkv"], SamplingPlan(fps=2)) as sampler:
        first = next(sampler)
    assert first.timestamp_ms == 0
    assert not sampler.stats.finished
    with pytest.raises(StopIteration):
        next(sampler)


def test_plan_from_settings_and_expected_samples() -> None:
    plan = SamplingPlan.from_settings(
        VideoSettings(
            sample_fps=4,
            keyframes_only=True,
            max_side=640,
            decode_threads=2,
            decode_workers=3,
            fast_decode=True,
        )
    )
    assert plan == SamplingPlan(
        fps=4, keyframes_only=True, max_side=640, threads=2, workers=3, fast_decode=True
    )
    assert SamplingPlan.from_settings(VideoSettings()).workers == 0  # one per core
    with pytest.raises(ValueError, match="workers"):
        SamplingPlan(workers=-1)
    meta = VideoMetadata("h264", "QuickTime / MOV", 6000, 10.0, 320, 180, "LIMITED", 0, 60)
    assert SamplingPlan(fps=2).expected_samples(meta) == 12
    assert SamplingPlan(fps=0.4).expected_samples(meta) == 3  # 0, 2.5, 5.0 s
    assert SamplingPlan(fps=30).expected_samples(meta) == 60  # no more than the frames
    with pytest.raises(ValueError, match="fps"):
        SamplingPlan(fps=0)


# --- damaged and fake files ---------------------------------------------------------


def _panning(t: float) -> np.ndarray:
    return videos.pan(videos.picture("coffee.png"), t, speed=40.0)


def _intact(frame: VideoFrame) -> bool:
    """Whether ``frame`` shows :func:`_panning` at its timestamp (not damaged pixels)."""
    return diff(frame.image.pixels, _panning(frame.timestamp_ms / 1000)) < 12


@pytest.fixture(scope="module")
def streams(clips: Path) -> dict[str, Path]:
    """A panning clip in streaming-friendly files (index first), a keyframe each second."""
    out = {}
    for ext in ("mp4", "mkv", "webm", "avi"):
        path = clips / f"stream.{ext}"
        videos.write_video(path, _panning, 6.0, 15, gop=15, faststart=ext == "mp4")
        out[ext] = path
    return out


def test_an_mp4_cut_before_its_index_is_invalid(clips: Path, astronaut: videos.Scene) -> None:
    # PyAV, like most encoders, writes the index (moov) last: half a file has none.
    path = videos.truncate(astronaut.path, clips / "half.mp4", 0.5)
    with pytest.raises(InvalidVideoError, match="truncated and has no index"):
        probe(path)
    with pytest.raises(InvalidVideoError, match="truncated"):
        list(sample_frames(path, SamplingPlan()))
    sampler = sample_frames(path, SamplingPlan(), on_error="stop")
    assert list(sampler) == []
    assert sampler.stats.stopped_early and sampler.stats.error is not None


@pytest.mark.parametrize("ext", ["mp4", "mkv", "webm", "avi"])
def test_a_truncated_stream_yields_its_good_frames_then_says_so(
    clips: Path, streams: dict[str, Path], ext: str
) -> None:
    path = videos.truncate(streams[ext], clips / f"cut-short.{ext}", 0.5)
    probe(path)  # the header is intact: the damage shows while sampling
    started = time.monotonic()
    sampler = sample_frames(path, SamplingPlan(fps=2), on_error="stop")
    frames = list(sampler)
    assert time.monotonic() - started < 5
    assert 3 <= len(frames) < 12
    assert sampler.stats.finished and sampler.stats.stopped_early
    assert "truncated" in str(sampler.stats.error)
    assert all(_intact(f) for f in frames)  # the frames before the cut are intact

    raised = sample_frames(path, SamplingPlan(fps=2))
    got = []
    with pytest.raises(InvalidVideoError, match="truncated"):
        for frame in raised:
            got.append(frame.timestamp_ms)
    assert got == [f.timestamp_ms for f in frames]


@pytest.mark.parametrize("ext", ["mp4", "mkv", "webm", "avi"])
def test_corrupt_data_ends_quickly_with_an_error(
    clips: Path, streams: dict[str, Path], ext: str
) -> None:
    path = videos.corrupt(streams[ext], clips / f"garbled.{ext}", start=0.4, length=0.3)
    started = time.monotonic()
    sampler = sample_frames(path, SamplingPlan(fps=2), on_error="stop")
    frames = list(sampler)
    assert time.monotonic() - started < 5
    assert sampler.stats.stopped_early, sampler.stats
    assert "corrupt" in str(sampler.stats.error) or "truncated" in str(sampler.stats.error)
    # The frames before the damaged bytes (from 40 % of the file on) are intact; a
    # decoder may accept garbage without complaint, so later ones are not judged.
    assert [f.timestamp_ms for f in frames[:3]] == [0, 533, 1000]  # 15 fps
    assert all(_intact(f) for f in frames[:3])


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("png", "a PNG image, not a video"),
        ("text", "not a video: text"),
        ("empty", "the file is empty"),
    ],
)
def test_a_file_that_is_not_a_video_is_invalid(clips: Path, kind: str, message: str) -> None:
    path = videos.not_a_video(clips / f"fake-{kind}.mp4", kind)
    with pytest.raises(InvalidVideoError, match=message):
        probe(path)
    with pytest.raises(InvalidVideoError, match=message):
        next(sample_frames(path, SamplingPlan()))
    sampler = sample_frames(path, SamplingPlan(), on_error="stop")
    assert list(sampler) == []
    assert message in str(sampler.stats.error)


def test_a_missing_file_is_invalid(clips: Path) -> None:
    with pytest.raises(InvalidVideoError, match="cannot be read"):
        probe(clips / "nowhere.mp4")


def test_a_file_without_a_video_stream_is_invalid(clips: Path) -> None:
    path = clips / "audio.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        samples = np.zeros((1, 16000), np.float32)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate = 16000
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    with pytest.raises(InvalidVideoError, match=r"no video stream \(audio\)"):
        probe(path)


def test_a_mov_without_a_decodable_frame_is_invalid(clips: Path, counter: dict[str, Path]) -> None:
    # Keep the header and index, garble all the media data.
    data = bytearray(counter["mov"].read_bytes())
    start = data.find(b"mdat") + 4
    end = data.find(b"moov") - 4 if data.find(b"moov") > start else len(data)
    data[start:end] = bytes(end - start)
    path = clips / "zeroed.mov"
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidVideoError, match="cannot be decoded"):
        probe(path)
