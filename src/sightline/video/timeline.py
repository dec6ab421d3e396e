"""A video's timeline: what is on screen when, from finished jobs' stored records.

One :class:`Track` per label, per tracked person and per recognised person, each a
list of ``[start, end)`` segments in milliseconds:

- labels come from LabelDetection's ``AggregateBy=SEGMENTS`` records (the job already
  merged consecutive samples: ``StartTimestampMillis``/``EndTimestampMillis``);
- faces (FaceDetection), tracked people (PersonTracking, by ``Person.Index``) and
  recognised people (FaceSearch matches) are per-sample records; a sample stands for
  one sampling interval (``1000 / fps`` of the job's plan), and samples closer than
  1.5 intervals join one segment, as the label segments were made.

Pure functions of the records; :mod:`sightline.albums.videos` reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

JOIN_GAP = 1.5  # samples closer than this many intervals are one appearance


@dataclass(frozen=True)
class Segment:
    start_ms: int
    end_ms: int

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class Track:
    kind: str  # "label", "face", "person" (tracked) or "match" (a registered person)
    name: str
    segments: tuple[Segment, ...]
    detail: str = ""  # e.g. the best similarity of a match

    @property
    def total_ms(self) -> int:
        return sum(s.duration_ms for s in self.segments)


@dataclass(frozen=True)
class TrackGroup:
    title: str
    tracks: tuple[Track, ...]
    hidden: int = 0  # tracks left out (the shortest), for a note


@dataclass(frozen=True)
class Timeline:
    duration_ms: int
    groups: tuple[TrackGroup, ...]

    @property
    def empty(self) -> bool:
        return not any(g.tracks for g in self.groups)


def merge(segments: Iterable[Segment]) -> tuple[Segment, ...]:
    """Overlapping or touching segments joined, in time order."""
    out: list[Segment] = []
    for s in sorted(segments, key=lambda s: (s.start_ms, s.end_ms)):
        if out and s.start_ms <= out[-1].end_ms:
            if s.end_ms > out[-1].end_ms:
                out[-1] = Segment(out[-1].start_ms, s.end_ms)
        else:
            out.append(s)
    return tuple(out)


def sampled_segments(
    stamps: Iterable[int], interval_ms: int, duration_ms: int | None
) -> tuple[Segment, ...]:
    """Segments from sample times: each sample covers one interval; samples closer
    than :data:`JOIN_GAP` intervals join."""
    times = sorted(set(stamps))
    out: list[Segment] = []
    for t in times:
        end = t + interval_ms if duration_ms is None else min(t + interval_ms, duration_ms)
        end = max(end, t + 1)
        if out and t - out[-1].end_ms <= (JOIN_GAP - 1) * interval_ms:
            out[-1] = Segment(out[-1].start_ms, max(out[-1].end_ms, end))
        else:
            out.append(Segment(t, end))
    return tuple(out)


def _limit(tracks: list[Track], limit: int) -> tuple[tuple[Track, ...], int]:
    ranked = sorted(tracks, key=lambda t: (-t.total_ms, t.name.casefold()))
    return tuple(ranked[:limit]), max(0, len(ranked) - limit)


def label_tracks(records: Sequence[Mapping[str, Any]], limit: int = 25) -> TrackGroup:
    """From LabelDetection SEGMENTS records: one track per label, longest first."""
    by_name: dict[str, list[Segment]] = {}
    for r in records:
        name = (r.get("Label") or {}).get("Name")
        start, end = r.get("StartTimestampMillis"), r.get("EndTimestampMillis")
        if not name or not isinstance(start, int) or not isinstance(end, int) or end < start:
            continue
        by_name.setdefault(str(name), []).append(Segment(start, max(end, start + 1)))
    tracks = [Track("label", name, merge(segs)) for name, segs in by_name.items()]
    shown, hidden = _limit(tracks, limit)
    return TrackGroup("Labels", shown, hidden)


def face_tracks(
    records: Sequence[Mapping[str, Any]], interval_ms: int, duration_ms: int | None
) -> TrackGroup:
    """From FaceDetection records: when any face is on screen."""
    stamps = [int(r["Timestamp"]) for r in records if isinstance(r.get("Timestamp"), int)]
    if not stamps:
        return TrackGroup("Faces", ())
    most = max(_counts(stamps).values())
    detail = f"up to {most} at once" if most > 1 else ""
    segments = sampled_segments(stamps, interval_ms, duration_ms)
    return TrackGroup("Faces", (Track("face", "Faces", segments, detail),))


def person_tracks(
    records: Sequence[Mapping[str, Any]],
    interval_ms: int,
    duration_ms: int | None,
    limit: int = 25,
) -> TrackGroup:
    """From PersonTracking records: one track per tracked person (``Person.Index``)."""
    by_index: dict[int, list[int]] = {}
    for r in records:
        index = (r.get("Person") or {}).get("Index")
        if isinstance(index, int) and isinstance(r.get("Timestamp"), int):
            by_index.setdefault(index, []).append(int(r["Timestamp"]))
    tracks = [
        Track("person", f"Person {index + 1}", sampled_segments(stamps, interval_ms, duration_ms))
        for index, stamps in sorted(by_index.items())
    ]
    shown, hidden = _limit(tracks, limit)
    return TrackGroup("People tracked", shown, hidden)


def match_tracks(
    records: Sequence[Mapping[str, Any]],
    interval_ms: int,
    duration_ms: int | None,
    name_of: Callable[[Mapping[str, Any]], str | None],
) -> TrackGroup:
    """From FaceSearch records: one track per registered person recognised.
    ``name_of`` names the person of a matched ``Face`` (None: not a registered person)."""
    stamps: dict[str, list[int]] = {}
    best: dict[str, float] = {}
    for r in records:
        t = r.get("Timestamp")
        if not isinstance(t, int):
            continue
        for match in r.get("FaceMatches") or []:
            name = name_of(match.get("Face") or {})
            if name is None:
                continue
            stamps.setdefault(name, []).append(t)
            similarity = float(match.get("Similarity") or 0.0)
            best[name] = max(best.get(name, 0.0), similarity)
    tracks = [
        Track(
            "match",
            name,
            sampled_segments(times, interval_ms, duration_ms),
            f"best match {best[name]:.1f}%",
        )
        for name, times in stamps.items()
    ]
    shown, hidden = _limit(tracks, 25)
    return TrackGroup("Registered people", shown, hidden)


def _counts(stamps: Iterable[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for t in stamps:
        out[t] = out.get(t, 0) + 1
    return out


def clock(ms: int) -> str:
    """``1:02.5`` (minutes, seconds and tenths); hours when needed."""
    tenths = max(0, round(ms / 100))
    seconds, tenth = divmod(tenths, 10)
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    if hours:
        return f"{hours}:{minute:02d}:{second:02d}.{tenth}"
    return f"{minute}:{second:02d}.{tenth}"
