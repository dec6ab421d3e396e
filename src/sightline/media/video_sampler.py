"""The decode loop behind :func:`sightline.media.video.sample_frames`.

One pass over the packets of the video stream: the :class:`PacketGate` holds back the
packets no sample needs, FFmpeg's threads decode the rest, the :class:`SampleClock`
picks the frames, and swscale converts only those to RGB at the plan's size. Damage is
judged at the end of the pass (see :meth:`_Run.failure`).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import av
import av.error
import cv2
import numpy as np
from av.container import InputContainer
from av.packet import Packet
from av.video.frame import VideoFrame as AVFrame
from av.video.reformatter import VideoReformatter
from av.video.stream import VideoStream
from numpy.typing import NDArray

from sightline.errors import InvalidVideoError
from sightline.media.image import Image, ImageInfo
from sightline.media.video_container import (
    clockwise,
    declared_s,
    display_size,
    ffmpeg_reason,
    frame_rate,
    open_video,
)
from sightline.media.video_sampling import PacketGate, SampleClock

if TYPE_CHECKING:
    from sightline.media.video import SamplingPlan

    _Packet = Packet[Any]  # generic in PyAV's stubs only

log = logging.getLogger(__name__)


OnError = Literal["raise", "stop"]

# A run of undecodable packets is given up on (the stream is corrupt from there) once
# the decoder has failed to restart at this many keyframes, or after this many packets.
RECOVERY_KEYFRAMES = 2
MAX_ERRORS_IN_A_ROW = 500
# A jump in packet times at least this long, over at least this many unread bytes, is
# data the demuxer skipped (see _Run.watch_for_holes).
HOLE_MIN_S = 1.0
HOLE_MIN_BYTES = 4096


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
    """What one :func:`~sightline.media.video.sample_frames` run read, decoded and yielded."""

    samples: int = 0  # frames yielded
    packets_read: int = 0
    packets_decoded: int = 0  # sent to the decoder (the others no sample needed)
    frames_decoded: int = 0
    decode_errors: int = 0  # packets the decoder rejected (tolerated while it recovers)
    frames_discarded: int = 0  # decoded from damaged data (before the next keyframe)
    last_timestamp_ms: int | None = None  # of the last frame yielded
    error: InvalidVideoError | None = None  # why the video could not be sampled whole
    finished: bool = False  # the run reached the end of the file, or stopped on damage

    @property
    def stopped_early(self) -> bool:
        """The video broke off (truncated, corrupt): part of it was not sampled."""
        return self.error is not None

    @property
    def complete(self) -> bool:
        """The whole video was sampled."""
        return self.finished and self.error is None


class FrameSampler(Iterator[VideoFrame]):
    """The iterator :func:`~sightline.media.video.sample_frames` returns.

    :attr:`stats` tells how the run went, in particular whether it stopped early.
    Close it (or use it as a context manager) to release the file before the end.
    """

    def __init__(self, path: str | os.PathLike[str], plan: SamplingPlan, on_error: OnError):
        if on_error not in ("raise", "stop"):
            raise ValueError(f"on_error must be 'raise' or 'stop', got {on_error!r}")
        self.path = Path(path)
        self.plan = plan
        self.on_error = on_error
        self.stats = SampleStats()
        self._frames = self._run()

    def __iter__(self) -> FrameSampler:
        return self

    def __next__(self) -> VideoFrame:
        return next(self._frames)

    def close(self) -> None:
        self._frames.close()

    def __enter__(self) -> FrameSampler:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self) -> Generator[VideoFrame, None, None]:
        try:
            with open_video(self.path) as (container, stream):
                run = _Run(container, stream, self.plan, self.stats, self.path)
                yield from run.frames()
                failure = run.failure()
        except InvalidVideoError as exc:  # the file cannot be opened at all
            failure = exc
        self.stats.finished = True
        if failure is not None:
            self.stats.error = failure
            if self.on_error == "raise":
                raise failure


class _Run:
    """One decoding pass; its state is what :meth:`failure` judges the file by."""

    def __init__(
        self,
        container: InputContainer,
        stream: VideoStream,
        plan: SamplingPlan,
        stats: SampleStats,
        path: Path,
    ) -> None:
        self.container, self.stream, self.plan, self.stats, self.path = (
            container,
            stream,
            plan,
            stats,
            path,
        )
        self.cc = stream.codec_context
        self.cc.thread_type = "AUTO"
        self.cc.thread_count = plan.threads
        if plan.keyframes_only:
            self.cc.skip_frame = "NONKEY"
        if stream.time_base is None:
            raise InvalidVideoError("the video stream has no time base", path=str(path))
        self.tb = float(stream.time_base)
        self.start = stream.start_time or 0
        self.period = 1.0 / (frame_rate(stream) or 25.0)
        codec = self.cc.codec
        self.convert = _Converter(stream, plan.max_side, codec.canonical_name or codec.name)
        self.gate: PacketGate[_Packet] = PacketGate(plan.fps, plan.keyframes_only)
        self.clock = SampleClock(plan.fps)
        self.read_end = 0.0  # end of the last packet read, seconds
        self.hole: tuple[float, float] | None = None  # the longest stretch of lost data
        self.sequential = container.format.name.split(",")[0] in ("matroska", "avi")
        self.next_pos: int | None = None  # where the last packet read ends in the file
        self.skipped_bytes = 0  # the largest gap between packets since the last video one
        self.fed_t = 0.0  # the latest packet decoded for a sample
        self.frame_t = -self.period  # the latest frame decoded
        self.errors_in_a_row = 0
        self.keyframes_failed = 0
        # After a rejected packet, frames from this time on may show damage (they may
        # reference the lost picture) until a keyframe restarts the picture chain.
        self.damaged_from: float | None = None
        self.errors_span = (math.inf, -math.inf)  # times of the first and last rejected packet
        self.stopped: InvalidVideoError | None = None  # reading ended before the file did

    def time(self, ts: int | None) -> float | None:
        return None if ts is None else (ts - self.start) * self.tb

    def frames(self) -> Iterator[VideoFrame]:
        # Every stream is read (only video is decoded) so that bytes the demuxer skips
        # stand out from the other streams' packets (see ``watch_for_holes``).
        packets = self.container.demux()
        while self.stopped is None:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.error.FFmpegError as exc:
                self.stopped = InvalidVideoError(
                    f"the video is truncated or corrupt: reading stopped at "
                    f"{self.read_end:.1f} s (FFmpeg: {ffmpeg_reason(exc)})",
                    path=str(self.path),
                )
                break
            if packet.size == 0:  # PyAV's end-of-stream marker
                continue
            self.account_bytes(packet)
            if packet.stream_index != self.stream.index:
                continue
            self.stats.packets_read += 1
            t = self.time(packet.pts if packet.pts is not None else packet.dts)
            if t is not None:
                self.watch_for_holes(t)
                self.read_end = max(self.read_end, t + (packet.duration or 0) * self.tb)
            if packet.is_corrupt:  # cut short (truncated): its pixels would be garbage
                self.rejected(packet, None)
                continue
            for gated in self.gate.push(packet, t, packet.is_keyframe):
                if gated.after_gap:
                    yield from self.decode(None, reference_only=False)  # drain
                    self.cc.flush_buffers()
                yield from self.decode(gated.packet, gated.reference_only)
        self.gate.finish()
        yield from self.decode(None, reference_only=False)  # drain the decoder's threads

    def account_bytes(self, packet: _Packet) -> None:
        """Note the bytes between this packet and the previous one, in file order."""
        pos = packet.pos
        if pos is None or pos < 0:
            return
        if self.next_pos is not None:
            self.skipped_bytes = max(self.skipped_bytes, pos - self.next_pos)
        self.next_pos = pos + packet.size

    def watch_for_holes(self, t: float) -> None:
        """Record a jump in time that skipped bytes explain: the demuxer resynchronised.

        Matroska and AVI demuxers skip damaged data silently, hunting for the next
        readable block. A jump in time alone may be a variable frame rate's pause and
        skipped bytes alone an index chunk; both together are a hole. MP4/MOV locate
        every packet through their index, so damage there shows as decode errors.
        """
        jump = t - self.read_end
        longest = self.hole[1] - self.hole[0] if self.hole else 0.0
        if (
            self.sequential
            and jump > max(HOLE_MIN_S, 10 * self.period, longest)
            and self.skipped_bytes > HOLE_MIN_BYTES
        ):
            self.hole = (self.read_end, t)
        self.skipped_bytes = 0

    def decode(self, packet: _Packet | None, reference_only: bool) -> Iterator[VideoFrame]:
        if not self.plan.keyframes_only:
            # Frames that only lead up to a sample need decoding as references alone.
            self.cc.skip_frame = "NONREF" if reference_only else "DEFAULT"
        if packet is not None:
            self.stats.packets_decoded += 1
            if not reference_only:
                t = self.time(packet.pts if packet.pts is not None else packet.dts)
                self.fed_t = max(self.fed_t, t if t is not None else self.fed_t)
        try:
            frames = self.cc.decode(packet)
        except av.error.FFmpegError as exc:
            self.rejected(packet, exc)
            return
        self.errors_in_a_row = self.keyframes_failed = 0
        for frame in frames:
            self.stats.frames_decoded += 1
            t = self.time(frame.pts if frame.pts is not None else frame.dts)
            # A frame without a timestamp follows the previous one by a frame period.
            t = self.frame_t + self.period if t is None else t
            if frame.key_frame:
                self.damaged_from = None
            elif frame.is_corrupt or (self.damaged_from is not None and t >= self.damaged_from):
                self.stats.frames_discarded += 1
                continue
            self.frame_t = max(self.frame_t, t)
            if self.clock.take(t):
                ms = max(0, round(t * 1000))
                image = self.convert(frame)
                sample = VideoFrame(self.stats.samples, ms, image, frame.key_frame)
                self.stats.samples += 1
                self.stats.last_timestamp_ms = ms
                yield sample

    def rejected(self, packet: _Packet | None, exc: av.error.FFmpegError | None) -> None:
        """Count a packet the decoder refused; give up if it does not recover."""
        self.stats.decode_errors += 1
        self.errors_in_a_row += 1
        t = None if packet is None else self.time(packet.pts)
        t = self.frame_t if t is None else t
        self.damaged_from = t if self.damaged_from is None else min(self.damaged_from, t)
        first, last = self.errors_span
        self.errors_span = (min(first, t), max(last, t))
        self.keyframes_failed += bool(packet is not None and packet.is_keyframe)
        if self.keyframes_failed >= RECOVERY_KEYFRAMES or (
            self.errors_in_a_row >= MAX_ERRORS_IN_A_ROW
        ):
            self.stopped = InvalidVideoError(
                f"the video is corrupt: {self.errors_in_a_row} packets in a row cannot be "
                f"decoded from {self.read_end:.1f} s"
                + (f" (FFmpeg: {ffmpeg_reason(exc)})" if exc else ""),
                path=str(self.path),
            )

    def failure(self) -> InvalidVideoError | None:
        """Why this pass did not cover the whole video, if it did not."""
        stats, path = self.stats, str(self.path)
        if stats.decode_errors:
            log.warning("%s: %d undecodable packet(s) skipped", path, stats.decode_errors)
        if self.stopped is not None:
            return self.stopped
        declared, own = declared_s(self.container, self.stream)
        # The stream's own duration is exact; a container's may include a longer audio track.
        slack = max(3 * self.period, 0.25) if own else max(1.0, 0.05 * declared)
        if self.read_end + slack < declared:
            return InvalidVideoError(
                f"the video is truncated: its data ends at {self.read_end:.1f} s of the "
                f"{declared:.1f} s its header declares",
                path=path,
                ends_at_s=round(self.read_end, 3),
                declared_s=round(declared, 3),
            )
        if stats.frames_decoded == stats.frames_discarded:
            return InvalidVideoError(
                f"the video stream cannot be decoded: no frame came out of "
                f"{stats.packets_read} packets",
                path=path,
            )
        if self.hole:
            return InvalidVideoError(
                f"the video is corrupt: its data is missing from {self.hole[0]:.1f} s to "
                f"{self.hole[1]:.1f} s",
                path=path,
            )
        if stats.decode_errors and self.frame_t + max(3 * self.period, 0.5) < self.fed_t:
            return InvalidVideoError(
                f"the video is corrupt: no intact frame could be decoded after "
                f"{self.frame_t:.1f} s ({stats.decode_errors} packets rejected)",
                path=path,
            )
        if stats.decode_errors:
            first, last = self.errors_span
            return InvalidVideoError(
                f"the video is corrupt: {stats.decode_errors} packet(s) between {first:.1f} s "
                f"and {last:.1f} s could not be decoded; the frames they carry were skipped",
                path=path,
            )
        return None


class _Converter:
    """Decoded frames to upright RGB at the plan's size, in swscale (one context reused)."""

    def __init__(self, stream: VideoStream, max_side: int | None, codec: str) -> None:
        self.stream = stream
        self.max_side = max_side
        self.codec = codec
        self.reformatter = VideoReformatter()

    def __call__(self, frame: AVFrame) -> Image:
        rotation = clockwise(frame, self.stream)
        w, h = display_size(frame.width, frame.height, self.stream)
        tw, th = target_size(w, h, self.max_side)
        # swscale's area filter: anti-aliased like cv2's INTER_AREA, and in one pass with
        # the YUV -> RGB conversion it is the fastest path measured (bench/video.py).
        rgb = self.reformatter.reformat(frame, tw, th, "rgb24", interpolation="AREA")
        pixels = np.asarray(rgb.to_ndarray(), dtype=np.uint8)
        if rotation:
            pixels = _rotate(pixels, rotation)
            if rotation != 180:
                w, h = h, w
        info = ImageInfo(format=self.codec, width=w, height=h, mode="RGB", byte_size=w * h * 3)
        return Image(pixels=np.ascontiguousarray(pixels), info=info)


def target_size(w: int, h: int, max_side: int | None) -> tuple[int, int]:
    """``w`` x ``h`` shrunk so the longer side is at most ``max_side`` (never enlarged)."""
    if max_side is None or max(w, h) <= max_side:
        return w, h
    f = max_side / max(w, h)
    return max(1, round(w * f)), max(1, round(h * f))


_CV2_ROTATIONS = {
    90: cv2.ROTATE_90_CLOCKWISE,
    180: cv2.ROTATE_180,
    270: cv2.ROTATE_90_COUNTERCLOCKWISE,
}


def _rotate(pixels: NDArray[np.uint8], degrees_clockwise: int) -> NDArray[np.uint8]:
    return np.asarray(cv2.rotate(pixels, _CV2_ROTATIONS[degrees_clockwise]), dtype=np.uint8)
