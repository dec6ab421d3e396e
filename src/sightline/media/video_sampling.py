"""Which frames a time-based sampling plan takes, and which packets must be decoded.

Pure timing logic, no FFmpeg: :mod:`sightline.media.video` feeds it packet and frame
times in seconds from the start of the stream.

Samples fall at ``n / fps`` seconds. Each takes the first frame presented at or after
its time; a frame is never used twice, so when frames are sparser than samples
(variable frame rate, slideshows) the samples a frame covers collapse into one.

:class:`PacketGate` decides per packet, in decode order, whether the decoder must see
it. Decoding is the cost, reading packets is nearly free, so the gate reads every
packet and holds back those no sample needs:

- packets are held from each keyframe on; a later keyframe discards what was held (the
  decoder needs nothing before a keyframe), so a group of pictures that holds no
  sample is never decoded, and neither is the tail of a group after its last sample.
  Only a keyframe presented *after* the next sample time keeps them: in an open GOP
  the pictures decoded after it but shown before it (one may be the sample) reference
  the held ones;
- after dropped packets the decoder is drained and flushed before the next one, as
  after a seek;
- when a packet reaches the next sample time, the held packets go to the decoder as
  *references only* (its non-reference frames may be skipped: nothing shows them),
  then that packet in full.

Frames B-frame reordering presents before the packet that reached the sample time
(its time window) are passed in full too, so the first frame at or after a sample time
is always decoded. A packet without a time is always passed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Generic, TypeVar

# Timestamps of a sample time minus rounding (a frame at 0.49999 s serves 0.5 s).
EPSILON_S = 1e-3

P = TypeVar("P")


def sample_index_after(t: float, fps: float) -> int:
    """The index of the first sample time strictly after ``t`` (with the tolerance)."""
    return math.floor((t + EPSILON_S) * fps) + 1


def expected_samples(duration_s: float, fps: float) -> int:
    """How many sample times fall in [0, duration): the most frames a plan can yield."""
    if duration_s <= 0:
        return 0
    return max(1, math.ceil(duration_s * fps - EPSILON_S))


@dataclass
class SampleClock:
    """The output side: picks decoded frames, in presentation order, for the samples."""

    fps: float
    next_index: int = 0

    @property
    def next_time(self) -> float:
        return self.next_index / self.fps

    def take(self, t: float) -> bool:
        """Whether the frame presented at ``t`` is the next sample (and advance if so)."""
        if t < self.next_time - EPSILON_S:
            return False
        self.next_index = sample_index_after(t, self.fps)
        return True


@dataclass
class Gated(Generic[P]):
    """A packet to decode now.

    ``reference_only``: none of its frames is a sample. ``after_gap``: packets before
    it were dropped, so the decoder must first give up the frames it still holds
    (drain) and restart (flush), as after a seek; a decoder fed across a gap may
    otherwise hand out a delayed frame under a later packet's timestamp.
    """

    packet: P
    reference_only: bool
    after_gap: bool = False


@dataclass
class PacketGate(Generic[P]):
    """The demux side: which packets the decoder must see for the samples to come.

    ``keyframes_only`` passes keyframes alone (the decoder is told to skip the rest).
    """

    fps: float
    keyframes_only: bool = False
    next_index: int = 0
    held: list[P] = field(default_factory=list)
    # Presentation times in [lo, hi) may be the first frame of the last sample reached.
    window: tuple[float, float] = (math.inf, -math.inf)
    passed: int = 0
    skipped: int = 0
    gap: bool = False  # packets were dropped since the last one passed

    @property
    def next_time(self) -> float:
        return self.next_index / self.fps

    def push(self, packet: P, t: float | None, keyframe: bool) -> list[Gated[P]]:
        """The packets to decode now, in order, after reading ``packet`` (time ``t``)."""
        if self.keyframes_only and not keyframe:
            self.skipped += 1
            self.gap = self.passed > 0
            return []
        # A keyframe after the sample time may open a GOP whose leading pictures,
        # presented before it (the sample), reference the held packets: keep them then.
        opens_past_sample = t is None or t > self.next_time + EPSILON_S
        if keyframe and self.held and not opens_past_sample:
            self.skipped += len(self.held)
            self.held = []
            self.gap = self.passed > 0
        lo, hi = self.window
        reaches = t is None or t >= self.next_time - EPSILON_S
        if not reaches and not (t is not None and lo <= t < hi):
            self.held.append(packet)
            return []
        out = [Gated(p, reference_only=True) for p in self.held]
        out.append(Gated(packet, reference_only=False))
        out[0].after_gap, self.gap = self.gap, False
        self.held = []
        if reaches and t is not None:
            self.window = (self.next_time - EPSILON_S, t)
            self.next_index = sample_index_after(t, self.fps)
        self.passed += len(out)
        return out

    def finish(self) -> None:
        """End of stream: what is still held was never needed."""
        self.skipped += len(self.held)
        self.held = []
