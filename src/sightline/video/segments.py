"""Segment detection (``StartSegmentDetection``): shots and technical cues.

Input is *every* frame of the video, small (:data:`LOW_RES_SIZE`, RGB ``uint8``), in
order, numbered from 0, with its presentation time in milliseconds (rounded down). Shot
boundaries are then frame-accurate. :func:`low_res_frames` (:mod:`sightline.video.lowres`,
re-exported here) decodes a file into exactly that; :class:`SegmentDetector` takes frames
one at a time (so a caller keeps what was detected when decoding fails part-way);
:func:`detect_segments` takes an iterable.

Shots. For each pair of consecutive frames a cut score combines two cues, both made
insensitive to fades: the distance between HSV histograms of the frames rescaled to the
same mean luma (dark pixels in one bin, greys binned by value), and the dissimilarity
(1 - NCC) of their 16x9 block-mean luma, weighted down when a frame has little contrast.
A cut at frame ``t`` needs a score over an absolute floor, :data:`CUT_RATIO` times the
mean score of the half second around it (a fast pan or a fade scores high on every frame
and so never stands out), the highest score within a minimum shot length, a frame after
it that still differs from the frame before it (a one-frame flash is no cut), and not
both frames black. Its confidence is a logistic of the margin by which it passed the
weaker of the floor and the ratio test: 0.5 at the threshold, so a
``MinSegmentConfidence`` of 50 is the detector's own threshold and higher values keep
only the clearer cuts (a dropped cut merges two shots: shots always tile the video).

Technical cues. ``BlackFrames``: runs of frames in which at least
``black_min_coverage`` of the pixels have BT.709 luma at most
``black_max_pixel_threshold`` x 255, Rekognition's ``BlackFrame`` filter. Frames
converted to RGB are full range whatever the source's range (the scaler maps limited
range 16 to 0), so the threshold is on the full 0-255 range: 0.2 means 51, as in
Rekognition's documentation for full-range video. ``Content``: from the first frame
after a black run that opens the video to the last frame before one that closes it.

Frame numbers are inclusive: a segment runs from ``start_frame`` to ``end_frame``, and
``end_ms`` is the time of ``end_frame``. :meth:`Span.timing` gives the values of every
``SegmentDetection`` timing member with Rekognition's own conventions.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import cv2
import numpy as np
from numpy.typing import NDArray

from sightline.errors import InvalidParameterError
from sightline.video.lowres import LOW_RES_SIZE, LowResFrame, LowResVideo, low_res_frames
from sightline.video.timecode import smpte

__all__ = [
    "CUT_RATIO",
    "LOW_RES_SIZE",
    "MIN_CUT_SCORE",
    "SEGMENTS_MODEL_VERSION",
    "LowResFrame",
    "LowResVideo",
    "SegmentDetector",
    "SegmentOptions",
    "SegmentTiming",
    "SegmentsResult",
    "Shot",
    "Span",
    "TechnicalCue",
    "TechnicalCueType",
    "detect_segments",
    "low_res_frames",
    "smpte",
]

SEGMENTS_MODEL_VERSION = "sightline-segments-1.0"

TechnicalCueType = Literal["BlackFrames", "Content"]

# --- shot detector tuning (measured on test scenes; see docs/decisions.md) ---------
MIN_CUT_SCORE = 0.25  # cuts between unrelated scenes score 0.5-1.0; fast pans under 0.35
CUT_RATIO = 3.0  # a cut stands out this many times above its surroundings
_WINDOW_S = 0.5  # the surroundings: this long each side of the candidate
_MIN_SHOT_S = 0.2  # no two cuts closer than this (and never closer than 2 frames)
_FLASH_RATIO = 0.5  # across a cut, frames 2 apart differ at least this part of its score
_CONFIDENCE_SLOPE = 3.0  # logistic slope on the log-margin (a margin of x2 is ~0.89)
_BASELINE_FLOOR = 0.01  # the baseline of a perfectly still scene
# Histogram: 16 hues x 4 saturations for coloured pixels; 1 dark + 4 grey value bins.
_HUE_BINS, _SAT_BINS, _GREY_BINS = 16, 4, 4
_MIN_VALUE, _MIN_SATURATION = 40, 40
_BLOCKS = (16, 9)  # block-mean luma grid for the structural cue
_CONTRAST_FULL = 8.0  # block-luma std (0-255) at and above which structure counts fully
_MEAN_LUMA = 128.0  # frames are rescaled to this mean luma before the histogram
# A frame is dark (no cut between two dark frames) when 99% of it is under luma 51.
_DARK_LUMA, _DARK_COVERAGE = 51.0, 0.99
_BT709 = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


@dataclass(frozen=True)
class SegmentTiming:
    """Every timing member of a ``SegmentDetection``, Rekognition's conventions.

    As in Rekognition's documented responses, ``end_frame`` is the segment's last frame,
    ``duration_frames`` is ``end_frame - start_frame`` and ``duration_ms`` is
    ``end_ms - start_ms``; ``duration_smpte`` is the timecode of ``duration_frames``.
    """

    start_ms: int
    end_ms: int
    duration_ms: int
    start_frame: int
    end_frame: int
    duration_frames: int
    start_smpte: str
    end_smpte: str
    duration_smpte: str


@dataclass(frozen=True, kw_only=True)
class Span:
    """Frames ``start_frame`` to ``end_frame`` inclusive; ``end_ms`` is ``end_frame``'s time."""

    start_frame: int
    end_frame: int
    start_ms: int
    end_ms: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_frame <= self.end_frame:
            raise ValueError(f"frames out of order: {self.start_frame}..{self.end_frame}")
        if not 0 <= self.start_ms <= self.end_ms:
            raise ValueError(f"times out of order: {self.start_ms}..{self.end_ms} ms")

    @property
    def frame_count(self) -> int:
        return self.end_frame - self.start_frame + 1

    def timing(self, frame_rate: float) -> SegmentTiming:
        duration_frames = self.end_frame - self.start_frame
        return SegmentTiming(
            start_ms=self.start_ms,
            end_ms=self.end_ms,
            duration_ms=self.end_ms - self.start_ms,
            start_frame=self.start_frame,
            end_frame=self.end_frame,
            duration_frames=duration_frames,
            start_smpte=smpte(self.start_frame, frame_rate),
            end_smpte=smpte(self.end_frame, frame_rate),
            duration_smpte=smpte(duration_frames, frame_rate),
        )


@dataclass(frozen=True, kw_only=True)
class Shot(Span):
    """A shot (``ShotSegment``): ``index`` from 0 in time order, confidence 0.5-1."""

    index: int
    confidence: float


@dataclass(frozen=True, kw_only=True)
class TechnicalCue(Span):
    """A technical cue (``TechnicalCueSegment``), confidence 0.5-1."""

    type: TechnicalCueType
    confidence: float


@dataclass(frozen=True)
class SegmentOptions:
    """Rekognition's segment filters, as fractions (confidence 0.5-1, coverage 0-1)."""

    shot_min_confidence: float = 0.5
    cue_min_confidence: float = 0.5
    black_max_pixel_threshold: float = 0.2
    black_min_coverage: float = 0.99

    def __post_init__(self) -> None:
        for name in ("shot_min_confidence", "cue_min_confidence"):
            value = getattr(self, name)
            if not 0.5 <= value <= 1.0:
                raise InvalidParameterError(f"{name} must be in [0.5, 1], got {value}")
        for name in ("black_max_pixel_threshold", "black_min_coverage"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise InvalidParameterError(f"{name} must be in [0, 1], got {value}")

    @classmethod
    def from_filters(cls, filters: Mapping[str, Any] | None) -> SegmentOptions:
        """Options from a ``StartSegmentDetection`` ``Filters`` member (0-100 units)."""
        filters = filters or {}
        cue = _member(filters, "TechnicalCueFilter")
        black = _member(cue, "BlackFrame")
        shot = _member(filters, "ShotFilter")
        return cls(
            shot_min_confidence=_number(shot, "MinSegmentConfidence", 50.0, 50, 100) / 100,
            cue_min_confidence=_number(cue, "MinSegmentConfidence", 50.0, 50, 100) / 100,
            black_max_pixel_threshold=_number(black, "MaxPixelThreshold", 0.2, 0, 1),
            black_min_coverage=_number(black, "MinCoveragePercentage", 99.0, 0, 100) / 100,
        )


@dataclass(frozen=True)
class SegmentsResult:
    """Shots (tiling frames 0..frame_count-1) and technical cues, both in time order."""

    shots: tuple[Shot, ...]
    technical_cues: tuple[TechnicalCue, ...]
    frame_count: int
    frame_rate: float
    model_version: str = SEGMENTS_MODEL_VERSION


class _Features(NamedTuple):
    blocks: NDArray[np.float32]  # zero-mean, unit-std block luma, flattened
    contrast: float  # std of the block luma, 0-255
    hist: NDArray[np.float32]  # sums to 1
    dark: bool


class SegmentDetector:
    """Detects shots and technical cues from frames pushed one at a time, in order."""

    def __init__(self, frame_rate: float, options: SegmentOptions | None = None) -> None:
        if not (math.isfinite(frame_rate) and frame_rate > 0):
            raise ValueError(f"frame rate must be a positive number, got {frame_rate}")
        self.frame_rate = frame_rate
        self.options = options or SegmentOptions()
        self._black_luma = self.options.black_max_pixel_threshold * 255.0
        self._times = array("q")
        self._scores = array("d")  # [t]: frame t-1 vs t (index 0 unused)
        self._skips = array("d")  # [t]: frame t-1 vs t+1, once t+1 is seen
        self._coverage = array("d")  # fraction of black pixels
        self._darkness = array("d")  # 1 - mean black-pixel luma / threshold
        self._previous: list[_Features] = []  # the last two frames' features

    @property
    def frame_count(self) -> int:
        return len(self._times)

    def push(self, frame: LowResFrame | tuple[int, int, NDArray[np.uint8]]) -> None:
        """Add the next frame; numbers must run 0, 1, 2... and times must not decrease."""
        number, timestamp_ms, pixels = frame
        if number != len(self._times):
            raise ValueError(f"expected frame {len(self._times)}, got frame {number}")
        if self._times and timestamp_ms < self._times[-1]:
            raise ValueError(f"frame {number} goes back in time ({timestamp_ms} ms)")
        if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
            raise ValueError(f"pixels must be (h, w, 3) uint8, got {pixels.shape} {pixels.dtype}")
        luma = pixels.astype(np.float32) @ _BT709
        black = luma <= self._black_luma
        coverage = float(np.count_nonzero(black)) / luma.size
        self._times.append(timestamp_ms)
        self._coverage.append(coverage)
        if self._black_luma > 0 and coverage > 0:
            self._darkness.append(1.0 - float(luma[black].mean()) / self._black_luma)
        else:
            self._darkness.append(1.0)
        features = _features(pixels, luma)
        if self._previous:
            self._scores.append(_cut_score(self._previous[-1], features))
        else:
            self._scores.append(0.0)
        self._skips.append(0.0)
        if len(self._previous) == 2:
            self._skips[-2] = _cut_score(self._previous[0], features)
        self._previous = [*self._previous[-1:], features]

    def finish(self) -> SegmentsResult:
        """The shots and cues of the frames pushed so far (more may be pushed after)."""
        count = len(self._times)
        if count == 0:
            return SegmentsResult((), (), 0, self.frame_rate)
        # Copies: a view would pin the arrays' buffers and block further pushes.
        scores = np.frombuffer(self._scores, dtype=np.float64).copy()
        skips = np.frombuffer(self._skips, dtype=np.float64).copy()
        if count >= 2:
            skips[-1] = scores[-1]  # no frame after the last one yet
        cuts = [
            (frame, confidence)
            for frame, confidence in _find_cuts(scores, skips, self.frame_rate)
            if confidence >= self.options.shot_min_confidence
        ]
        return SegmentsResult(
            shots=self._shots(cuts),
            technical_cues=self._cues(),
            frame_count=count,
            frame_rate=self.frame_rate,
        )

    def _span(self, start: int, end: int) -> dict[str, int]:
        return {
            "start_frame": start,
            "end_frame": end,
            "start_ms": self._times[start],
            "end_ms": self._times[end],
        }

    def _shots(self, cuts: list[tuple[int, float]]) -> tuple[Shot, ...]:
        bounds = [(0, 1.0), *cuts, (len(self._times), 1.0)]
        return tuple(
            Shot(
                index=i,
                confidence=min(start_confidence, end_confidence),
                **self._span(start, end - 1),
            )
            for i, ((start, start_confidence), (end, end_confidence)) in enumerate(
                itertools.pairwise(bounds)
            )
        )

    def _cues(self) -> tuple[TechnicalCue, ...]:
        coverage = np.frombuffer(self._coverage, dtype=np.float64).copy()
        darkness = np.frombuffer(self._darkness, dtype=np.float64).copy()
        need = self.options.black_min_coverage
        is_black = coverage >= need - 1e-9
        # Confidence of a black frame: 0.5 at the filter's limits, 1 for pure black over
        # the whole frame; half from the coverage margin, half from how dark it is.
        coverage_margin = (
            np.clip((coverage - need) / (1.0 - need), 0.0, 1.0) if need < 1.0 else is_black * 1.0
        )
        frame_confidence = 0.5 + 0.25 * coverage_margin + 0.25 * np.clip(darkness, 0.0, 1.0)
        cues: list[TechnicalCue] = []
        for start, end in _runs(is_black):
            confidence = float(frame_confidence[start : end + 1].mean())
            if confidence >= self.options.cue_min_confidence:
                cues.append(
                    TechnicalCue(
                        type="BlackFrames", confidence=confidence, **self._span(start, end)
                    )
                )
        last = len(self._times) - 1
        first_content, last_content, content_confidence = 0, last, 1.0
        if cues and cues[0].start_frame == 0:
            first_content = cues[0].end_frame + 1
            content_confidence = cues[0].confidence
        if cues and cues[-1].end_frame == last:
            last_content = cues[-1].start_frame - 1
            content_confidence = min(content_confidence, cues[-1].confidence)
        if first_content <= last_content and content_confidence >= self.options.cue_min_confidence:
            cues.append(
                TechnicalCue(
                    type="Content",
                    confidence=content_confidence,
                    **self._span(first_content, last_content),
                )
            )
        return tuple(sorted(cues, key=lambda cue: (cue.start_frame, cue.end_frame)))


def detect_segments(
    frames: Iterable[LowResFrame | tuple[int, int, NDArray[np.uint8]]],
    frame_rate: float,
    options: SegmentOptions | None = None,
) -> SegmentsResult:
    """Shots and technical cues of ``frames`` (every frame of the video, in order)."""
    detector = SegmentDetector(frame_rate, options)
    for frame in frames:
        detector.push(frame)
    return detector.finish()


def _features(pixels: NDArray[np.uint8], luma: NDArray[np.float32]) -> _Features:
    mean = float(luma.mean())
    # Rescale to a common mean luma so a fade leaves hue, saturation and value bins alone.
    scale = _MEAN_LUMA / max(mean, 8.0)
    normalised = np.clip(pixels.astype(np.float32) * scale, 0, 255).astype(np.uint8)
    hsv = cv2.cvtColor(normalised, cv2.COLOR_RGB2HSV).astype(np.int32)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    coloured = (val >= _MIN_VALUE) & (sat >= _MIN_SATURATION)
    colour_bin = (hue * _HUE_BINS // 180) * _SAT_BINS + (sat - _MIN_SATURATION) * _SAT_BINS // (
        256 - _MIN_SATURATION
    )
    grey_bin = np.where(
        val < _MIN_VALUE, 0, 1 + (val - _MIN_VALUE) * (_GREY_BINS - 1) // (256 - _MIN_VALUE)
    )
    bins = np.where(coloured, colour_bin, _HUE_BINS * _SAT_BINS + grey_bin)
    hist = np.bincount(bins.ravel(), minlength=_HUE_BINS * _SAT_BINS + _GREY_BINS + 1)
    blocks = cv2.resize(luma, _BLOCKS, interpolation=cv2.INTER_AREA).ravel()
    blocks = blocks - blocks.mean()
    contrast = float(blocks.std())
    dark = np.count_nonzero(luma > _DARK_LUMA) <= (1.0 - _DARK_COVERAGE) * luma.size
    return _Features(
        blocks=(blocks / max(contrast, 1e-3)).astype(np.float32),
        contrast=contrast,
        hist=(hist / luma.size).astype(np.float32),
        dark=bool(dark),
    )


def _cut_score(a: _Features, b: _Features) -> float:
    if a.dark and b.dark:
        return 0.0
    histogram = 0.5 * float(np.abs(a.hist - b.hist).sum())
    correlation = float(np.dot(a.blocks, b.blocks)) / a.blocks.size
    # Structure counts when either frame has some (a cut to a flat card is a change);
    # between two dim frames, late in a fade, block luma is mostly quantisation noise.
    contrast = min(1.0, max(a.contrast, b.contrast) / _CONTRAST_FULL)
    structure = (1.0 - correlation) / 2.0 * contrast
    return 0.5 * histogram + structure


def _find_cuts(
    scores: NDArray[np.float64], skips: NDArray[np.float64], frame_rate: float
) -> list[tuple[int, float]]:
    """(frame, confidence) of each cut: the first frame of a new shot."""
    count = len(scores)
    if count < 2:
        return []
    window = max(2, round(_WINDOW_S * frame_rate))
    min_shot = max(2, round(_MIN_SHOT_S * frame_rate))
    valid = scores.copy()
    valid[0] = 0.0  # frame 0 has no predecessor
    total = np.concatenate(([0.0], np.cumsum(valid)))
    t = np.arange(count)

    def window_sum(lo: NDArray[np.int64], hi: NDArray[np.int64]) -> NDArray[np.float64]:
        lo = np.clip(lo, 1, count)
        hi = np.clip(hi, 1, count)
        return np.where(hi > lo, total[hi] - total[lo], 0.0)

    # Mean score of the window around t, leaving out t and its neighbours (a cut spread
    # over two frames by the encoder must not raise its own baseline).
    around = window_sum(t - window, t + window + 1) - window_sum(t - 1, t + 2)
    n_around = np.clip(np.minimum(t + window + 1, count) - np.maximum(t - window, 1), 0, None)
    n_around -= np.clip(np.minimum(t + 2, count) - np.maximum(t - 1, 1), 0, None)
    baseline = np.maximum(around / np.maximum(n_around, 1), _BASELINE_FLOOR)
    # A flash: the frame after it matches the frame before it. skips[t] compares frames
    # t-1 and t+1 (into the flash); skips[t-1] compares t-2 and t (out of it).
    back = np.concatenate(([np.inf, np.inf], skips[1:-1]))[:count]
    candidate = (
        (t >= 1)
        & (scores >= MIN_CUT_SCORE)
        & (scores >= CUT_RATIO * baseline)
        & (skips >= _FLASH_RATIO * scores)
        & (back >= _FLASH_RATIO * scores)
    )
    chosen: list[int] = []
    for frame in sorted(np.flatnonzero(candidate).tolist(), key=lambda f: -scores[f]):
        if all(abs(frame - other) >= min_shot for other in chosen):
            chosen.append(frame)
    cuts = []
    for frame in sorted(chosen):
        score = float(scores[frame])
        margin = min(
            math.log(score / MIN_CUT_SCORE), math.log(score / (CUT_RATIO * baseline[frame]))
        )
        cuts.append((frame, 1.0 / (1.0 + math.exp(-_CONFIDENCE_SLOPE * margin))))
    return cuts


def _runs(mask: NDArray[np.bool_]) -> Iterator[tuple[int, int]]:
    """(first, last) index of each run of True."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1).tolist()
    yield from zip(starts, (np.flatnonzero(edges == -1) - 1).tolist(), strict=True)


def _member(parent: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = parent.get(name) or {}
    if not isinstance(value, Mapping):
        raise InvalidParameterError(f"{name} must be an object")
    return value


def _number(parent: Mapping[str, Any], name: str, default: float, lo: float, hi: float) -> float:
    value = parent.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise InvalidParameterError(f"{name} must be a number in [{lo}, {hi}], got {value!r}")
    return float(value)
