"""DetectLabels: sources, taxonomy, request members, image properties."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
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
from sightline.models.add import add_model
from tests.botocore_shapes import assert_valid_output
from tests.conftest import sample_bytes
from tests.models.onnx_builders import channel_linear_model, constant_output_model


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


def test_installed_registry_models_join_the_labels(settings: Settings, tmp_path: Path) -> None:
    """A tiny 80-class YOLOX detector and a 1000-class classifier, built in code and
    installed with ``models add``, reach DetectLabels through the registry's adapters."""
    anchors = 20 * 20 + 10 * 10 + 5 * 5  # YOLOX anchors of a 160 x 160 input
    out = np.zeros((1, anchors, 5 + 80), np.float32)
    out[0, 7 * 20 + 7, :5] = [0.0, 0.0, math.log(4), math.log(2), 0.9]  # one box ...
    out[0, 7 * 20 + 7, 5 + 2] = 0.9  # ... of COCO class 2, "car"
    detector = constant_output_model(tmp_path / "det.onnx", out, input_shape=(1, 3, 160, 160))
    add_model(detector, "object-detection", settings, name="tiny-coco")
    weights = np.zeros((3, 1000), np.float32)
    weights[:, 281] = 10.0  # bright images are "tabby, tabby cat"
    classifier = channel_linear_model(tmp_path / "cls.onnx", weights)
    add_model(classifier, "image-classification", settings, name="tiny-imagenet")

    labels = LabelAnalyzer(settings, AnalyzerPool(settings))
    labels.sources = []  # only the installed models, for a fast test
    image = Image.from_array(np.full((320, 320, 3), 255, np.uint8))
    result = labels.analyze(image)
    by_name = {label.name: label for label in result.labels}
    assert set(by_name) == {"Car", "Vehicle", "Transportation", "Tabby"}
    (car,) = by_name["Car"].instances
    assert (car.box.x0, car.box.y0, car.box.x1, car.box.y1) == (80.0, 96.0, 144.0, 128.0)
    assert by_name["Car"].parents == ("Transportation", "Vehicle")
    assert by_name["Tabby"].aliases == ("tabby cat",)
    assert labels.versions()["tiny-coco"].startswith("sha256:")
    assert_valid_output("DetectLabels", detect_labels_response(result, image.info))


def test_text_from_ocr(analyzer_pool: AnalyzerPool) -> None:
    image = decode_image(sample_bytes("page.png"), Settings().limits)
    text = analyzer_pool.analyze("text", image)  # as `sightline analyze` runs it first
    result = analyzer_pool.get("labels").analyze(image)
    (label,) = [label for label in result.labels if label.name == "Text"]
    lines = [d.confidence for d in text.detections if d.type == "LINE"]
    assert label.confidence == max(lines)  # the reading the text analysis made, reused
    assert label.categories == ("Text and Documents",) and label.instances == ()
