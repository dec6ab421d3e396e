"""StartSegmentDetection: every frame, small, through the segment detector.

Shot boundaries are frame-accurate, so this analysis reads every frame (at 64x36, see
:mod:`sightline.video.lowres`) instead of the sampled plan the other analyses use.
``SegmentTypes`` chooses what is reported; ``Filters`` set the confidences and the
black-frame thresholds. A file that breaks part-way yields the segments of the frames
before the break, marked partial.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sightline.api.rekognition.shapes.common import percent
from sightline.errors import InvalidVideoError
from sightline.media.video import VideoMetadata
from sightline.video.apis import TIMESTAMPS
from sightline.video.records import Record
from sightline.video.segments import (
    SegmentDetector,
    SegmentOptions,
    SegmentsResult,
    Span,
    low_res_frames,
)

if TYPE_CHECKING:
    from sightline.video.runner import VideoOutput

SHOT, TECHNICAL_CUE = "SHOT", "TECHNICAL_CUE"


def detect_segments(
    path: str | os.PathLike[str],
    meta: VideoMetadata,
    audio: list[dict[str, Any]],
    request: Mapping[str, Any],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> VideoOutput:
    from sightline.video.runner import VideoOutput

    types = [str(t) for t in request.get("SegmentTypes") or (SHOT, TECHNICAL_CUE)]
    options = SegmentOptions.from_filters(request.get("Filters"))
    partial: str | None = None
    total = meta.frame_count or 0
    last = 0.0
    with low_res_frames(path) as frames:
        detector = SegmentDetector(frames.frame_rate, options)
        try:
            for frame in frames:
                detector.push(frame)
                now = time.monotonic()
                if progress is not None and now - last >= 1.0:
                    progress(detector.frame_count, max(total, detector.frame_count))
                    last = now
        except InvalidVideoError as exc:
            if detector.frame_count == 0:
                raise
            partial = f"Partial results: {exc.message}"
    if detector.frame_count == 0:
        raise InvalidVideoError("The video holds no decodable frame.")
    if progress is not None:
        progress(detector.frame_count, detector.frame_count)
    result = detector.finish()
    records = segment_records(result, types)
    details: dict[str, Any] = {
        "SelectedSegmentTypes": [
            {"Type": t, "ModelVersion": result.model_version}
            for t in (SHOT, TECHNICAL_CUE)
            if t in types
        ],
        "frames": {"frames": result.frame_count, "analysed": result.frame_count},
        "models": {"segments": result.model_version},
    }
    return VideoOutput(meta, audio, {TIMESTAMPS: records}, details, partial)


def segment_records(result: SegmentsResult, types: Sequence[str]) -> list[Record]:
    """Rekognition's ``SegmentDetection`` entries, technical cues and shots by start."""
    out: list[Record] = []
    if TECHNICAL_CUE in types:
        for cue in result.technical_cues:
            shape = _timing(cue, result.frame_rate)
            shape["Type"] = TECHNICAL_CUE
            shape["TechnicalCueSegment"] = {
                "Type": cue.type,
                "Confidence": percent(cue.confidence),
            }
            out.append(Record(cue.start_ms, shape, name=TECHNICAL_CUE))
    if SHOT in types:
        for shot in result.shots:
            shape = _timing(shot, result.frame_rate)
            shape["Type"] = SHOT
            shape["ShotSegment"] = {"Index": shot.index, "Confidence": percent(shot.confidence)}
            out.append(Record(shot.start_ms, shape, name=SHOT))
    out.sort(key=lambda r: (r.timestamp_ms, r.name))
    return out


def _timing(span: Span, frame_rate: float) -> dict[str, Any]:
    t = span.timing(frame_rate)
    return {
        "StartTimestampMillis": t.start_ms,
        "EndTimestampMillis": t.end_ms,
        "DurationMillis": t.duration_ms,
        "StartTimecodeSMPTE": t.start_smpte,
        "EndTimecodeSMPTE": t.end_smpte,
        "DurationSMPTE": t.duration_smpte,
        "StartFrameNumber": t.start_frame,
        "EndFrameNumber": t.end_frame,
        "DurationFrames": t.duration_frames,
    }
