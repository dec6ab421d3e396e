"""DetectLabels: sources, taxonomy, request members, image properties."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from sightline.analyzers.base import AnalyzerPool
from sightline.analyzers.labels import LabelAnalyzer, LabelRequest
from sightline.analyzers.taxonomy import ancestors, facts, label_name
from sightline.analyzers.types import Box
from sightline.api.rekognition.shapes.labels import detect_labels_response
from sightline.config import Settings
from sightline.errors import InvalidParameterError
from sightline.media.decode import decode_image
from sightline.media.image import Image
from tests.botocore_shapes import assert_valid_output
from tests.conftest import sample_bytes


@dataclass(frozen=True)
class _Detection:
    box: Box
    confidence: float
    class_id: int
    label: str


@dataclass(frozen=True)
class _Classification:
    class_id: int
    label: str
    confidence: float
    aliases: tuple[str, ...] = ()


class FakeDetector:
    """Stands in for a registry detector: fixed COCO detections."""

    name = "fake-coco"

    def detect(self, image: Image) -> list[_Detection]:
        return [
            _Detection(Box(10, 20, 110, 80), 0.92, 2, "car"),
            _Detection(Box(12, 22, 108, 78), 0.60, 2, "car"),  # the same car, weaker
            _Detection(Box(150, 10, 190, 90), 0.81, 0, "person"),
            _Detection(Box(120, 60, 140, 90), 0.40, 16, "dog"),
        ]


class FakeClassifier:
    name = "fake-imagenet"

    def classify(self, image: Image) -> list[_Classification]:
        return [_Classification(281, "tabby", 0.7, ("tabby cat",))]


@pytest.fixture
def analyzer() -> LabelAnalyzer:
    """Labels from the fakes only (no pool models), on a 200 x 100 image."""
    labels = LabelAnalyzer(Settings(), AnalyzerPool(Settings()))
    labels.sources = []
    labels.detectors = [FakeDetector()]
    labels.classifiers = [FakeClassifier()]
    return labels


def _image() -> Image:
    pixels = np.zeros((100, 200, 3), np.uint8)
    pixels[:, :120] = (200, 20, 20)  # the "car" half is red
    pixels[:, 120:] = (20, 20, 200)
    return Image.from_array(pixels)


def _names(result: Any) -> list[str]:
    return [label.name for label in result.labels]


def test_detector_and_classifier_classes_join_with_parents(analyzer: LabelAnalyzer) -> None:
    result = analyzer.analyze(_image())
    # best first, ties by name; Dog (40) is under the default MinConfidence of 55
    assert _names(result) == ["Car", "Transportation", "Vehicle", "Person", "Tabby"]
    car = result.labels[0]
    assert car.parents == ("Transportation", "Vehicle")
    assert car.categories == ("Vehicles and Automotive",)
    assert car.aliases == ("Automobile",)
    (instance,) = car.instances  # the weaker duplicate box is the same car
    assert instance.box == Box(10, 20, 110, 80) and instance.confidence == 0.92
    assert instance.dominant_colors == ()  # only with IMAGE_PROPERTIES
    tabby = result.labels[-1]
    assert (tabby.aliases, tabby.parents, tabby.instances) == (("tabby cat",), (), ())
    response = detect_labels_response(result, _image().info)
    assert_valid_output("DetectLabels", response)
    assert response["LabelModelVersion"] == result.model_version
    assert response["Labels"][1] == {
        "Name": "Transportation",
        "Confidence": pytest.approx(92.0),
        "Instances": [],
        "Parents": [],
        "Aliases": [],
        "Categories": [{"Name": "Vehicles and Automotive"}],
    }


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"MinConfidence": 30}, ["Car", "Transportation", "Vehicle", "Person", "Tabby",
                                 "Animal", "Canine", "Dog", "Mammal", "Pet"]),
        ({"MaxLabels": 2}, ["Car", "Transportation"]),
        ({"MinConfidence": 75}, ["Car", "Transportation", "Vehicle", "Person"]),
        ({"Settings": {"GeneralLabels": {"LabelInclusionFilters": ["Car", "Tabby"]}}},
         ["Car", "Tabby"]),
        ({"Settings": {"GeneralLabels": {"LabelExclusionFilters": ["Transportation"]}}},
         ["Car", "Vehicle", "Person", "Tabby"]),
        ({"Settings": {"GeneralLabels": {
            "LabelCategoryInclusionFilters": ["Person Description"]}}}, ["Person"]),
        ({"Settings": {"GeneralLabels": {
            "LabelCategoryExclusionFilters": ["Vehicles and Automotive"]}}}, ["Person", "Tabby"]),
        ({"Settings": {"GeneralLabels": {  # exclusion wins over inclusion
            "LabelInclusionFilters": ["Car", "Person"], "LabelExclusionFilters": ["Car"]}}},
         ["Person"]),
    ],
)  # fmt: skip
def test_request_members(
    analyzer: LabelAnalyzer, options: dict[str, Any], expected: list[str]
) -> None:
    assert _names(analyzer.analyze(_image(), options)) == expected


def test_image_properties(analyzer: LabelAnalyzer) -> None:
    options = {
        "Features": ["GENERAL_LABELS", "IMAGE_PROPERTIES"],
        "Settings": {"ImageProperties": {"MaxDominantColors": 3}},
    }
    result = analyzer.analyze(_image(), options)
    (car_box,) = result.labels[0].instances
    assert [c.simplified_color for c in car_box.dominant_colors] == ["red"]
    props = result.image_properties
    assert props is not None
    assert [c.simplified_color for c in props.dominant_colors] == ["red", "blue"]
    assert [round(c.pixel_percent) for c in props.dominant_colors] == [60, 40]
    response = detect_labels_response(result, _image().info, options)
    assert_valid_output("DetectLabels", response)
    assert set(response["ImageProperties"]["Quality"]) == {"Brightness", "Sharpness", "Contrast"}


def test_image_properties_alone(analyzer: LabelAnalyzer) -> None:
    result = analyzer.analyze(_image(), {"Features": ["IMAGE_PROPERTIES"]})
    assert result.labels == ()
    assert result.image_properties is not None


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"MinConfidence": 101}, "MinConfidence must be between 0 and 100"),
        ({"MinConfidence": "high"}, "MinConfidence must be a number"),
        ({"MaxLabels": -1}, "MaxLabels must be at least 0"),
        ({"Features": ["FACES"]}, "Features must list values"),
        ({"Settings": {"GeneralLabels": {"LabelInclusionFilters": "Car"}}}, "list of names"),
        ({"Settings": {"ImageProperties": {"MaxDominantColors": 21}}}, "between 0 and 20"),
        ({"Settings": []}, "Settings must be an object"),
    ],
)
def test_bad_requests_name_the_member(options: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidParameterError, match=words):
        LabelRequest.parse(options)


def test_taxonomy() -> None:
    assert facts("Car").parents == ("Transportation", "Vehicle")
    assert ancestors("Dog") == ("Animal", "Canine", "Mammal", "Pet")
    assert facts("Person").aliases == ("Human",)
    assert label_name("cell phone") == "Mobile Phone"
    assert label_name("golden_retriever") == "Golden Retriever"
    assert facts("Golden Retriever").parents == ()  # unknown: no invented place in the tree


def test_astronaut_with_the_real_models(analyzer_pool: AnalyzerPool) -> None:
    image = decode_image(sample_bytes("astronaut.png"), Settings().limits)
    result = analyzer_pool.get("labels").analyze(image)
    names = _names(result)
    assert {"Person", "Face", "Head"} <= set(names)
    face = next(label for label in result.labels if label.name == "Face")
    assert face.parents == ("Head", "Person")
    (instance,) = face.instances
    assert Box(150, 50, 300, 210).contains(instance.box.center)  # her face
    response = detect_labels_response(result, image.info)
    assert_valid_output("DetectLabels", response)
    assert response["Labels"][0]["Confidence"] >= response["Labels"][-1]["Confidence"]
