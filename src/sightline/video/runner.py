"""One video through one analysis: probe, sample, analyse each frame, aggregate.

:func:`analyze_video` is the whole analysis of a local file, with no database: the
worker stage calls it for queued jobs and ``sightline video analyze`` for a one-off.
It never hangs on a bad file — decoding errors surface as :class:`InvalidVideoError`
— and a video that breaks part-way yields the results up to the break, marked partial.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sightline.api.rekognition.shapes.video import video_metadata
from sightline.config import Settings
from sightline.errors import InvalidVideoError
from sightline.media.video import SamplingPlan, VideoMetadata, probe, sample_frames
from sightline.video.analysis import FrameAnalysis, frame_analysis
from sightline.video.apis import FACE_SEARCH, PEOPLE, SEGMENT_DETECTION, VideoApi
from sightline.video.records import Record

if TYPE_CHECKING:
    from sightline.analyzers.base import AnalyzerPool
    from sightline.faces.service import FaceService

log = logging.getLogger(__name__)

# (frames done, frames expected)
Progress = Callable[[int, int], None]


@dataclass
class VideoOutput:
    """What an analysis produced: records per aggregation and facts about the run."""

    metadata: VideoMetadata
    audio: list[dict[str, Any]]
    records: dict[str, list[Record]]
    details: dict[str, Any] = field(default_factory=dict)
    partial: str | None = None  # why the results stop early, when they do

    @property
    def video_metadata(self) -> dict[str, Any]:
        return video_metadata(self.metadata)


def audio_metadata(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Rekognition's ``AudioMetadata`` for each audio stream (codec, duration, rate)."""
    import av

    out: list[dict[str, Any]] = []
    try:
        with av.open(os.fspath(path)) as container:
            for stream in container.streams.audio:
                ctx = stream.codec_context
                duration = stream.duration * stream.time_base if stream.duration else None
                if duration is None and container.duration:
                    duration = container.duration / 1_000_000
                entry: dict[str, Any] = {"Codec": ctx.name}
                if duration is not None:
                    entry["DurationMillis"] = int(float(duration) * 1000)
                if ctx.sample_rate:
                    entry["SampleRate"] = int(ctx.sample_rate)
                if ctx.channels:
                    entry["NumberOfChannels"] = int(ctx.channels)
                out.append(entry)
    except (av.FFmpegError, OSError) as exc:  # the video probe reports what is wrong
        log.debug("no audio metadata for %s: %s", path, exc)
    return out


def analyze_video(
    path: str | os.PathLike[str],
    api: VideoApi,
    request: Mapping[str, Any],
    settings: Settings,
    pool: AnalyzerPool,
    *,
    faces: Callable[[], FaceService] | None = None,
    progress: Progress | None = None,
) -> VideoOutput:
    """Analyse the video at ``path`` as ``Start{api.name}`` with ``request`` asks.

    ``faces`` builds the face service (StartFaceSearch only). ``progress`` is called
    now and then with (frames done, frames expected).

    Raises:
        InvalidVideoError: not a video, or not a single frame could be decoded.
        VideoTooLargeError: longer than ``video.max_duration_seconds``.
    """
    v = settings.video
    meta = probe(path, max_duration_seconds=v.max_duration_seconds)
    audio = audio_metadata(path)
    if api is SEGMENT_DETECTION:
        from sightline.video.segment_job import detect_segments

        return detect_segments(path, meta, audio, request, progress=progress)
    plan = SamplingPlan.from_settings(v)
    analysis = _analysis(api, request, settings, pool, faces)
    total = plan.expected_samples(meta)
    done = 0
    stamps: list[int] = []
    partial: str | None = None
    last_report = 0.0
    if progress is not None:
        progress(0, total)
    frames = sample_frames(path, plan)
    try:
        for frame in frames:
            analysis.frame(frame)
            stamps.append(frame.timestamp_ms)
            done += 1
            now = time.monotonic()
            if progress is not None and now - last_report >= 1.0:
                progress(done, max(total, done))
                last_report = now
    except InvalidVideoError as exc:
        if done == 0:
            raise
        partial = (
            f"Partial results: decoding stopped after {done} sampled frames "
            f"(up to {stamps[-1] / 1000:.1f} s of "
            f"{meta.duration_ms / 1000:.1f} s): {exc.message}"
        )
    if done == 0:
        raise InvalidVideoError("The video holds no decodable frame.")
    if progress is not None:
        progress(done, done if partial else max(total, done))
    interval_ms = sample_interval(stamps, plan)
    records = analysis.results(interval_ms, meta.duration_ms)
    details: dict[str, Any] = {
        "ModelVersion": analysis.model_version(),
        "models": analysis.versions(),
        "frames": analysis.stats.as_dict(),
        "sampling": {"fps": plan.fps, "keyframes_only": plan.keyframes_only},
    }
    if api.gated:
        details["person_filter"] = v.person_filter
    return VideoOutput(meta, audio, records, details, partial)


def _analysis(
    api: VideoApi,
    request: Mapping[str, Any],
    settings: Settings,
    pool: AnalyzerPool,
    faces: Callable[[], FaceService] | None,
) -> FrameAnalysis:
    person_filter = settings.video.person_filter
    if api is FACE_SEARCH:
        from sightline.video.people import FaceSearchAnalysis

        if faces is None:
            raise ValueError("StartFaceSearch needs the face service")
        return FaceSearchAnalysis(request, pool, faces(), person_filter=person_filter)
    if api is PEOPLE:
        from sightline.video.people import PersonTrackingAnalysis

        return PersonTrackingAnalysis(pool)
    return frame_analysis(api, request, pool, person_filter=person_filter)


def sample_interval(stamps: list[int], plan: SamplingPlan) -> int:
    """The time one sample stands for: the plan's interval, or with keyframes only
    (spaced by the encoder's GOP) the median spacing actually seen."""
    if plan.keyframes_only and len(stamps) > 1:
        gaps = sorted(b - a for a, b in itertools.pairwise(stamps) if b > a)
        if gaps:
            return max(1, gaps[len(gaps) // 2])
    return max(1, round(1000 / plan.fps))


@dataclass(frozen=True)
class LocalRun:
    """The facts of a one-off run (``sightline video analyze``) for its Get* document."""

    job_id: str | None
    status: str
    status_message: str | None
    job_tag: str | None
    bucket: str | None
    name: str | None
    video_metadata: dict[str, Any] | None
    audio_metadata: list[Any] | None
    details: dict[str, Any] | None


def document_for(
    api: VideoApi, path: str | os.PathLike[str], request: Mapping[str, Any], output: VideoOutput
) -> dict[str, Any]:
    """The Get* document of a one-off run: every record, by timestamp."""
    from sightline.api.rekognition.shapes.video import get_response
    from sightline.video.apis import TIMESTAMPS

    run = LocalRun(
        job_id=None,
        status="SUCCEEDED",
        status_message=output.partial,
        job_tag=request.get("JobTag"),
        bucket=None,
        name=os.fspath(path),
        video_metadata=output.video_metadata,
        audio_metadata=output.audio,
        details=output.details,
    )
    return get_response(api, run, [r.record for r in output.records[TIMESTAMPS]])
