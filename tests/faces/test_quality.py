"""QualityFilter bars and MaxFaces, on faces built in code."""

from __future__ import annotations

import pytest

from sightline.analyzers.types import Box, Face, FaceQuality, Pose
from sightline.faces.quality import BARS, composite_quality, reasons, select


def face(
    side: float = 120,
    confidence: float = 0.99,
    brightness: float = 55,
    sharpness: float = 80,
    yaw: float = 0,
    pitch: float = 0,
    x: float = 0,
) -> Face:
    return Face(
        box=Box(x, 0, x + side, side),
        confidence=confidence,
        pose=Pose(roll=0, yaw=yaw, pitch=pitch),
        quality=FaceQuality(brightness=brightness, sharpness=sharpness),
    )


@pytest.mark.parametrize(
    ("kwargs", "bar", "expected"),
    [
        ({}, "HIGH", ()),  # a good face passes every bar
        ({"yaw": 50}, "HIGH", ("EXTREME_POSE",)),
        ({"pitch": -40}, "MEDIUM", ("EXTREME_POSE",)),
        ({"yaw": 50}, "LOW", ()),  # LOW tolerates 60 degrees
        ({"brightness": 15}, "MEDIUM", ("LOW_BRIGHTNESS",)),
        ({"sharpness": 10}, "HIGH", ("LOW_SHARPNESS",)),
        ({"confidence": 0.8}, "HIGH", ("LOW_CONFIDENCE",)),
        ({"side": 60}, "HIGH", ("SMALL_BOUNDING_BOX",)),
        ({"side": 30}, "MEDIUM", ("SMALL_BOUNDING_BOX",)),
        ({"side": 30}, "AUTO", ()),  # AUTO is the LOW bar
        ({"side": 10}, "AUTO", ("SMALL_BOUNDING_BOX",)),
        ({"brightness": 97}, "HIGH", ("LOW_FACE_QUALITY",)),  # over-exposed
        ({"brightness": 2, "sharpness": 1}, "NONE", ()),  # NONE filters nothing
    ],
)
def test_reasons(kwargs: dict[str, float], bar: str, expected: tuple[str, ...]) -> None:
    assert reasons(face(**kwargs), bar) == expected


def test_marginal_on_several_counts_is_low_face_quality() -> None:
    # each measure alone passes MEDIUM (it sits on the bar), all four together do not
    marginal = face(side=40, confidence=0.7, brightness=20, sharpness=8)  # on the bar
    two_marginal = face(side=42, sharpness=9)
    assert reasons(two_marginal, "MEDIUM") == ()
    assert composite_quality(marginal) < BARS["MEDIUM"].min_quality
    assert reasons(marginal, "MEDIUM") == ("LOW_FACE_QUALITY",)
    assert composite_quality(face()) == pytest.approx(1.0)


def test_bars_get_stricter() -> None:
    low, medium, high = BARS["LOW"], BARS["MEDIUM"], BARS["HIGH"]
    assert low.min_side < medium.min_side < high.min_side
    assert low.max_yaw > medium.max_yaw > high.max_yaw
    assert low.min_quality < medium.min_quality < high.min_quality


def test_quality_first_then_the_largest_max_faces() -> None:
    faces = [face(side=100, x=0), face(side=200, x=300, brightness=12), face(side=150, x=600)]
    chosen = select(faces, "MEDIUM", max_faces=1)
    assert chosen.kept == (2,)  # the largest face passing the bar
    assert dict(chosen.rejected) == {1: ("LOW_BRIGHTNESS",), 0: ("EXCEEDS_MAX_FACES",)}
    # without a bar the largest face is kept
    assert select(faces, "NONE", max_faces=1).kept == (1,)


def test_never_more_than_100_faces() -> None:
    faces = [face(side=20 + i, x=i * 200) for i in range(105)]
    chosen = select(faces, "NONE", max_faces=1000)
    assert len(chosen.kept) == 100
    assert [why for _, why in chosen.rejected] == [("EXCEEDS_MAX_FACES",)] * 5
