"""Sampling a video on several cores: GOP-aligned spans decoded by threads, in order.

:func:`sample_video` is the body of :class:`~sightline.media.video.FrameSampler`. A
video long enough to be worth it (:func:`plan_spans`) is cut at keyframes into spans
of about equal time; each worker thread opens the file once, seeks to the keyframe of
the span it claims and decodes it with its own :class:`DecodePass`, and the frames are
handed out in order. PyAV releases the GIL while FFmpeg reads, decodes and scales, so
threads use the cores without copying frames between processes.

Exactly the frames of a single pass. Each span takes the samples whose frames all lie
at or after its keyframe (:attr:`SplitPoint.sample`) and reads on to the next span's
keyframe, decoding past it when its last sample's frame lies beyond; the frame a span
ends with may also open the next span, and is handed out once. Damage is handled as
one pass would (see :mod:`sightline.media.video_pass`): a span that met damage goes on
to the end of the file and the spans after it are dropped, so the frames before the
damage come out, then the same error. What is waiting to be handed out is bounded:
at most ``workers + 1`` spans of about :data:`SPAN_BYTES` of converted frames each.
"""

from __future__ import annotations

import math
import os
import queue
import threading
from collections.abc import Generator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import av.error
from av.container import InputContainer
from av.video.stream import VideoStream

from sightline.errors import InvalidVideoError
from sightline.media.video_container import duration_s, open_video
from sightline.media.video_convert import Converter, target_size
from sightline.media.video_pass import (
    WHOLE,
    DecodePass,
    Span,
    SplitMissed,
    SplitPoint,
    configure_decoder,
    first_sample_at,
)
from sightline.media.video_sampling import expected_samples
from sightline.media.video_types import SampleStats, VideoFrame

if TYPE_CHECKING:
    from sightline.media.video import SamplingPlan

# Converted frames one span holds at most, about: 17 frames of 1280 x 720 RGB.
SPAN_BYTES = 48 * 1024 * 1024
MIN_SPAN_SAMPLES, MAX_SPAN_SAMPLES = 4, 64
# Videos shorter than two spans of this many seconds are decoded in one pass. Measured
# (cuts of the bench/video.py clip, 1 fps, 2 s GOPs): on 1080p, 2-6 s clips were no
# faster in spans (two spans cost ~0.1 CPU-s more: a file opening per worker, at
# ~15 ms, and two decoders sharing the cores), 8-12 s ones 1.05-1.4x; 360p clips of
# 4-12 s gained 1.2-1.5x. Below ~8 s a video costs a fraction of a second either way.
MIN_SPAN_S = 4.0
# Automatic worker count: one per usable core, at most this many (the decoding of a
# video job is one stage of several; more threads than this mostly add buffered frames).
MAX_AUTO_WORKERS = 4
# Packets read after a seek looking for the first video packet.
SEEK_PACKETS = 64

Sampled = Generator[VideoFrame, None, InvalidVideoError | None]


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(plan: SamplingPlan) -> int:
    """The decoding threads a plan asks for (0: one per usable core, up to 4)."""
    return plan.workers or max(1, min(MAX_AUTO_WORKERS, usable_cpus()))


def sample_video(path: Path, plan: SamplingPlan, stats: SampleStats) -> Sampled:
    """Yield the sampled frames, in one pass or in spans; return why the video could
    not be sampled whole (None if it was). Raises InvalidVideoError for a file that
    does not open as a video."""
    workers = worker_count(plan)
    with open_video(path) as (container, stream):
        spans, seeked = plan_spans(container, stream, plan, workers)
        if len(spans) == 1 and not seeked:
            return (yield from _single_pass(container, stream, plan, stats, path))
    if len(spans) == 1:  # seeking found no keyframe to split at: start afresh
        with open_video(path) as (container, stream):
            return (yield from _single_pass(container, stream, plan, stats, path))
    stats.workers, stats.spans = min(workers, len(spans)), len(spans)
    return (yield from _Spans(path, plan, stats, spans, stats.workers).run())


def _single_pass(
    container: InputContainer,
    stream: VideoStream,
    plan: SamplingPlan,
    stats: SampleStats,
    path: Path,
    after_t: float = -math.inf,
) -> Sampled:
    configure_decoder(stream, plan, plan.threads)
    run = DecodePass(container, stream, plan, stats, path)
    for t, frame in run.frames():
        if t > after_t:
            yield frame
    return run.failure()


# --- where to split -------------------------------------------------------------------


def plan_spans(
    container: InputContainer, stream: VideoStream, plan: SamplingPlan, workers: int
) -> tuple[list[Span], bool]:
    """The spans to decode apart, and whether the container was seeked to find them.

    Span ends aim at equal times, enough spans that each holds at most
    :data:`SPAN_BYTES` of converted frames (a multiple of ``workers``); each end is the
    keyframe nearest its aim that a seek lands on. One span (the whole video) for a
    single worker, a video shorter than two spans of :data:`MIN_SPAN_S`, or one in
    which no seek lands on a keyframe.
    """
    duration, _ = duration_s(container, stream)
    if workers < 2 or duration < 2 * MIN_SPAN_S or stream.time_base is None:
        return [WHOLE], False
    cc = stream.codec_context
    w, h = target_size(cc.width or 1920, cc.height or 1080, plan.max_side)
    per_span = min(MAX_SPAN_SAMPLES, max(MIN_SPAN_SAMPLES, SPAN_BYTES // (w * h * 3)))
    samples = expected_samples(duration, plan.fps)
    count = workers * math.ceil(samples / (workers * per_span))
    count = min(count, math.floor(duration / MIN_SPAN_S))
    if count < 2:
        return [WHOLE], False
    points: list[SplitPoint] = []
    for k in range(1, count):
        point = split_point(container, stream, duration * k / count, plan.fps)
        later = point is not None and (not points or point.pts > points[-1].pts)
        if point is not None and later and 0 < point.t < duration:
            points.append(point)
    if not points:
        return [WHOLE], True
    ends: list[SplitPoint | None] = [*points, None]
    starts: list[SplitPoint | None] = [None, *points]
    return [Span(a, b) for a, b in zip(starts, ends, strict=True)], True


def split_point(
    container: InputContainer, stream: VideoStream, target: float, fps: float
) -> SplitPoint | None:
    """The keyframe nearest ``target`` seconds that seeking lands on, if any."""
    assert stream.time_base is not None
    tb = float(stream.time_base)
    start = stream.start_time or 0
    ts = start + round(target / tb)
    found: list[SplitPoint] = []
    for backward in (True, False):
        try:
            container.seek(ts, stream=stream, backward=backward)
            packet = None
            for n, candidate in enumerate(container.demux()):
                if candidate.stream_index == stream.index and candidate.size:
                    packet = candidate
                    break
                if n >= SEEK_PACKETS:
                    break
        except av.error.FFmpegError:  # damaged or unseekable: no split here
            continue
        if packet is None or packet.pts is None or not packet.is_keyframe:
            continue
        if packet.is_corrupt:
            continue
        t = (packet.pts - start) * tb
        pos = packet.pos if packet.pos is not None and packet.pos >= 0 else None
        found.append(SplitPoint(packet.pts, pos, t, ts, backward, first_sample_at(t, fps)))
    return min(found, key=lambda p: abs(p.t - target), default=None)


# --- decoding spans in threads --------------------------------------------------------


@dataclass
class _Done:
    run: DecodePass


@dataclass
class _Failed:
    exc: BaseException


_Item = tuple[float, VideoFrame] | _Done | _Failed


class _Spans:
    """Worker threads claiming spans in order; the caller's thread hands frames out."""

    def __init__(
        self, path: Path, plan: SamplingPlan, stats: SampleStats, spans: list[Span], workers: int
    ) -> None:
        self.path, self.plan, self.stats, self.spans = path, plan, stats, spans
        self.workers = workers
        # Each worker's decoder: the spans are the parallelism; FFmpeg's frame threads
        # gained little on the reference chains a sample needs (bench/video.py).
        self.decoder_threads = plan.threads or 1
        self.cancel = threading.Event()
        self.window = threading.Semaphore(workers + 1)  # spans claimed, not yet handed out
        self.lock = threading.Lock()
        self.next = 0  # the next span to claim
        self.last = len(spans) - 1  # no span after one that went on to the end is needed
        self.outputs: list[queue.SimpleQueue[_Item]] = [queue.SimpleQueue() for _ in spans]

    def run(self) -> Sampled:
        threads = [
            threading.Thread(target=self.work, name=f"sightline-video-{i}", daemon=True)
            for i in range(self.workers)
        ]
        for thread in threads:
            thread.start()
        last_t = -math.inf
        missed = False
        try:
            for k in range(len(self.spans)):
                while True:
                    item = self.outputs[k].get()
                    if isinstance(item, _Done | _Failed):
                        break
                    t, frame = item
                    if t <= last_t:  # the frame the previous span ended with
                        continue
                    last_t = t
                    yield self.handed_out(frame)
                self.window.release()
                if isinstance(item, _Failed):
                    if not isinstance(item.exc, SplitMissed):
                        raise item.exc
                    missed = True
                    break
                self.stats.add_decoding(item.run.stats)
                if not item.run.handed_over:  # it went on to the end of the file
                    return item.run.failure(self.stats)
            if not missed:
                raise AssertionError("the last span always goes on to the end of the file")
        finally:
            self.cancel.set()
            for thread in threads:
                thread.join()
        # A seek missed its keyframe (the file changed?): one pass, past what was given.
        return (yield from self.single_pass_after(last_t))

    def handed_out(self, frame: VideoFrame) -> VideoFrame:
        if frame.index != self.stats.samples:
            frame = replace(frame, index=self.stats.samples)
        self.stats.samples += 1
        self.stats.last_timestamp_ms = frame.timestamp_ms
        return frame

    def single_pass_after(self, last_t: float) -> Sampled:
        """One pass over the whole video, handing out the frames after ``last_t``; its
        counts replace the spans'."""
        fresh = SampleStats()
        with open_video(self.path) as (container, stream):
            passed = _single_pass(container, stream, self.plan, fresh, self.path, last_t)
            while True:
                try:
                    frame = next(passed)
                except StopIteration as stop:
                    failure: InvalidVideoError | None = stop.value
                    break
                yield self.handed_out(frame)
        for name in ("packets_read", "packets_decoded", "frames_decoded"):
            setattr(self.stats, name, getattr(fresh, name))
        self.stats.decode_errors = fresh.decode_errors
        self.stats.frames_discarded = fresh.frames_discarded
        self.stats.workers = self.stats.spans = 1
        return failure

    def claim(self) -> int | None:
        """The next span for a worker, once the window allows; None when none is left."""
        while not self.cancel.is_set():
            if not self.window.acquire(timeout=0.05):
                continue
            with self.lock:
                k = self.next
                if k <= self.last:
                    self.next += 1
                    return k
            self.window.release()
            return None
        return None

    def work(self) -> None:
        with ExitStack() as files:
            opened: tuple[InputContainer, VideoStream, Converter] | None = None
            while (k := self.claim()) is not None:
                out = self.outputs[k]
                try:
                    if opened is None:
                        container, stream = files.enter_context(open_video(self.path))
                        configure_decoder(stream, self.plan, self.decoder_threads)
                        codec = stream.codec_context.codec
                        name = codec.canonical_name or codec.name
                        opened = container, stream, Converter(stream, self.plan.max_side, name)
                    container, stream, converter = opened
                    run = DecodePass(
                        container,
                        stream,
                        self.plan,
                        SampleStats(),
                        self.path,
                        self.spans[k],
                        self.cancel,
                        converter,
                    )
                    for item in run.frames():
                        out.put(item)
                except BaseException as exc:  # handed to the caller's thread
                    with self.lock:
                        self.last = min(self.last, k)
                    out.put(_Failed(exc))
                    return
                if not run.handed_over:
                    with self.lock:
                        self.last = min(self.last, k)
                out.put(_Done(run))
