"""Segment detection: shots, black frames, content, timings; one real encoded clip."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from sightline.errors import InvalidParameterError
from sightline.video.segments import (
    LOW_RES_SIZE,
    SegmentDetector,
    SegmentOptions,
    SegmentsResult,
    Shot,
    TechnicalCue,
    detect_segments,
    low_res_frames,
)
from tests.conftest import rgb
from tests.video.clips import CHELSEA, ROCKET, brief_scene, write_clip

Pixels = NDArray[np.uint8]
FPS = 30.0
NTSC = 30000 / 1001
W, H = LOW_RES_SIZE


def small(image: Pixels) -> Pixels:
    return np.asarray(cv2.resize(image, (W, H), interpolation=cv2.INTER_AREA), dtype=np.uint8)


COFFEE = rgb("coffee.png")
BLACK = np.zeros((H, W, 3), np.uint8)


def run(frames: Sequence[Pixels], fps: float = FPS, **options: float) -> SegmentsResult:
    numbered = [(i, int(i * 1000 / fps), pixels) for i, pixels in enumerate(frames)]
    return detect_segments(numbered, fps, SegmentOptions(**options))


def cut_frames(result: SegmentsResult) -> list[int]:
    return [shot.start_frame for shot in result.shots[1:]]


def cues(result: SegmentsResult, kind: str) -> list[TechnicalCue]:
    return [cue for cue in result.technical_cues if cue.type == kind]


def assert_tiles(shots: Sequence[Shot], frame_count: int) -> None:
    assert shots[0].start_frame == 0
    assert shots[-1].end_frame == frame_count - 1
    for index, (shot, following) in enumerate(itertools.pairwise(shots)):
        assert shot.index == index
        assert following.start_frame == shot.end_frame + 1
    assert all(0.5 <= shot.confidence <= 1.0 for shot in shots)


def fade(image: Pixels, frames: int, *, out: bool) -> list[Pixels]:
    levels = np.linspace(1.0, 0.0, frames) if out else np.linspace(0.0, 1.0, frames)
    return [small((image * level).astype(np.uint8)) for level in levels]


def test_timing_matches_rekognitions_documented_example() -> None:
    # The 29.97 fps example of Rekognition's developer guide ("Segment detection API").
    second = Shot(index=1, confidence=1.0, start_frame=300, end_frame=449, start_ms=10010,
                  end_ms=14981)  # fmt: skip
    timing = second.timing(29.970029830932617)
    assert (timing.start_frame, timing.end_frame, timing.duration_frames) == (300, 449, 149)
    assert (timing.start_ms, timing.end_ms, timing.duration_ms) == (10010, 14981, 4971)
    assert timing.start_smpte == "00:00:10;00"
    assert timing.end_smpte == "00:00:14;29"
    assert timing.duration_smpte == "00:00:04;29"
    black = TechnicalCue(type="BlackFrames", confidence=0.9, start_frame=0, end_frame=299,
                         start_ms=0, end_ms=9976).timing(NTSC)  # fmt: skip
    assert (black.duration_frames, black.duration_ms) == (299, 9976)
    assert (black.end_smpte, black.duration_smpte) == ("00:00:09;29", "00:00:09;29")


# --- shots and cues from frames built in code ---------------------------------------


def test_hard_cuts_and_black_ends() -> None:
    frames = [BLACK] * 15 + [small(CHELSEA)] * 45 + [small(ROCKET)] * 45 + [BLACK] * 15
    result = run(frames)
    assert cut_frames(result) == [15, 60, 105]
    assert_tiles(result.shots, 120)
    assert result.shots[1].start_ms == 500 and result.shots[1].end_ms == 1966
    assert all(shot.confidence > 0.9 for shot in result.shots)
    black = cues(result, "BlackFrames")
    assert [(c.start_frame, c.end_frame) for c in black] == [(0, 14), (105, 119)]
    assert all(c.confidence == 1.0 for c in black)  # pure black over the whole frame
    (content,) = cues(result, "Content")
    assert (content.start_frame, content.end_frame) == (15, 104)
    assert (content.start_ms, content.end_ms) == (500, 3466)
    assert [c.start_frame for c in result.technical_cues] == [0, 15, 105]
    assert (result.frame_count, result.frame_rate) == (120, FPS)


@pytest.mark.parametrize(
    "other",
    [COFFEE, rgb("astronaut.png"), CHELSEA[:, ::-1]],
    ids=["coffee", "astronaut", "mirrored"],  # mirrored: same colours, other layout
)
def test_cut_between_scenes(other: Pixels) -> None:
    result = run([small(CHELSEA)] * 30 + [small(other)] * 30)
    assert cut_frames(result) == [30]


def test_slow_fades_make_no_cut() -> None:
    frames = (
        [small(CHELSEA)] * 20
        + fade(CHELSEA, 45, out=True)  # 1.5 s fade to black
        + [BLACK] * 10
        + fade(ROCKET, 30, out=False)  # 1 s fade in
        + [small(ROCKET)] * 20
    )
    result = run(frames)
    assert cut_frames(result) == []
    (black,) = cues(result, "BlackFrames")  # the dark end of the fade, the black, the start
    assert black.start_frame < 65 <= 74 < black.end_frame


def test_a_faster_fade_makes_no_cut() -> None:
    result = run([small(CHELSEA)] * 20 + fade(CHELSEA, 10, out=True) + [BLACK] * 10)
    assert cut_frames(result) == []


def pan(image: Pixels, step: int, window: tuple[int, int]) -> list[Pixels]:
    wh, ww = window
    top = (image.shape[0] - wh) // 2
    return [small(image[top : top + wh, x : x + ww]) for x in range(0, image.shape[1] - ww, step)]


@pytest.mark.parametrize("step", [2, 4, 8, 16])  # full-resolution pixels a frame
def test_panning_makes_no_cut(step: int) -> None:
    frames = pan(CHELSEA, step, (135, 240))
    frames += frames[::-1]  # and back: the pan reverses direction
    assert cut_frames(run(frames)) == []
    assert cut_frames(run(pan(ROCKET, step, (240, 427)))) == []


def test_a_pan_that_starts_suddenly_makes_no_cut() -> None:
    frames = [small(CHELSEA[80:215, :240])] * 20 + pan(CHELSEA, 6, (135, 240))
    assert cut_frames(run(frames)) == []


def test_zoom_makes_no_cut() -> None:
    frames = [small(CHELSEA[2 * i : 300 - 2 * i, 3 * i : 451 - 3 * i]) for i in range(60)]
    assert cut_frames(run(frames)) == []


def test_sensor_noise_makes_no_cut() -> None:
    rng = np.random.default_rng(7)
    base = small(CHELSEA).astype(np.int16)
    frames = [
        np.clip(base + rng.normal(0, 5, base.shape), 0, 255).astype(np.uint8) for _ in range(60)
    ]
    assert cut_frames(run(frames)) == []


def test_a_single_flash_frame_is_no_cut() -> None:
    white = np.full((H, W, 3), 255, np.uint8)
    result = run([small(CHELSEA)] * 30 + [white] + [small(CHELSEA)] * 30)
    assert cut_frames(result) == []


def test_cut_after_a_dissolved_frame_is_found_once() -> None:
    # An encoder or a one-frame mix can spread a cut over two frame pairs.
    mix = ((small(CHELSEA).astype(np.uint16) + small(ROCKET)) // 2).astype(np.uint8)
    result = run([small(CHELSEA)] * 30 + [mix] + [small(ROCKET)] * 30)
    assert len(cut_frames(result)) == 1
    assert cut_frames(result)[0] in (30, 31)


def test_rapid_cuts_and_minimum_shot_length() -> None:
    scenes = [small(CHELSEA), small(ROCKET), small(COFFEE)]
    frames = [scenes[(i // 8) % 3] for i in range(64)]  # a cut every 8 frames (0.27 s)
    assert cut_frames(run(frames)) == [8, 16, 24, 32, 40, 48, 56]
    frames = [scenes[(i // 3) % 3] for i in range(30)]  # every 3 frames: under 0.2 s
    result = run(frames)
    assert all(b - a >= 6 for a, b in itertools.pairwise(cut_frames(result)))
    assert_tiles(result.shots, 30)


def test_min_segment_confidence_merges_weaker_cuts() -> None:
    similar = small(np.clip(CHELSEA.astype(np.int16)[:, ::-1] * 0.9, 0, 255).astype(np.uint8))
    frames = [small(CHELSEA)] * 30 + [similar] * 30 + [small(ROCKET)] * 30
    default = run(frames)
    assert cut_frames(default) == [30, 60]
    weaker = min(default.shots[0].confidence, default.shots[1].confidence)
    stronger = run(frames, shot_min_confidence=weaker + 0.005)
    assert len(cut_frames(stronger)) < 2
    assert_tiles(stronger.shots, 90)
    assert all(shot.confidence >= weaker + 0.005 for shot in stronger.shots)


def grey(luma: int) -> Pixels:
    return np.full((H, W, 3), luma, np.uint8)


@pytest.mark.parametrize(
    ("threshold", "is_black"),
    [(0.2, True), (0.1, False), (0.0, False)],  # luma 40: under 51, over 25.5 and 0
)
def test_black_frame_pixel_threshold(threshold: float, is_black: bool) -> None:
    frames = [grey(40)] * 10 + [small(CHELSEA)] * 20
    result = run(frames, black_max_pixel_threshold=threshold)
    assert bool(cues(result, "BlackFrames")) is is_black


@pytest.mark.parametrize(("coverage", "is_black"), [(0.99, False), (0.97, True), (1.0, False)])
def test_black_frame_coverage(coverage: float, is_black: bool) -> None:
    logo = BLACK.copy()
    logo[2:6, 2:14] = 255  # 48 of 2304 pixels: 2% white, a channel logo on black
    result = run([logo] * 10 + [small(CHELSEA)] * 20, black_min_coverage=coverage)
    found = cues(result, "BlackFrames")
    assert bool(found) is is_black
    if found:
        assert 0.5 <= found[0].confidence < 1.0  # not all of it black


def test_near_black_is_less_confident_than_black() -> None:
    result = run([grey(45)] * 10 + [small(CHELSEA)] * 20 + [BLACK] * 10)
    first, last = cues(result, "BlackFrames")
    assert 0.5 <= first.confidence < last.confidence == 1.0
    only_sure = run([grey(45)] * 10 + [small(CHELSEA)] * 20 + [BLACK] * 10,
                    cue_min_confidence=0.9)  # fmt: skip
    assert [c.start_frame for c in cues(only_sure, "BlackFrames")] == [30]
    (content,) = cues(only_sure, "Content")
    assert (content.start_frame, content.end_frame) == (0, 29)


def test_black_in_the_middle_does_not_split_content() -> None:
    result = run([small(CHELSEA)] * 20 + [BLACK] * 5 + [small(ROCKET)] * 20)
    assert [(c.type, c.start_frame, c.end_frame) for c in result.technical_cues] == [
        ("Content", 0, 44),
        ("BlackFrames", 20, 24),
    ]


def test_all_black_has_no_content() -> None:
    result = run([BLACK] * 20)
    assert [(c.type, c.start_frame, c.end_frame) for c in result.technical_cues] == [
        ("BlackFrames", 0, 19)
    ]
    assert len(result.shots) == 1


def test_no_frames_and_one_frame() -> None:
    empty = detect_segments([], FPS)
    assert (empty.shots, empty.technical_cues, empty.frame_count) == ((), (), 0)
    one = run([small(CHELSEA)])
    assert [(s.start_frame, s.end_frame, s.confidence) for s in one.shots] == [(0, 0, 1.0)]


def test_frames_must_come_in_order() -> None:
    detector = SegmentDetector(FPS)
    detector.push((0, 0, BLACK))
    with pytest.raises(ValueError, match="expected frame 1"):
        detector.push((2, 66, BLACK))
    with pytest.raises(ValueError, match="back in time"):
        detector.push((1, -5, BLACK))
    with pytest.raises(ValueError, match="uint8"):
        detector.push((1, 33, BLACK.astype(np.float32)))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        SegmentDetector(0.0)


# --- options from Rekognition's request ---------------------------------------------


def test_options_from_filters() -> None:
    assert SegmentOptions.from_filters(None) == SegmentOptions()
    options = SegmentOptions.from_filters(
        {
            "TechnicalCueFilter": {
                "MinSegmentConfidence": 80,
                "BlackFrame": {"MaxPixelThreshold": 0.1, "MinCoveragePercentage": 95},
            },
            "ShotFilter": {"MinSegmentConfidence": 60.5},
        }
    )
    assert options == SegmentOptions(
        shot_min_confidence=0.605,
        cue_min_confidence=0.8,
        black_max_pixel_threshold=0.1,
        black_min_coverage=0.95,
    )


@pytest.mark.parametrize(
    "filters",
    [
        {"ShotFilter": {"MinSegmentConfidence": 49}},  # Rekognition's floor is 50
        {"TechnicalCueFilter": {"MinSegmentConfidence": 101}},
        {"TechnicalCueFilter": {"BlackFrame": {"MaxPixelThreshold": 1.5}}},
        {"TechnicalCueFilter": {"BlackFrame": {"MinCoveragePercentage": -1}}},
        {"TechnicalCueFilter": {"BlackFrame": {"MinCoveragePercentage": "99"}}},
        {"ShotFilter": ["MinSegmentConfidence"]},
    ],
)
def test_options_refuse_out_of_range_filters(filters: dict[str, object]) -> None:
    with pytest.raises(InvalidParameterError):
        SegmentOptions.from_filters(filters)


# --- through a real encoded file ----------------------------------------------------


@pytest.mark.parametrize("codec", ["libx264", "mpeg4"])
def test_encoded_clip(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "clip.mp4"
    write_clip(path, brief_scene, 4.0, codec)
    with low_res_frames(path) as video:
        assert video.frame_rate == 30.0
        assert (video.width, video.height, video.declared_frames) == (320, 180, 120)
        frames = list(video)
        result = detect_segments(frames, video.frame_rate)
    assert [f.frame_number for f in frames] == list(range(120))
    assert frames[60].timestamp_ms == 2000 and frames[1].timestamp_ms == 33
    assert frames[0].pixels.shape == (H, W, 3) and frames[0].pixels.dtype == np.uint8
    assert result.frame_count == 120
    assert_tiles(result.shots, 120)
    cuts = cut_frames(result)
    assert len(cuts) == 3
    assert [abs(cut - at) <= 1 for cut, at in zip(cuts, (15, 60, 105), strict=True)] == [True] * 3
    shot = next(s for s in result.shots if abs(s.start_frame - 60) <= 1)
    assert abs(shot.start_ms - 2000) <= 34
    first, last = cues(result, "BlackFrames")
    assert first.start_frame == 0 and abs(first.end_frame - 14) <= 1
    assert abs(last.start_frame - 105) <= 1 and last.end_frame == 119
    (content,) = cues(result, "Content")
    assert (content.start_frame, content.end_frame) == (first.end_frame + 1, last.start_frame - 1)
    assert content.timing(video.frame_rate).start_smpte == f"00:00:00:{content.start_frame:02d}"


def test_results_so_far_then_more_frames() -> None:
    detector = SegmentDetector(FPS)
    frames = [BLACK] * 10 + [small(CHELSEA)] * 20 + [small(ROCKET)] * 20
    for i, pixels in enumerate(frames[:25]):
        detector.push((i, i * 33, pixels))
    so_far = detector.finish()
    assert cut_frames(so_far) == [10]
    assert so_far.shots[-1].end_frame == 24
    for i, pixels in enumerate(frames[25:], start=25):
        detector.push((i, i * 33, pixels))
    assert cut_frames(detector.finish()) == [10, 30]
