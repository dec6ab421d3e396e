"""Timelines from stored video records: label segments, sampled appearances, names."""

from __future__ import annotations

from typing import Any

from sightline.video.timeline import (
    Segment,
    clock,
    face_tracks,
    label_tracks,
    match_tracks,
    merge,
    person_tracks,
    sampled_segments,
)


def label(name: str, start: int, end: int) -> dict[str, Any]:
    return {
        "Timestamp": start,
        "Label": {"Name": name, "Confidence": 90.0},
        "StartTimestampMillis": start,
        "EndTimestampMillis": end,
        "DurationMillis": end - start,
    }


def test_segments_merge_when_they_overlap_or_touch() -> None:
    assert merge([Segment(500, 900), Segment(0, 500), Segment(2000, 2100)]) == (
        Segment(0, 900),
        Segment(2000, 2100),
    )
    assert merge([Segment(0, 1000), Segment(200, 300)]) == (Segment(0, 1000),)


def test_samples_join_within_one_and_a_half_intervals() -> None:
    # 2 fps: samples every 500 ms; a missed sample (a 1000 ms gap) splits the run.
    assert sampled_segments([0, 500, 1000, 2000, 2500], 500, 6000) == (
        Segment(0, 1500),
        Segment(2000, 3000),
    )
    assert sampled_segments([5800], 500, 6000) == (Segment(5800, 6000),)  # capped at the end
    assert sampled_segments([], 500, None) == ()


def test_label_tracks_come_from_segments_longest_first() -> None:
    group = label_tracks(
        [
            label("Person", 2000, 4000),
            label("Cup", 0, 6000),
            label("Person", 4000, 4500),
            label("Face", 2000, 3500),
            {"Label": {"Name": "Broken"}},  # no times: ignored
        ],
        limit=2,
    )
    assert group.title == "Labels"
    assert [(t.name, t.segments) for t in group.tracks] == [
        ("Cup", (Segment(0, 6000),)),
        ("Person", (Segment(2000, 4500),)),
    ]
    assert group.hidden == 1 and group.tracks[1].total_ms == 2500


def test_faces_people_and_recognised_people() -> None:
    faces = face_tracks([{"Timestamp": t, "Face": {}} for t in (2000, 2000, 2500, 3000)], 500, 6000)
    [track] = faces.tracks
    assert track.segments == (Segment(2000, 3500),) and track.detail == "up to 2 at once"
    assert face_tracks([], 500, 6000).tracks == ()

    people = person_tracks(
        [{"Timestamp": t, "Person": {"Index": i}} for t, i in [(0, 0), (500, 0), (3000, 1)]],
        500,
        6000,
    )
    assert [(t.name, t.segments) for t in people.tracks] == [
        ("Person 1", (Segment(0, 1000),)),
        ("Person 2", (Segment(3000, 3500),)),
    ]

    names = {"person-1": "Ada"}
    matches = match_tracks(
        [
            {
                "Timestamp": t,
                "FaceMatches": [
                    {"Similarity": sim, "Face": {"ExternalImageId": external}}
                    for external, sim in found
                ],
            }
            for t, found in [
                (2000, [("person-1", 97.25)]),
                (2500, [("person-1", 99.5), ("stranger", 85.0)]),
            ]
        ],
        500,
        6000,
        lambda face: names.get(str(face.get("ExternalImageId"))),
    )
    [ada] = matches.tracks
    assert (ada.name, ada.segments, ada.detail) == (
        "Ada",
        (Segment(2000, 3000),),
        "best match 99.5%",
    )


def test_clock_reads_minutes_seconds_and_tenths() -> None:
    assert [clock(ms) for ms in (0, 2049, 62_500, 3_725_000)] == [
        "0:00.0",
        "0:02.0",
        "1:02.5",
        "1:02:05.0",
    ]
