"""Video probing and time-based frame sampling with PyAV (FFmpeg).

:func:`probe` reads a file's :class:`VideoMetadata` (Rekognition's ``VideoMetadata``,
upright sizes) and checks that its video stream decodes. :func:`sample_frames` yields
one upright RGB :class:`VideoFrame` per ``1 / fps`` seconds of presentation time;
:mod:`sightline.media.video_sampling` says which frames, and which packets are never
decoded because no sample needs them. A video of 8 s or more is cut at keyframes into
spans decoded by one thread per core (:mod:`sightline.media.video_parallel`), with the
frames and timestamps of a single pass and the same end on damage; a shorter one is
decoded in one pass with FFmpeg's frame threads.

Damaged input. A file that is not a video (sniffed from its bytes), has no video
stream or cannot be decoded raises :class:`~sightline.errors.InvalidVideoError` saying
what was wrong. A file that breaks off part-way (a truncated upload, corrupt data)
first yields every frame decoded before the damage; then, with ``on_error="raise"``
(the default), the iterator raises ``InvalidVideoError``; with ``on_error="stop"`` it
ends quietly and its :attr:`FrameSampler.stats` tells the caller it stopped early
(``stats.stopped_early``, ``stats.error``), whatever was wrong with the file. Damage
the decoder recovers from (at the next keyframe) is skipped and counted in
``stats.decode_errors``, as the ffmpeg command line does.

A file counts as truncated when its data ends well before the duration its header
declares; as corrupt when reading fails, when the decoder cannot restart at two
keyframes in a row, or when frames stop coming while packets still arrive.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sightline.errors import VideoTooLargeError
from sightline.media.video_container import (
    clockwise,
    display_size,
    duration_s,
    first_frame,
    frame_rate,
    open_video,
    scan_end_s,
)
from sightline.media.video_sampler import FrameSampler
from sightline.media.video_sampling import expected_samples
from sightline.media.video_types import OnError, SampleStats, VideoFrame

if TYPE_CHECKING:
    from sightline.config import VideoSettings

__all__ = [
    "FrameSampler",
    "OnError",
    "SampleStats",
    "SamplingPlan",
    "VideoFrame",
    "VideoMetadata",
    "probe",
    "sample_frames",
]

_AVCOL_RANGE_JPEG = 2


@dataclass(frozen=True)
class VideoMetadata:
    """Facts about a video, in Rekognition's ``VideoMetadata`` terms (internal form)."""

    codec: str  # "h264", "vp9", "mpeg4", ...
    format: str  # container long name, e.g. "QuickTime / MOV"
    duration_ms: int
    frame_rate: float
    width: int  # upright display size (rotation and pixel aspect applied)
    height: int
    color_range: str  # "FULL" | "LIMITED"
    rotation: int  # degrees clockwise applied to make frames upright: 0/90/180/270
    frame_count: int | None  # from the container, or estimated from duration * rate


@dataclass(frozen=True)
class SamplingPlan:
    """Which frames a video job analyses, and at what size."""

    fps: float = 2.0  # samples per second of video time
    keyframes_only: bool = False  # decode only keyframes (skip_frame NONKEY): fast, coarse
    max_side: int | None = 1280  # shrink sampled frames so the longer side is at most this
    threads: int = 0  # decoder threads; 0 = automatic (thread_type AUTO; 1 per span worker)
    # Threads decoding GOP-aligned spans of the video at once (same frames as one pass);
    # 0 = one per usable core, at most 4; 1 = a single pass.
    workers: int = 0
    # Skip H.264/HEVC/VP9 deblocking (skip_loop_filter=all): ~17% less decoding CPU, not
    # bit-exact (sampled frames ~42-47 dB PSNR from the exact ones; see docs/decisions.md).
    fast_decode: bool = False

    def __post_init__(self) -> None:
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        if self.max_side is not None and self.max_side < 1:
            raise ValueError(f"max_side must be positive, got {self.max_side}")
        if self.threads < 0:
            raise ValueError(f"threads must be >= 0, got {self.threads}")
        if self.workers < 0:
            raise ValueError(f"workers must be >= 0, got {self.workers}")

    @classmethod
    def from_settings(cls, video: VideoSettings) -> SamplingPlan:
        return cls(
            fps=video.sample_fps,
            keyframes_only=video.keyframes_only,
            max_side=video.max_side,
            threads=video.decode_threads,
            workers=video.decode_workers,
            fast_decode=video.fast_decode,
        )

    def expected_samples(self, meta: VideoMetadata) -> int:
        """The number of frames sampling ``meta``'s video yields, for progress.

        Exact for constant-frame-rate video sampled below its frame rate; an upper
        bound otherwise (keyframe-only plans yield at most one frame per keyframe).
        """
        count = expected_samples(meta.duration_ms / 1000, self.fps)
        if meta.frame_count:
            count = min(count, meta.frame_count)
        return count


def probe(
    path: str | os.PathLike[str], *, max_duration_seconds: float | None = None
) -> VideoMetadata:
    """The :class:`VideoMetadata` of the video at ``path``; its first frame is decoded.

    Raises:
        InvalidVideoError: not a video, no video stream, no decodable first frame, or
            truncated before its index or first frame (damage further on is found
            by :func:`sample_frames`).
        VideoTooLargeError: longer than ``max_duration_seconds``.
    """
    with open_video(path) as (container, stream):
        duration, _ = duration_s(container, stream)
        if max_duration_seconds is not None and duration > max_duration_seconds:
            raise VideoTooLargeError(
                f"the video lasts {duration:.0f} s, over the {max_duration_seconds:.0f} s limit",
                path=str(path),
            )
        first = first_frame(container, stream, path)
        if duration <= 0:  # no header declares it: read it from the packets
            duration = scan_end_s(container, stream)
        rotation = clockwise(first, stream)
        w, h = display_size(first.width, first.height, stream)
        if rotation in (90, 270):
            w, h = h, w
        rate = frame_rate(stream)
        cc = stream.codec_context
        full = cc.color_range == _AVCOL_RANGE_JPEG or (cc.pix_fmt or "").startswith("yuvj")
        frames = stream.frames or (round(duration * rate) if duration and rate else None)
        codec = stream.codec_context.codec
        return VideoMetadata(
            codec=getattr(codec, "canonical_name", None) or codec.name,
            format=container.format.long_name,
            duration_ms=round(duration * 1000),
            frame_rate=rate,
            width=w,
            height=h,
            color_range="FULL" if full else "LIMITED",
            rotation=rotation,
            frame_count=frames or None,
        )


def sample_frames(
    path: str | os.PathLike[str], plan: SamplingPlan, *, on_error: OnError = "raise"
) -> FrameSampler:
    """Upright RGB frames of the video at ``path``, one per ``1 / plan.fps`` seconds.

    Each sample time ``n / fps`` takes the first frame presented at or after it, so
    timestamps follow presentation time under variable frame rates. The file is
    opened on the first ``next()``; errors about it (not a video, no video stream)
    raise from there. See the module docstring for damaged files and ``on_error``.
    """
    return FrameSampler(path, plan, on_error)
