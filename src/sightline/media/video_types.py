"""What :func:`sightline.media.video.sample_frames` hands out: frames and run statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sightline.errors import InvalidVideoError
from sightline.media.image import Image

OnError = Literal["raise", "stop"]


@dataclass(frozen=True)
class VideoFrame:
    """One sampled frame.

    ``image.pixels`` are upright RGB, shrunk to the plan's ``max_side``;
    ``image.info.width/height`` are the full-resolution upright size, so analyzers
    report in full-resolution pixel coordinates through ``image.scale_x/scale_y``.
    """

    index: int  # sample number, 0..
    timestamp_ms: int  # presentation time of the decoded frame, from the stream start
    image: Image
    keyframe: bool


@dataclass
class SampleStats:
    """What one :func:`~sightline.media.video.sample_frames` run read, decoded and yielded.

    When spans of the video are decoded in parallel, the counts add up the spans'
    (packets a span decoded past its end to reach its last sample count twice).
    """

    samples: int = 0  # frames yielded
    packets_read: int = 0
    packets_decoded: int = 0  # sent to the decoder (the others no sample needed)
    frames_decoded: int = 0
    decode_errors: int = 0  # packets the decoder rejected (tolerated while it recovers)
    frames_discarded: int = 0  # decoded from damaged data (before the next keyframe)
    last_timestamp_ms: int | None = None  # of the last frame yielded
    error: InvalidVideoError | None = None  # why the video could not be sampled whole
    finished: bool = False  # the run reached the end of the file, or stopped on damage
    workers: int = 1  # decoding threads working on separate spans of the video
    spans: int = 1  # GOP-aligned spans the video was split into

    @property
    def stopped_early(self) -> bool:
        """The video broke off (truncated, corrupt): part of it was not sampled."""
        return self.error is not None

    @property
    def complete(self) -> bool:
        """The whole video was sampled."""
        return self.finished and self.error is None

    def add_decoding(self, other: SampleStats) -> None:
        """Add the reading and decoding counts of ``other`` (one span's) to these."""
        self.packets_read += other.packets_read
        self.packets_decoded += other.packets_decoded
        self.frames_decoded += other.frames_decoded
        self.decode_errors += other.decode_errors
        self.frames_discarded += other.frames_discarded
