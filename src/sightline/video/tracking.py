"""Multi-object tracking over sampled frames: a stable ``Index`` per person.

For ``GetPersonTracking`` (``PersonDetail.Index``), and for any other boxes that must
keep an identity across samples (faces in ``GetFaceSearch``). Boxes are in pixels, times
in milliseconds; samples may be irregular (2 a second by default).

Method (SORT, with the gating of DeepSORT): each track is a constant-velocity Kalman
filter over the box centre and size, in pixels and pixels a second, with noise scaled
by the box height so one set of parameters suits near and far people. At each sample
every track is predicted to the sample's time; detections are assigned to tracks by the
Hungarian algorithm (``scipy.optimize.linear_sum_assignment``; scipy comes with
scikit-learn) on a cost of ``1 - IoU`` plus the centre distance in box heights, between
the prediction and the detection. A pair is allowed only when the detection lies within
the filter's 99% gate (Mahalanobis distance over centre and size) or overlaps the
prediction by IoU >= 0.3; since the prediction carries each track's velocity, two
people crossing keep their own tracks, and the gate widens while a track goes unseen.
Confirmed tracks are matched first, so a fresh track never takes a known person's box.

Life of a track: it is confirmed after ``min_hits`` detections (one-sample false
positives never become people) and ends when unseen for more than ``max_age_ms``
(a person missed in one or two samples keeps the index). Indices count from 0 in the
order tracks are confirmed, ties broken by first appearance and then left to right;
that is the order of first appearance unless a person's first sightings were broken.

Two views. :meth:`PersonTracker.update` is online: it returns each detection's index,
or None while its track is not yet confirmed. :meth:`PersonTracker.finish` (and
:func:`track_people`) is the whole video at once: every detection of a confirmed track,
including the sightings made before it was confirmed, so a person's path starts where
they first appeared; and a track the end of the video cut short (first seen in the last
``min_hits - 1`` samples, so it could not have been confirmed) is kept when one of its
detections has confidence >= ``end_confidence``. No appearance cue is used: inputs are
boxes only, and colour histograms of person boxes at 2 samples a second re-identify
poorly after the gaps (seconds) where they would be needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]

from sightline.analyzers.types import Box, Person

__all__ = [
    "PersonTracker",
    "TrackedPerson",
    "TrackedSample",
    "TrackerOptions",
    "track_people",
]

# Noise, in box heights (h) and seconds; see docs/decisions.md.
_MEASURE_POSITION = 0.10  # detector jitter of the centre: std 0.1 h
_MEASURE_SIZE = 0.15  # and of the width and height
_ACCELERATION = 0.5  # white-noise acceleration of the centre, h/s^2 (std per sqrt s)
_SIZE_ACCELERATION = 0.2  # of the width and height
_INITIAL_SPEED = 1.0  # std of a new track's unknown velocity, h/s (walking is ~0.5-1)
_INITIAL_SIZE_SPEED = 0.2
_GATE = 13.277  # chi-square, 4 degrees of freedom, 99%
_IOU_FALLBACK = 0.3  # overlapping this much is a match whatever the filter says
_INFEASIBLE = 1e6


@dataclass(frozen=True)
class TrackerOptions:
    """``max_age_ms``: how long a track lives unseen (1750: two missed samples at 2 a
    second, with room for timestamp jitter); ``min_hits``: detections that confirm a
    track; ``end_confidence``: the confidence that keeps a track cut short by the end."""

    max_age_ms: int = 1750
    min_hits: int = 2
    end_confidence: float = 0.7

    def __post_init__(self) -> None:
        if self.max_age_ms < 0:
            raise ValueError(f"max_age_ms must be >= 0, got {self.max_age_ms}")
        if self.min_hits < 1:
            raise ValueError(f"min_hits must be >= 1, got {self.min_hits}")
        if not 0.0 <= self.end_confidence <= 1.0:
            raise ValueError(f"end_confidence must be in [0, 1], got {self.end_confidence}")


@dataclass(frozen=True)
class TrackedPerson:
    """A detection with its person's ``index``; ``detection`` is its position among the
    boxes of its sample (to join what the caller knows about it, e.g. a face)."""

    index: int
    box: Box
    confidence: float
    detection: int


@dataclass(frozen=True)
class TrackedSample:
    """The confirmed people of one sample, by index."""

    timestamp_ms: int
    people: tuple[TrackedPerson, ...]


class _Kalman:
    """Constant velocity over (cx, cy, w, h): state (cx, cy, w, h, vx, vy, vw, vh)."""

    def __init__(self, box: Box) -> None:
        self.x = np.array([*_measurement(box), 0.0, 0.0, 0.0, 0.0])
        h = max(box.height, 1.0)
        std = np.array(
            [_MEASURE_POSITION] * 2
            + [_MEASURE_SIZE] * 2
            + [_INITIAL_SPEED] * 2
            + [_INITIAL_SIZE_SPEED] * 2
        )
        self.p = np.diag((std * h) ** 2)

    @property
    def height(self) -> float:
        return max(float(self.x[3]), 1.0)

    def predict(self, dt: float) -> None:
        if dt <= 0:
            return
        f = np.eye(8)
        f[range(4), range(4, 8)] = dt
        q = np.zeros((8, 8))
        h = self.height
        for i, accel in enumerate([_ACCELERATION] * 2 + [_SIZE_ACCELERATION] * 2):
            power = (accel * h) ** 2
            q[i, i] = power * dt**3 / 3
            q[i, i + 4] = q[i + 4, i] = power * dt**2 / 2
            q[i + 4, i + 4] = power * dt
        self.x = f @ self.x
        self.p = f @ self.p @ f.T + q

    def box(self) -> Box:
        cx, cy = float(self.x[0]), float(self.x[1])
        w, h = max(float(self.x[2]), 1.0), self.height
        return Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)

    def _innovation(self) -> NDArray[np.float64]:
        h = self.height
        r = np.diag((np.array([_MEASURE_POSITION] * 2 + [_MEASURE_SIZE] * 2) * h) ** 2)
        return np.asarray(self.p[:4, :4] + r, dtype=np.float64)

    def distances(self, measured: NDArray[np.float64]) -> NDArray[np.float64]:
        """Squared Mahalanobis distance of each row (cx, cy, w, h) from the prediction."""
        y = measured - self.x[:4]
        return np.asarray(np.einsum("ij,ji->i", y, np.linalg.solve(self._innovation(), y.T)))

    def update(self, box: Box) -> None:
        s = self._innovation()
        gain = np.linalg.solve(s, self.p[:4, :]).T  # P H^T S^-1, with S symmetric
        self.x = self.x + gain @ (_measurement(box) - self.x[:4])
        self.p = self.p - gain @ self.p[:4, :]


def _measurement(box: Box) -> NDArray[np.float64]:
    c = box.center
    return np.array([c.x, c.y, box.width, box.height])


@dataclass
class _Track:
    kalman: _Kalman
    first_sample: int
    first_ms: int
    first_box: Box
    last_ms: int
    state_ms: int
    # (sample number, detection position, box, confidence) of every detection
    hits: list[tuple[int, int, Box, float]] = field(default_factory=list)
    index: int | None = None

    def order(self) -> tuple[int, float, float]:
        return (self.first_ms, self.first_box.x0, self.first_box.y0)


class PersonTracker:
    """Tracks boxes over samples given in time order; see the module docstring."""

    def __init__(self, options: TrackerOptions | None = None) -> None:
        self.options = options or TrackerOptions()
        self._active: list[_Track] = []
        self._ended: list[_Track] = []  # confirmed tracks no longer active
        self._times: list[int] = []
        self._next_index = 0
        self._finished = False

    def update(
        self,
        timestamp_ms: int,
        boxes: Sequence[Box],
        confidences: Sequence[float] | None = None,
    ) -> list[int | None]:
        """Add one sample's detections; each one's index, or None if not yet confirmed.

        ``confidences`` (0-1) defaults to 1 for every box. Samples with no detection
        must be given too (an empty list): time passing is what ends a track.
        """
        if self._finished:
            raise RuntimeError("the tracker is finished; start a new one")
        if confidences is None:
            confidences = [1.0] * len(boxes)
        if len(confidences) != len(boxes):
            raise ValueError(f"{len(boxes)} boxes but {len(confidences)} confidences")
        if self._times and timestamp_ms < self._times[-1]:
            raise ValueError(f"sample at {timestamp_ms} ms is before {self._times[-1]} ms")
        sample = len(self._times)
        self._times.append(timestamp_ms)
        alive = []
        for track in self._active:
            if timestamp_ms - track.last_ms > self.options.max_age_ms:
                if track.index is not None:
                    self._ended.append(track)
                continue
            track.kalman.predict((timestamp_ms - track.state_ms) / 1000.0)
            track.state_ms = timestamp_ms
            alive.append(track)
        self._active = alive

        unmatched = list(range(len(boxes)))
        owners: dict[int, _Track] = {}
        confirmed = [t for t in alive if t.index is not None]
        tentative = [t for t in alive if t.index is None]
        for group in (confirmed, tentative):
            for track, detection in _associate(group, [boxes[d] for d in unmatched]):
                owners[unmatched[detection]] = track
            unmatched = [d for d in unmatched if d not in owners]

        for detection, track in owners.items():
            track.kalman.update(boxes[detection])
            track.last_ms = timestamp_ms
            track.hits.append((sample, detection, boxes[detection], confidences[detection]))
        for detection in unmatched:
            box = boxes[detection]
            track = _Track(_Kalman(box), sample, timestamp_ms, box, timestamp_ms, timestamp_ms)
            track.hits.append((sample, detection, box, confidences[detection]))
            self._active.append(track)
            owners[detection] = track

        ready = [
            t for t in self._active if t.index is None and len(t.hits) >= self.options.min_hits
        ]
        for track in sorted(ready, key=_Track.order):
            track.index = self._next_index
            self._next_index += 1
        return [owners[d].index for d in range(len(boxes))]

    def finish(self) -> list[TrackedSample]:
        """Every sample with every detection of a confirmed track (see module docstring)."""
        self._finished = True
        samples = len(self._times)
        late = [
            t
            for t in self._active
            if t.index is None
            and samples - t.first_sample < self.options.min_hits
            and max(hit[3] for hit in t.hits) >= self.options.end_confidence
        ]
        for track in sorted(late, key=_Track.order):
            track.index = self._next_index
            self._next_index += 1
        people: list[list[TrackedPerson]] = [[] for _ in range(samples)]
        for track in [*self._ended, *self._active]:
            if track.index is None:
                continue
            for sample, detection, box, confidence in track.hits:
                people[sample].append(TrackedPerson(track.index, box, confidence, detection))
        return [
            TrackedSample(time, tuple(sorted(found, key=lambda p: p.index)))
            for time, found in zip(self._times, people, strict=True)
        ]


def track_people(
    samples: Iterable[tuple[int, Sequence[Person]]], options: TrackerOptions | None = None
) -> list[TrackedSample]:
    """Track ``(timestamp_ms, people)`` samples in time order; :meth:`PersonTracker.finish`."""
    tracker = PersonTracker(options)
    for timestamp_ms, people in samples:
        tracker.update(timestamp_ms, [p.box for p in people], [p.confidence for p in people])
    return tracker.finish()


def _associate(tracks: Sequence[_Track], boxes: Sequence[Box]) -> list[tuple[_Track, int]]:
    """Hungarian assignment of ``boxes`` (by position) to ``tracks`` within the gates."""
    if not tracks or not boxes:
        return []
    measured = np.array([_measurement(box) for box in boxes])  # (n, 4): cx, cy, w, h
    corners = np.array([(b.x0, b.y0, b.x1, b.y1) for b in boxes])
    cost = np.full((len(tracks), len(boxes)), _INFEASIBLE)
    for i, track in enumerate(tracks):
        predicted = track.kalman.box()
        iou = _iou(predicted, corners)
        gated = track.kalman.distances(measured) <= _GATE
        shift = np.hypot(*(measured[:, :2] - track.kalman.x[:2]).T) / predicted.height
        cost[i] = np.where(gated | (iou >= _IOU_FALLBACK), (1.0 - iou) + shift, _INFEASIBLE)
    rows, cols = linear_sum_assignment(cost)
    return [
        (tracks[i], j)
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True)
        if cost[i, j] < _INFEASIBLE
    ]


def _iou(box: Box, corners: NDArray[np.float64]) -> NDArray[np.float64]:
    """IoU of ``box`` with each row (x0, y0, x1, y1) of ``corners``."""
    iw = np.clip(np.minimum(box.x1, corners[:, 2]) - np.maximum(box.x0, corners[:, 0]), 0, None)
    ih = np.clip(np.minimum(box.y1, corners[:, 3]) - np.maximum(box.y0, corners[:, 1]), 0, None)
    inter = iw * ih
    areas = (corners[:, 2] - corners[:, 0]) * (corners[:, 3] - corners[:, 1])
    union = box.area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
