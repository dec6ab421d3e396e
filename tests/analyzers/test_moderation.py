"""Moderation: NudeNet's classes onto Rekognition's taxonomy, and the real model."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import numpy as np
import pytest

from sightline.analyzers.base import AnalyzerPool
from sightline.analyzers.moderation import ModerationAnalyzer, NudeNetDetector
from sightline.analyzers.moderation_taxonomy import (
    EXPLICIT,
    NON_EXPLICIT,
    NUDENET_IGNORED,
    NUDENET_LABELS,
    TAXONOMY,
    moderation_labels,
)
from sightline.api.rekognition.shapes.moderation import detect_moderation_labels_response
from sightline.config import Settings
from sightline.errors import InvalidParameterError, UnsupportedError
from sightline.media.decode import decode_image
from sightline.media.image import Image
from tests.botocore_shapes import assert_valid_output
from tests.conftest import sample_bytes


def _chain(labels: Any) -> list[tuple[str, str, int]]:
    return [(x.name, x.parent_name, x.taxonomy_level) for x in labels]


@pytest.mark.parametrize(
    ("cls", "chain"),
    [
        (
            "FEMALE_GENITALIA_EXPOSED",
            [("Exposed Female Genitalia", "Explicit Nudity", 3)],
        ),
        ("MALE_GENITALIA_EXPOSED", [("Exposed Male Genitalia", "Explicit Nudity", 3)]),
        ("BUTTOCKS_EXPOSED", [("Exposed Buttocks or Anus", "Explicit Nudity", 3)]),
        ("ANUS_EXPOSED", [("Exposed Buttocks or Anus", "Explicit Nudity", 3)]),
        ("FEMALE_BREAST_EXPOSED", [("Exposed Female Nipple", "Explicit Nudity", 3)]),
    ],
)
def test_explicit_classes(cls: str, chain: list[tuple[str, str, int]]) -> None:
    labels = moderation_labels([(cls, 0.9)])
    assert _chain(labels) == [*chain, ("Explicit Nudity", EXPLICIT, 2), (EXPLICIT, "", 1)]
    assert all(x.confidence == pytest.approx(0.9) for x in labels)


def test_exposed_male_breast_is_non_explicit() -> None:
    labels = moderation_labels([("MALE_BREAST_EXPOSED", 0.7)])
    assert _chain(labels) == [
        ("Exposed Male Nipple", "Non-Explicit Nudity", 3),
        ("Non-Explicit Nudity", NON_EXPLICIT, 2),
        (NON_EXPLICIT, "", 1),
    ]


def test_every_mapped_class_is_covered_above() -> None:
    # Guards the parametrised cases against a mapping that grows untested.
    assert set(NUDENET_LABELS) == {
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "MALE_BREAST_EXPOSED",
    }
    assert all(TAXONOMY[name].level == 3 for name in NUDENET_LABELS.values())


def test_every_nudenet_class_is_mapped_or_ignored() -> None:
    import nudenet.nudenet

    classes = set(getattr(nudenet.nudenet, "__labels"))
    assert classes == set(NUDENET_LABELS) | NUDENET_IGNORED
    assert not set(NUDENET_LABELS) & NUDENET_IGNORED


@pytest.mark.parametrize("cls", sorted(NUDENET_IGNORED))
def test_faces_skin_and_covered_parts_are_not_moderation_labels(cls: str) -> None:
    assert moderation_labels([(cls, 0.99)], min_confidence=0.0) == ()


def test_ancestors_take_the_highest_child_confidence() -> None:
    labels = moderation_labels(
        [
            ("FEMALE_BREAST_EXPOSED", 0.6),
            ("BUTTOCKS_EXPOSED", 0.8),
            ("ANUS_EXPOSED", 0.55),  # same label as buttocks: the higher score wins
            ("FEMALE_BREAST_EXPOSED", 0.65),
            ("MALE_BREAST_EXPOSED", 0.52),
            ("FACE_FEMALE", 0.95),
        ]
    )
    got = {x.name: round(x.confidence, 3) for x in labels}
    assert got == {
        "Exposed Buttocks or Anus": 0.8,
        "Exposed Female Nipple": 0.65,
        "Explicit Nudity": 0.8,
        EXPLICIT: 0.8,
        "Exposed Male Nipple": 0.52,
        "Non-Explicit Nudity": 0.52,
        NON_EXPLICIT: 0.52,
    }
    # Most confident first; on a tie the deeper label first.
    assert [x.name for x in labels][:3] == ["Exposed Buttocks or Anus", "Explicit Nudity", EXPLICIT]


def test_min_confidence_drops_weak_labels_but_keeps_strong_ancestors() -> None:
    labels = moderation_labels(
        [("FEMALE_BREAST_EXPOSED", 0.45), ("MALE_GENITALIA_EXPOSED", 0.7)], min_confidence=0.5
    )
    names = [x.name for x in labels]
    assert "Exposed Female Nipple" not in names
    assert names == ["Exposed Male Genitalia", "Explicit Nudity", EXPLICIT]
    assert moderation_labels([("MALE_GENITALIA_EXPOSED", 0.7)], min_confidence=0.7) != ()
    assert moderation_labels([("MALE_GENITALIA_EXPOSED", 0.7)], min_confidence=0.71) == ()


def test_taxonomy_is_a_three_level_tree() -> None:
    for node in TAXONOMY.values():
        if node.level == 1:
            assert node.parent == ""
        else:
            assert TAXONOMY[node.parent].level == node.level - 1


# --- the analyzer around a fake detector -----------------------------------------


class _FakeDetector:
    model_version = "fake-320n"

    def __init__(self, found: list[tuple[str, float, tuple[float, ...]]]) -> None:
        self.found = found
        self.shapes: list[tuple[int, ...]] = []

    def detect(self, bgr: np.ndarray) -> list[tuple[str, float, tuple[float, ...]]]:
        self.shapes.append(bgr.shape)
        return self.found

    def versions(self) -> dict[str, str]:
        return {"fake": "1"}


def test_analyzer_maps_boxes_to_full_resolution_and_honours_min_confidence() -> None:
    fake = _FakeDetector(
        [("BUTTOCKS_EXPOSED", 0.6, (10, 20, 30, 40)), ("FACE_MALE", 0.9, (0, 0, 5, 5))]
    )
    analyzer = ModerationAnalyzer(Settings(), detector=fake)
    image = Image.from_array(np.zeros((400, 640, 3), dtype=np.uint8))
    parts = analyzer.body_parts(image)
    assert fake.shapes == [(200, 320, 3)]  # shrunk to the model's 320 pixels first
    assert parts[0].box.x0 == pytest.approx(20) and parts[0].box.y1 == pytest.approx(120)
    result = analyzer.analyze(image)
    assert [x.name for x in result.labels] == [
        "Exposed Buttocks or Anus",
        "Explicit Nudity",
        EXPLICIT,
    ]
    assert result.model_version == "fake-320n"
    assert analyzer.analyze(image, {"MinConfidence": 61}).labels == ()
    response = detect_moderation_labels_response(result)
    assert_valid_output("DetectModerationLabels", response)
    top = response["ModerationLabels"][-1]
    assert top == {
        "Confidence": pytest.approx(60.0),
        "Name": EXPLICIT,
        "ParentName": "",
        "TaxonomyLevel": 1,
    }


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"MinConfidence": 150}, InvalidParameterError, "between 0 and 100; got 150"),
        ({"MinConfidence": "high"}, InvalidParameterError, "must be a number"),
        ({"ProjectVersion": "arn:aws:rekognition:x"}, UnsupportedError, "ProjectVersion"),
        ({"HumanLoopConfig": {"HumanLoopName": "h"}}, UnsupportedError, "HumanLoopConfig"),
    ],
)
def test_bad_options(options: dict[str, Any], error: type[Exception], message: str) -> None:
    analyzer = ModerationAnalyzer(Settings(), detector=_FakeDetector([]))
    image = Image.from_array(np.zeros((100, 100, 3), dtype=np.uint8))
    with pytest.raises(error, match=message):
        analyzer.analyze(image, options)


# --- the real model (shared pool) ---------------------------------------------------


def _moderation(pool: AnalyzerPool) -> ModerationAnalyzer:
    analyzer = pool.get("moderation")
    assert isinstance(analyzer, ModerationAnalyzer)
    return analyzer


@pytest.mark.parametrize("name", ["astronaut.png", "coffee.png"])
def test_safe_photos_have_no_moderation_labels(analyzer_pool: AnalyzerPool, name: str) -> None:
    image = decode_image(sample_bytes(name), Settings().limits)
    analyzer = _moderation(analyzer_pool)
    result = analyzer.analyze(image)
    assert result.labels == ()
    assert result.model_version.startswith("nudenet-") and result.model_version.endswith("/320n")
    # Even with every score allowed, nothing explicit.
    relaxed = analyzer.analyze(image, {"MinConfidence": 0})
    assert not [x for x in relaxed.labels if x.name == EXPLICIT]
    assert_valid_output("DetectModerationLabels", detect_moderation_labels_response(relaxed))


def test_astronaut_face_is_found_in_full_resolution(analyzer_pool: AnalyzerPool) -> None:
    image = decode_image(sample_bytes("astronaut.png"), Settings().limits)
    faces = [p for p in _moderation(analyzer_pool).body_parts(image) if p.label.startswith("FACE_")]
    assert len(faces) == 1
    # The astronaut's face lies around x 170-280, y 80-190 of the 512-pixel image.
    centre = faces[0].box.center
    assert 170 < centre.x < 280 and 80 < centre.y < 190
    assert 60 < faces[0].box.width < 160


def test_nudenet_is_quiet(capfd: pytest.CaptureFixture[str]) -> None:
    detector = NudeNetDetector(Settings())
    detector.detect(np.zeros((320, 320, 3), dtype=np.uint8))
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert detector.versions() == {"nudenet-320n": version("nudenet")}
