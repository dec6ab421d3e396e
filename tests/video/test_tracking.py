"""Person tracking: stable indices through crossings, misses, jitter and false positives."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from sightline.analyzers.types import Box, Person
from sightline.video.tracking import (
    PersonTracker,
    TrackedSample,
    TrackerOptions,
    track_people,
)

STEP_MS = 500  # 2 samples a second, the default sampling plan


def person(cx: float, bottom: float, height: float, confidence: float = 0.9) -> Person:
    """A standing person: a box 0.4 x its height, centred on ``cx``, feet at ``bottom``."""
    width = 0.4 * height
    return Person(Box(cx - width / 2, bottom - height, cx + width / 2, bottom), confidence)


def indices(samples: Sequence[TrackedSample]) -> list[list[int]]:
    return [[p.index for p in s.people] for s in samples]


def index_of(sample: TrackedSample, target: Person) -> int:
    (found,) = [p for p in sample.people if p.box == target.box]
    return found.index


def walkers(steps: int, *, hidden: Sequence[int] = ()) -> list[tuple[int, list[Person]]]:
    """A walks right, B walks left; they cross at step 5. B is hidden at ``hidden``."""
    samples = []
    for k in range(steps):
        a = person(100 + 40 * k, 400, 160)
        b = person(500 - 40 * k, 410, 150)  # a little nearer the camera
        samples.append((k * STEP_MS, [a] if k in hidden else [a, b]))
    return samples


@pytest.mark.parametrize(
    "hidden",
    [(), (5,), (4, 5)],  # both seen; B behind A at the crossing for one, two samples
)
def test_people_crossing_keep_their_indices(hidden: tuple[int, ...]) -> None:
    samples = walkers(11, hidden=hidden)
    tracked = track_people(samples)
    for (_, people), result in zip(samples, tracked, strict=True):
        assert index_of(result, people[0]) == 0  # A, first seen at the left
        if len(people) == 2:
            assert index_of(result, people[1]) == 1
    assert all(len(r.people) == len(p) for (_, p), r in zip(samples, tracked, strict=True))


def test_a_person_missed_for_one_sample_keeps_the_index() -> None:
    samples = [(k * STEP_MS, [] if k == 4 else [person(100 + 30 * k, 400, 160)]) for k in range(10)]
    assert indices(track_people(samples)) == [[0]] * 4 + [[]] + [[0]] * 5


def test_a_person_gone_longer_than_max_age_comes_back_as_someone_new() -> None:
    seen = [*range(5), *range(9, 14)]  # gone 2 s (samples 5-8): over 1.75 s
    samples = [(k * STEP_MS, [person(200, 400, 160)] if k in seen else []) for k in range(14)]
    result = indices(track_people(samples))
    assert result[:5] == [[0]] * 5 and result[9:] == [[1]] * 5
    longer = track_people(samples, TrackerOptions(max_age_ms=2500))
    assert indices(longer)[9:] == [[0]] * 5


def test_new_people_get_the_next_indices() -> None:
    samples = []
    for k in range(12):
        people = [person(100 + 10 * k, 400, 160)]
        if k >= 4:
            people.append(person(500, 420, 170))
        if k >= 8:
            people.append(person(300 - 10 * k, 380, 120))
        samples.append((k * STEP_MS, people))
    tracked = track_people(samples)
    assert indices(tracked) == [[0]] * 4 + [[0, 1]] * 4 + [[0, 1, 2]] * 4
    assert index_of(tracked[9], samples[9][1][2]) == 2


def test_people_appearing_together_are_numbered_left_to_right() -> None:
    samples = [(k * STEP_MS, [person(400, 400, 160), person(150, 400, 160)]) for k in range(3)]
    tracked = track_people(samples)
    assert [index_of(tracked[0], p) for p in samples[0][1]] == [1, 0]


def test_jittery_detections_stay_one_track() -> None:
    rng = np.random.default_rng(3)
    samples = []
    for k in range(40):
        h = 160 * (1 + rng.uniform(-0.1, 0.1))
        cx = 300 + rng.uniform(-0.08, 0.08) * 160
        bottom = 400 + rng.uniform(-0.08, 0.08) * 160
        samples.append((k * STEP_MS, [person(cx, bottom, h)]))
    assert indices(track_people(samples)) == [[0]] * 40


def test_a_fast_walker_at_two_samples_a_second_is_one_track() -> None:
    # 0.8 body heights a sample: consecutive boxes do not overlap at all.
    samples = [(k * STEP_MS, [person(50 + 128 * k, 400, 160)]) for k in range(8)]
    assert indices(track_people(samples)) == [[0]] * 8


def test_a_false_positive_seen_once_is_no_person() -> None:
    tracker = PersonTracker()
    returned = []
    for k in range(8):
        boxes = [person(100 + 20 * k, 400, 160).box]
        if k == 3:
            boxes.append(person(520, 300, 90).box)
        returned.append(tracker.update(k * STEP_MS, boxes, [0.9] * len(boxes)))
    assert returned[3] == [0, None]
    assert indices(tracker.finish()) == [[0]] * 8


def test_online_indices_and_the_whole_path_after_finish() -> None:
    tracker = PersonTracker()
    first = tracker.update(0, [person(100, 400, 160).box], [0.9])
    second = tracker.update(STEP_MS, [person(130, 400, 160).box], [0.9])
    assert (first, second) == ([None], [0])  # confirmed at its second sighting
    tracker.update(2 * STEP_MS, [], [])
    tracked = tracker.finish()
    assert indices(tracked) == [[0], [0], []]  # the first sighting is part of the path
    assert tracked[0].people[0].detection == 0
    assert tracked[0].people[0].confidence == 0.9
    assert [s.timestamp_ms for s in tracked] == [0, 500, 1000]


@pytest.mark.parametrize(("confidence", "kept"), [(0.95, True), (0.4, False)])
def test_a_person_seen_only_in_the_last_sample(confidence: float, kept: bool) -> None:
    samples = [(k * STEP_MS, [person(100 + 20 * k, 400, 160)]) for k in range(5)]
    samples.append((5 * STEP_MS, [person(200, 400, 160), person(600, 400, 160, confidence)]))
    last = track_people(samples)[-1]
    assert [p.index for p in last.people] == ([0, 1] if kept else [0])


def test_a_confident_single_sighting_in_the_middle_is_still_dropped() -> None:
    samples = [(k * STEP_MS, [person(100 + 20 * k, 400, 160)]) for k in range(6)]
    samples[2][1].append(person(600, 400, 160, 0.99))
    assert indices(track_people(samples)) == [[0]] * 6


def test_min_hits_one_confirms_at_once() -> None:
    tracker = PersonTracker(TrackerOptions(min_hits=1))
    assert tracker.update(0, [person(100, 400, 160).box]) == [0]


def test_two_people_side_by_side_keep_their_indices() -> None:
    # Walking together, boxes overlapping (IoU about 0.2), both moving right.
    samples = [
        (k * STEP_MS, [person(100 + 25 * k, 400, 160), person(140 + 25 * k, 402, 158)])
        for k in range(12)
    ]
    tracked = track_people(samples)
    for (_, people), result in zip(samples, tracked, strict=True):
        assert [index_of(result, p) for p in people] == [0, 1]


def test_face_sized_boxes_track_too() -> None:
    faces = [
        (k * STEP_MS, [Person(Box(200 + 5 * k, 80, 240 + 5 * k, 130), 0.99)]) for k in range(6)
    ]
    assert indices(track_people(faces)) == [[0]] * 6


def test_refuses_bad_input() -> None:
    tracker = PersonTracker()
    with pytest.raises(ValueError, match="confidences"):
        tracker.update(0, [person(1, 2, 3).box], [0.5, 0.5])
    tracker.update(1000, [], [])
    with pytest.raises(ValueError, match="before"):
        tracker.update(500, [], [])
    tracker.finish()
    with pytest.raises(RuntimeError):
        tracker.update(2000, [], [])
    with pytest.raises(ValueError):
        TrackerOptions(min_hits=0)
    with pytest.raises(ValueError):
        TrackerOptions(max_age_ms=-1)
    assert track_people([]) == []
