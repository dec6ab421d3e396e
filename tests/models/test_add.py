"""``add_model``: the user's own ONNX files are checked before they are installed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sightline.config import Settings
from sightline.errors import InvalidParameterError, ResourceAlreadyExistsError
from sightline.media.image import Image
from sightline.models.add import add_model, default_name
from sightline.models.loaders import load_classifiers, load_detectors, load_face_detector
from sightline.models.registry import Registry
from tests.models.onnx_builders import channel_linear_model, constant_output_model

SIDE = 160
N = 20 * 20 + 10 * 10 + 5 * 5  # YOLOX anchors of a 160 x 160 input


def detector_file(path: Path, classes: int = 3) -> Path:
    """A 160-px YOLOX-layout model that sees one box of the last class at (40, 48, 72, 64)."""
    out = np.zeros((1, N, 5 + classes), np.float32)
    out[0, 7 * 20 + 7] = [0.0, 0.0, math.log(4), math.log(2), 0.9, *([0.0] * (classes - 1)), 0.9]
    return constant_output_model(path, out, input_shape=(1, 3, SIDE, SIDE))


@pytest.fixture
def labels_file(tmp_path: Path) -> Path:
    path = tmp_path / "labels.txt"
    path.write_text("# my classes\nwidget\ngadget\n\nsprocket\n")
    return path


def test_detector_with_labels_is_installed_and_usable(
    settings: Settings, tmp_path: Path, labels_file: Path
) -> None:
    model = add_model(
        detector_file(tmp_path / "My Widgets.onnx"),
        "object-detection",
        settings,
        labels=labels_file,
    )
    assert (model.name, model.task, model.layout, model.source) == (
        "my-widgets",
        "object-detection",
        "yolox",
        "user",
    )
    assert model.label_names() == ("widget", "gadget", "sprocket")
    assert sorted(p.name for p in model.directory.iterdir()) == [
        "labels.txt",
        "manifest.json",
        "my-widgets.onnx",
    ]
    assert Registry.from_settings(settings).get("my-widgets") == model
    [detector] = load_detectors(settings)
    found = detector.detect(Image.from_array(np.zeros((320, 320, 3), np.uint8)))
    assert [(d.label, d.box.x0, d.box.y0, d.box.x1, d.box.y1) for d in found] == [
        ("sprocket", 80.0, 96.0, 144.0, 128.0)  # (40, 48, 72, 64) at ratio 0.5
    ]
    assert load_classifiers(settings) == [] and load_face_detector(settings) is None


def test_eighty_classes_without_labels_are_coco(settings: Settings, tmp_path: Path) -> None:
    model = add_model(detector_file(tmp_path / "d.onnx", 80), "object-detection", settings)
    assert model.labels == "coco80" and model.label_names()[79] == "toothbrush"


def test_classifier_of_1000_classes_is_imagenet(settings: Settings, tmp_path: Path) -> None:
    weights = np.zeros((3, 1000), np.float32)
    weights[:, 5] = 10.0  # bright images are electric rays
    path = channel_linear_model(tmp_path / "c.onnx", weights)
    model = add_model(path, "image-classification", settings, name="cls")
    assert (model.labels, model.layout) == ("imagenet1k", "imagenet")
    [classifier] = load_classifiers(settings)
    top = classifier.classify(Image.from_array(np.full((100, 100, 3), 255, np.uint8)))[0]
    assert (top.class_id, top.label, top.aliases) == (
        5,
        "electric ray",
        ("crampfish", "numbfish", "torpedo"),
    )
    assert top.confidence > 0.99


@pytest.mark.parametrize(
    ("make", "task", "kwargs", "message"),
    [
        # three classes and no labels file
        (lambda p: detector_file(p), "object-detection", {}, "scores 3 classes; pass --labels"),
        # a classifier's 1 x C output is not a detector's
        (
            lambda p: channel_linear_model(p, np.ones((3, 4), np.float32)),
            "object-detection",
            {},
            "needs a 3-d output",
        ),
        # YOLOX rows of a 160 input read as YOLOv8 give nonsense class counts
        (
            lambda p: detector_file(p),
            "object-detection",
            {"layout": "yolov8"},
            "scores 521 classes",
        ),
        # a layout of another task
        (lambda p: detector_file(p), "object-detection", {"layout": "imagenet"}, "does not fit"),
        # not a task users may add
        (lambda p: detector_file(p), "face-detection", {}, "Cannot add a model for task"),
        # not an ONNX file at all
        (
            lambda p: p.write_bytes(b"hello") and p,
            "object-detection",
            {},
            "ONNX Runtime cannot load",
        ),
        # a catalog name
        (lambda p: detector_file(p), "object-detection", {"name": "yolox-s"}, "catalog model"),
    ],
)
def test_bad_models_are_refused_and_leave_nothing(
    settings: Settings,
    tmp_path: Path,
    make: object,
    task: str,
    kwargs: dict[str, str],
    message: str,
) -> None:
    path = make(tmp_path / "m.onnx")  # type: ignore[operator]
    with pytest.raises(InvalidParameterError, match=message):
        add_model(path, task, settings, **kwargs)  # type: ignore[arg-type]
    root = settings.models.resolved_dir()
    assert not root.exists() or list(root.iterdir()) == []


def test_label_count_mismatch(settings: Settings, tmp_path: Path, labels_file: Path) -> None:
    with pytest.raises(InvalidParameterError, match="scores 4 classes but the labels file has 3"):
        add_model(
            detector_file(tmp_path / "m.onnx", 4), "object-detection", settings, labels=labels_file
        )


def test_name_taken(settings: Settings, tmp_path: Path, labels_file: Path) -> None:
    path = detector_file(tmp_path / "m.onnx")
    add_model(path, "object-detection", settings, labels=labels_file)
    with pytest.raises(ResourceAlreadyExistsError, match="sightline models remove m"):
        add_model(path, "object-detection", settings, labels=labels_file)


@pytest.mark.parametrize(
    ("file", "name"),
    [("My Detector.onnx", "my-detector"), ("__x__.onnx", "x"), ("!!!.onnx", "model")],
)
def test_default_name(file: str, name: str) -> None:
    assert default_name(Path(file)) == name
