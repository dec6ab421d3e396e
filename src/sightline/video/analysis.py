"""Analyses over time: each sampled frame through the image analyzers, into Get* records.

One :class:`FrameAnalysis` per job: ``frame()`` is called for every sampled frame in
time order, ``results()`` once at the end. Records are converted to Rekognition's
shapes here, once, with the frame's full-resolution upright size (ratios are what a
stored record must hold: they survive any later change of decode size).

The **person filter** (face analyses, on by default) runs the cheap person cues first —
HOG people and NudeNet's face classes, which also catch the close-ups HOG's whole-body
window misses — and sends only frames where one fires to the face pass; the frames
skipped are counted in the job's details.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

from sightline.api.rekognition.shapes.faces import face_detail
from sightline.api.rekognition.shapes.labels import label_shape
from sightline.api.rekognition.shapes.moderation import moderation_label
from sightline.api.rekognition.shapes.text import text_detection
from sightline.media.image import Image
from sightline.media.video import VideoFrame
from sightline.video.apis import (
    FACES,
    LABELS,
    MODERATION,
    SEGMENTS,
    TEXT,
    TIMESTAMPS,
    VideoApi,
)
from sightline.video.records import Record

if TYPE_CHECKING:
    from sightline.analyzers.base import AnalyzerPool
    from sightline.analyzers.moderation import ModerationAnalyzer

# NudeNet's face classes count as a person for the filter above this score: a face
# close-up has no upright body for HOG to find.
GATE_FACE_SCORE = 0.35
_FACE_PARTS = ("FACE_FEMALE", "FACE_MALE")


@dataclass
class FrameStats:
    frames: int = 0  # sampled frames seen
    analysed: int = 0  # frames the analysis ran on (the rest skipped by the filter)

    def as_dict(self) -> dict[str, int]:
        return {"frames": self.frames, "analysed": self.analysed}


class FrameAnalysis(Protocol):
    api: VideoApi
    stats: FrameStats

    def frame(self, frame: VideoFrame) -> None: ...

    def results(self, interval_ms: int, duration_ms: int) -> dict[str, list[Record]]:
        """Records per aggregation (TIMESTAMPS first; SEGMENTS where offered)."""
        ...

    def model_version(self) -> str | None: ...

    def versions(self) -> dict[str, str]: ...


class PersonGate:
    """Is there a person in this frame? Cheap cues only (see the module docstring)."""

    def __init__(self, pool: AnalyzerPool) -> None:
        self.pool = pool

    def __call__(self, image: Image) -> bool:
        if self.pool.analyze("person", image).people:
            return True
        moderation = cast("ModerationAnalyzer", self.pool.get("moderation"))
        parts = moderation.body_parts(image)
        return any(p.label in _FACE_PARTS and p.score >= GATE_FACE_SCORE for p in parts)


@dataclass
class _PerFrame:
    """A frame analysis built from one image analyzer and a record maker."""

    api: VideoApi
    pool: AnalyzerPool
    analyzer: str
    options: dict[str, Any]
    to_records: Callable[[Any, VideoFrame], list[Record]]
    gate: Callable[[Image], bool] | None = None
    name_key: str | None = None  # the record member merged into SEGMENTS, if offered
    stats: FrameStats = field(default_factory=FrameStats)
    _records: list[Record] = field(default_factory=list)
    _model_version: str | None = None

    def frame(self, frame: VideoFrame) -> None:
        self.stats.frames += 1
        if self.gate is not None and not self.gate(frame.image):
            return
        self.stats.analysed += 1
        result = self.pool.analyze(self.analyzer, frame.image, self.options)
        self._model_version = getattr(result, "model_version", None)
        self._records.extend(self.to_records(result, frame))

    def results(self, interval_ms: int, duration_ms: int) -> dict[str, list[Record]]:
        out = {TIMESTAMPS: list(self._records)}
        if self.name_key is not None:
            out[SEGMENTS] = merge_segments(self._records, self.name_key, interval_ms, duration_ms)
        return out

    def model_version(self) -> str | None:
        return self._model_version

    def versions(self) -> dict[str, str]:
        return dict(self.pool.get(self.analyzer).versions())


def _size(frame: VideoFrame) -> tuple[int, int]:
    return frame.image.info.width, frame.image.info.height


def _labels(result: Any, frame: VideoFrame) -> list[Record]:
    w, h = _size(frame)
    return [
        Record(
            frame.timestamp_ms,
            {"Timestamp": frame.timestamp_ms, "Label": label_shape(label, w, h)},
            name=label.name,
        )
        for label in result.labels
    ]


def _faces(attributes: Any) -> Callable[[Any, VideoFrame], list[Record]]:
    def make(result: Any, frame: VideoFrame) -> list[Record]:
        w, h = _size(frame)
        return [
            Record(
                frame.timestamp_ms,
                {"Timestamp": frame.timestamp_ms, "Face": face_detail(face, w, h, attributes)},
            )
            for face in result.faces
        ]

    return make


def _text(result: Any, frame: VideoFrame) -> list[Record]:
    w, h = _size(frame)
    return [
        Record(
            frame.timestamp_ms,
            {"Timestamp": frame.timestamp_ms, "TextDetection": text_detection(d, w, h)},
        )
        for d in result.detections
    ]


def _moderation(result: Any, frame: VideoFrame) -> list[Record]:
    return [
        Record(
            frame.timestamp_ms,
            {"Timestamp": frame.timestamp_ms, "ModerationLabel": moderation_label(label)},
            name=label.name,
        )
        for label in result.labels
    ]


def merge_segments(
    records: list[Record], member: str, interval_ms: int, duration_ms: int
) -> list[Record]:
    """Records of the same name on consecutive samples merged into one segment each.

    A sample stands for the stretch until the next sample, so a segment ends one
    interval after its last sample (at most at the video's end); a gap of more than
    one missed sample starts a new segment. The segment carries the most confident
    sample's label, without per-frame ``Instances`` (their boxes belong to one frame).
    """
    by_name: dict[str, list[Record]] = {}
    for r in records:
        by_name.setdefault(r.name, []).append(r)
    out: list[Record] = []
    gap = interval_ms * 1.5
    for name, rows in by_name.items():
        rows.sort(key=lambda r: r.timestamp_ms)
        run = [rows[0]]
        for r in rows[1:]:
            if r.timestamp_ms - run[-1].timestamp_ms <= gap:
                run.append(r)
            else:
                out.append(_segment(run, member, name, interval_ms, duration_ms))
                run = [r]
        out.append(_segment(run, member, name, interval_ms, duration_ms))
    out.sort(key=lambda r: (r.timestamp_ms, r.name))
    return out


def _segment(
    run: list[Record], member: str, name: str, interval_ms: int, duration_ms: int
) -> Record:
    start = run[0].timestamp_ms
    end = min(run[-1].timestamp_ms + interval_ms, max(duration_ms, run[-1].timestamp_ms))
    best = max(run, key=lambda r: float(r.record[member].get("Confidence", 0.0)))
    shape = {k: v for k, v in best.record[member].items() if k != "Instances"}
    return Record(
        start,
        {
            "Timestamp": start,
            member: shape,
            "StartTimestampMillis": start,
            "EndTimestampMillis": end,
            "DurationMillis": end - start,
        },
        name=name,
    )


def frame_analysis(
    api: VideoApi,
    request: Mapping[str, Any],
    pool: AnalyzerPool,
    *,
    person_filter: bool,
) -> FrameAnalysis:
    """The frame analysis of a per-frame API (labels, faces, text, moderation)."""
    gate = PersonGate(pool) if person_filter and api.gated else None
    if api is LABELS:
        options: dict[str, Any] = {"Features": ["GENERAL_LABELS"]}
        if request.get("MinConfidence") is not None:
            options["MinConfidence"] = request["MinConfidence"]
        if request.get("Settings"):
            options["Settings"] = request["Settings"]
        return _PerFrame(api, pool, "labels", options, _labels, name_key="Label")
    if api is FACES:
        attributes = [request.get("FaceAttributes") or "DEFAULT"]
        return _PerFrame(
            api, pool, "faces", {"Attributes": attributes}, _faces(attributes), gate=gate
        )
    if api is TEXT:
        text_options = {"Filters": request["Filters"]} if request.get("Filters") else {}
        return _PerFrame(api, pool, "text", text_options, _text)
    if api is MODERATION:
        mod_options: dict[str, Any] = {}
        if request.get("MinConfidence") is not None:
            mod_options["MinConfidence"] = request["MinConfidence"]
        return _PerFrame(
            api, pool, "moderation", mod_options, _moderation, name_key="ModerationLabel"
        )
    raise ValueError(f"{api.name} is not a per-frame analysis")
