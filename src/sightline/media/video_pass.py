"""One decoding pass over a video, or over one GOP-aligned span of it.

A pass reads the packets in file order: the :class:`PacketGate` holds back those no
sample needs, FFmpeg decodes the rest, the :class:`SampleClock` picks the frames, and
swscale converts only those to RGB at the plan's size. Damage is judged at the end of
the pass (:meth:`DecodePass.failure`).

Spans (:mod:`sightline.media.video_parallel` decodes several at once). A span after
the first starts at a keyframe, reached by seeking, with the first sample whose frames
all lie at or after it (:attr:`SplitPoint.sample`). A span before the last reads on,
without decoding, to the packet of the keyframe the next span starts at, so damage up
to there (a hole, a read error, a packet cut short) is its own to find; it ends there
once its last sample is taken (*handed over*), provided it met no damage. A pass that
met damage does not stop at its end: it goes on to the end of the file as a pass over
the whole video would (with its error counts and its damaged stretch carried along),
and the spans after it are dropped. A clean pass leaves nothing to carry: the next
one, starting from a keyframe with a fresh decoder, decodes what a single pass would.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av.error
from av.container import InputContainer
from av.packet import Packet
from av.video.stream import VideoStream

from sightline.errors import InvalidVideoError
from sightline.media.video_container import declared_s, ffmpeg_reason, frame_rate
from sightline.media.video_convert import Converter
from sightline.media.video_sampling import EPSILON_S, PacketGate, SampleClock
from sightline.media.video_types import SampleStats, VideoFrame

if TYPE_CHECKING:
    from sightline.media.video import SamplingPlan

    _Packet = Packet[Any]  # generic in PyAV's stubs only

log = logging.getLogger(__name__)

# A run of undecodable packets is given up on (the stream is corrupt from there) once
# the decoder has failed to restart at this many keyframes, or after this many packets.
RECOVERY_KEYFRAMES = 2
MAX_ERRORS_IN_A_ROW = 500
# A jump in packet times at least this long, over at least this many unread bytes, is
# data the demuxer skipped (see DecodePass.watch_for_holes).
HOLE_MIN_S = 1.0
HOLE_MIN_BYTES = 4096
# What skip_loop_filter=all (SamplingPlan.fast_decode) tells the decoder.
FAST_DECODE_OPTIONS = {"skip_loop_filter": "all"}


@dataclass(frozen=True)
class SplitPoint:
    """A keyframe where one span of the video ends and the next begins."""

    pts: int  # the keyframe packet's timestamp, in the stream's time base
    pos: int | None  # its place in the file, when the demuxer tells
    t: float  # its time in seconds from the stream's start
    seek_ts: int  # the seek (stream time base) that lands reading on that packet
    backward: bool  # ... with this direction flag
    sample: int  # the first sample whose frames all lie at or after ``t``


@dataclass(frozen=True)
class Span:
    """The stretch of the video a pass samples: from ``start`` (None: the beginning) to
    ``end`` (None: the end of the file)."""

    start: SplitPoint | None = None
    end: SplitPoint | None = None


WHOLE = Span()


def first_sample_at(t: float, fps: float) -> int:
    """The first sample ``n`` whose frames (those at ``n / fps - EPSILON_S`` or later)
    all lie at or after ``t`` seconds, with the sample clock's own arithmetic."""
    n = max(0, math.ceil((t + EPSILON_S) * fps))
    while n > 0 and (n - 1) / fps - EPSILON_S >= t:
        n -= 1
    while n / fps - EPSILON_S < t:
        n += 1
    return n


def configure_decoder(stream: VideoStream, plan: SamplingPlan, threads: int) -> None:
    """Set up a stream's decoder before its first packet (the settings of a pass)."""
    cc = stream.codec_context
    cc.thread_type = "AUTO"
    cc.thread_count = threads
    if plan.keyframes_only:
        cc.skip_frame = "NONKEY"
    if plan.fast_decode:
        cc.options = {**cc.options, **FAST_DECODE_OPTIONS}


class SplitMissed(RuntimeError):
    """Seeking to a span's keyframe did not land on it (the file changed under us?)."""


class DecodePass:
    """One decoding pass; its state is what :meth:`failure` judges the file by.

    Only :meth:`frames` touches the container, which may be closed afterwards. The stream's decoder must be set up (:func:`configure_decoder`) and ``span.start``
    reachable by seeking. ``cancel`` ends the pass early (:attr:`cancelled`).
    """

    def __init__(
        self,
        container: InputContainer,
        stream: VideoStream,
        plan: SamplingPlan,
        stats: SampleStats,
        path: Path,
        span: Span = WHOLE,
        cancel: threading.Event | None = None,
        converter: Converter | None = None,
    ) -> None:
        self.container, self.stream, self.plan, self.stats, self.path = (
            container,
            stream,
            plan,
            stats,
            path,
        )
        self.span, self.cancel = span, cancel
        self.cc = stream.codec_context
        if stream.time_base is None:
            raise InvalidVideoError("the video stream has no time base", path=str(path))
        self.tb = float(stream.time_base)
        self.start = stream.start_time or 0
        self.period = 1.0 / (frame_rate(stream) or 25.0)
        # What the headers declare, read now: a span's container is closed by the time
        # the run's failure is judged.
        self.declared = declared_s(container, stream)
        codec = self.cc.codec
        self.convert = converter or Converter(
            stream, plan.max_side, codec.canonical_name or codec.name
        )
        first = span.start.sample if span.start else 0
        self.gate: PacketGate[_Packet] = PacketGate(plan.fps, plan.keyframes_only, next_index=first)
        self.clock = SampleClock(plan.fps, next_index=first)
        begin = span.start.t if span.start else 0.0
        self.end = span.end  # None once this pass goes on to the end of the file
        self.at_end = False  # the packet of the end keyframe has been read
        self.handed_over = False  # stopped, clean, at the end: the next span goes on
        self.cancelled = False
        self.read_end = begin  # end of the last packet read, seconds
        self.hole: tuple[float, float] | None = None  # the longest stretch of lost data
        self.skips_garbage = container.format.name.split(",")[0] in ("matroska", "avi")
        self.next_pos: int | None = None  # where the last packet read ends in the file
        self.skipped_bytes = 0  # the largest gap between packets since the last video one
        self.fed_t = begin  # the latest packet decoded for a sample
        self.frame_t = begin - self.period  # the latest frame decoded
        self.errors_in_a_row = 0
        self.keyframes_failed = 0
        # After a rejected packet, frames from this time on may show damage (they may
        # reference the lost picture) until a keyframe restarts the picture chain.
        self.damaged_from: float | None = None
        self.errors_span = (math.inf, -math.inf)  # times of the first and last rejected packet
        self.stopped: InvalidVideoError | None = None  # reading ended before the file did

    def time(self, ts: int | None) -> float | None:
        return None if ts is None else (ts - self.start) * self.tb

    @property
    def clean(self) -> bool:
        """No damage met so far: nothing a later span would need to know."""
        s = self.stats
        return (
            not s.decode_errors
            and not s.frames_discarded
            and self.hole is None
            and self.stopped is None
        )

    def frames(self) -> Iterator[tuple[float, VideoFrame]]:
        """The sampled frames with their times in seconds, in presentation order."""
        start = self.span.start
        if start is not None:
            self.container.seek(start.seek_ts, stream=self.stream, backward=start.backward)
            self.cc.flush_buffers()
        # Every stream is read (only video is decoded) so that bytes the demuxer skips
        # stand out from the other streams' packets (see ``watch_for_holes``).
        packets = self.container.demux()
        looking = start is not None  # for the span's first packet, after the seek
        while self.stopped is None:
            if self.cancel is not None and self.cancel.is_set():
                self.cancelled = True
                return
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
            video = packet.stream_index == self.stream.index
            if looking:
                if not video:
                    continue
                if start is not None and packet.pts != start.pts:
                    raise SplitMissed(
                        f"{self.path}: seeking to {start.t:.3f} s read pts {packet.pts}, "
                        f"not the keyframe at pts {start.pts}"
                    )
                looking = False
            self.account_bytes(packet)
            if not video:
                continue
            end = self.end
            if end is not None and not self.at_end:
                self.meet_end(packet, end)
            if self.end is None or not self.at_end:
                self.stats.packets_read += 1  # (the end keyframe is the next span's)
            t = self.time(packet.pts if packet.pts is not None else packet.dts)
            if t is not None:
                self.watch_for_holes(t)
                self.read_end = max(self.read_end, t + (packet.duration or 0) * self.tb)
            if self.at_end and end is not None and self.clock.next_index >= end.sample:
                self.settle()
                if self.handed_over:
                    return
            if packet.is_corrupt:  # cut short (truncated): its pixels would be garbage
                self.rejected(packet, None)
                continue
            for gated in self.gate.push(packet, t, packet.is_keyframe):
                if gated.after_gap:
                    yield from self.decode(None, reference_only=False)  # drain
                    self.cc.flush_buffers()
                yield from self.decode(gated.packet, gated.reference_only)
                if self.handed_over:
                    return
        # The end of the file, or reading stopped: this pass is the last one.
        self.end = None
        self.gate.finish()
        yield from self.decode(None, reference_only=False)  # drain the decoder's threads

    def meet_end(self, packet: _Packet, end: SplitPoint) -> None:
        """Watch for the end keyframe's packet among the video packets read in order.

        Seeking may label packets otherwise than reading in order does (an AVI without
        its index counts frames from where the seek guessed it was): the end is the
        packet at the place the seek found, with the timestamp it had there. A packet
        past it, or there with another timestamp, means the split cannot be trusted:
        this pass goes on to the end of the file, before any frame of the next span's
        samples is decoded (such frames come from packets at or after the end).
        """
        pos = packet.pos if packet.pos is not None and packet.pos >= 0 else None
        here = pos == end.pos if pos is not None and end.pos is not None else packet.pts == end.pts
        if here and packet.pts == end.pts and packet.is_keyframe:
            self.at_end = True
        elif (
            here
            or (packet.pts is not None and packet.pts >= end.pts)
            or (pos is not None and end.pos is not None and pos > end.pos)
        ):
            self.end = None

    def settle(self) -> None:
        """At the span's end with its last sample taken: hand over to the next span if
        no damage was met, else go on to the end of the file as a single pass would."""
        if self.clean:
            self.handed_over = True
        else:
            self.end = None

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
            self.skips_garbage
            and jump > max(HOLE_MIN_S, 10 * self.period, longest)
            and self.skipped_bytes > HOLE_MIN_BYTES
        ):
            self.hole = (self.read_end, t)
        self.skipped_bytes = 0

    def decode(
        self, packet: _Packet | None, reference_only: bool
    ) -> Iterator[tuple[float, VideoFrame]]:
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
            end = self.end
            if end is not None and self.clock.next_index >= end.sample:
                continue  # the next span's sample
            if self.clock.take(t):
                ms = max(0, round(t * 1000))
                image = self.convert(frame)
                sample = VideoFrame(self.stats.samples, ms, image, frame.key_frame)
                self.stats.samples += 1
                self.stats.last_timestamp_ms = ms
                yield t, sample
                if self.at_end and end is not None and self.clock.next_index >= end.sample:
                    self.settle()

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

    def failure(self, stats: SampleStats | None = None) -> InvalidVideoError | None:
        """Why the sampling this pass ended did not cover the whole video, if it did not.

        ``stats`` are the counts of the whole run when spans were decoded apart (by
        default this pass's own).
        """
        stats = stats or self.stats
        path = str(self.path)
        if stats.decode_errors:
            log.warning("%s: %d undecodable packet(s) skipped", path, stats.decode_errors)
        if self.stopped is not None:
            return self.stopped
        declared, own = self.declared
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
