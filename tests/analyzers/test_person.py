"""The person analyzer: HOG pedestrians found, mapped to the full frame, suppressed once.

None of the sample photos shows a whole standing person (HOG's training domain):
astronaut.png is a waist-up portrait. The tests draw a standing figure with adult
proportions (eight heads tall, arms at the sides, legs apart) on a noisy grey
background, which the default people SVM scores well above its boundary (~1.0-1.7).
"""

from __future__ import annotations

from typing import cast

import cv2
import numpy as np
import pytest

from sightline.analyzers.base import AnalyzerPool
from sightline.analyzers.person import PersonAnalyzer, hog_person_confidence, nms
from sightline.analyzers.types import Box
from sightline.media.image import Image
from tests.conftest import rgb


@pytest.fixture(scope="module")
def person(analyzer_pool: AnalyzerPool) -> PersonAnalyzer:
    return cast(PersonAnalyzer, analyzer_pool.get("person"))


def pedestrian(size: int = 320, height: int = 140) -> tuple[np.ndarray, Box]:
    """A ``size`` x ``size`` RGB image of a standing figure and the figure's extent."""
    rng = np.random.default_rng(0)
    noise = rng.normal(190, 6, (size, size, 3))
    canvas = np.clip(noise, 0, 255).astype(np.uint8)
    cx, top, u = size // 2, (size - height) // 2, height / 8  # u: one head
    ink = (40, 40, 40)

    def poly(*pts: tuple[float, float]) -> None:
        cv2.fillPoly(canvas, [np.array([(cx + x * u, top + y * u) for x, y in pts], np.int32)], ink)

    cv2.circle(canvas, (cx, int(top + 0.55 * u)), int(0.5 * u), ink, -1)  # head
    poly((-0.18, 1.0), (0.18, 1.0), (0.18, 1.4), (-0.18, 1.4))  # neck
    poly((-1.0, 1.35), (1.0, 1.35), (0.75, 4.0), (-0.75, 4.0))  # torso
    for s in (-1, 1):
        poly((s * 1.0, 1.4), (s * 1.3, 1.5), (s * 1.2, 4.2), (s * 0.9, 4.2))  # arm
        poly((s * 0.05, 3.9), (s * 0.75, 3.9), (s * 0.6, 7.9), (s * 0.15, 7.9))  # leg
    return canvas, Box(cx - 1.3 * u, top, cx + 1.3 * u, top + 7.9 * u)


def test_finds_a_standing_figure(person: PersonAnalyzer) -> None:
    pixels, figure = pedestrian()
    result = person.analyze(Image.from_array(pixels))
    assert len(result.people) == 1, result.people
    found = result.people[0]
    assert found.box.iou(figure) > 0.5, (found.box, figure)
    assert found.confidence > 0.8


def test_large_frames_are_mapped_back_to_full_resolution(person: PersonAnalyzer) -> None:
    pixels, figure = pedestrian()
    big = cv2.resize(pixels, (1280, 1280), interpolation=cv2.INTER_LINEAR)  # works at 640
    result = person.analyze(Image.from_array(big))
    assert len(result.people) == 1, result.people
    assert result.people[0].box.iou(figure.scaled(4, 4)) > 0.5


def test_no_person_on_coffee(person: PersonAnalyzer) -> None:
    assert person.analyze(Image.from_array(rgb("coffee.png"))).people == ()


def test_nms_keeps_the_strongest_of_overlapping_and_nested_boxes() -> None:
    boxes = np.array(
        [
            [0, 0, 40, 100],  # strongest
            [4, 2, 44, 104],  # same person, shifted: IoU ~0.8
            [5, 10, 35, 60],  # inside the first: contained
            [100, 0, 140, 100],  # another person
        ],
        dtype=np.float64,
    )
    scores = np.array([1.5, 1.2, 1.4, 0.4])
    assert nms(boxes, scores, iou=0.45, contained=0.8) == [0, 3]


def test_nms_of_nothing_is_nothing() -> None:
    assert nms(np.zeros((0, 4)), np.zeros(0), iou=0.45, contained=0.8) == []


def test_confidence_is_monotone_in_the_svm_margin() -> None:
    margins = [0.0, 0.3, 0.5, 1.0, 2.0]
    values = [hog_person_confidence(m) for m in margins]
    assert values == sorted(values)
    assert hog_person_confidence(0.5) == pytest.approx(0.5)
    assert values[-1] < 1.0


def test_versions_name_opencv(person: PersonAnalyzer) -> None:
    assert person.versions() == {"opencv-hog-default-people": cv2.__version__}
