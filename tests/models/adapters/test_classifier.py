"""The ImageNet-style classifier adapter on a tiny real-layout ONNX model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sightline.config import Settings
from sightline.errors import ModelError
from sightline.media.image import Image
from sightline.models.adapters.classifier import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    ImageClassifier,
    validate_classifier,
)
from sightline.models.adapters.geometry import as_probabilities, softmax
from sightline.models.catalog import label_set
from sightline.models.sessions import Node, OrtSession, StaticSession
from tests.models.onnx_builders import channel_linear_model

TABBY = 281  # "tabby, tabby cat"


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> ImageClassifier:
    # logits = 10 * normalised channel means, routed to classes 281 (R), 1 (G), 2 (B)
    weights = np.zeros((3, 1000), np.float32)
    weights[0, TABBY] = weights[1, 1] = weights[2, 2] = 10.0
    path = channel_linear_model(tmp_path_factory.mktemp("cls") / "tiny.onnx", weights)
    return ImageClassifier(OrtSession(path, Settings()), label_set("imagenet1k"), name="tiny")


def test_red_image_is_a_tabby_with_the_expected_probability(classifier: ImageClassifier) -> None:
    pixels = np.zeros((300, 400, 3), np.uint8)
    pixels[..., 0] = 255
    found = classifier.classify(Image.from_array(pixels))
    # What the model must have seen: ImageNet-normalised channel means of pure red.
    means = (np.array([1.0, 0.0, 0.0]) - IMAGENET_MEAN) / IMAGENET_STD
    logits = np.zeros(1000)
    logits[[TABBY, 1, 2]] = 10 * means
    expected = softmax(logits)
    assert found[0].label == "tabby" and found[0].aliases == ("tabby cat",)
    assert found[0].class_id == TABBY
    assert found[0].confidence == pytest.approx(float(expected[TABBY]), rel=1e-4)
    assert all(c.confidence >= classifier.min_confidence for c in found)


def test_pre_process_resizes_crops_and_normalises(classifier: ImageClassifier) -> None:
    pixels = np.zeros((256, 512, 3), np.uint8)
    pixels[:, 256:] = 255  # right half white: the centre crop straddles the edge
    blob = classifier.pre_process(pixels)
    assert blob.shape == (1, 3, 224, 224)
    black = (0 - IMAGENET_MEAN) / IMAGENET_STD
    white = (1 - IMAGENET_MEAN) / IMAGENET_STD
    np.testing.assert_allclose(blob[0, :, 112, 0], black, rtol=1e-5)
    np.testing.assert_allclose(blob[0, :, 112, 223], white, rtol=1e-5)


def test_probabilities_are_not_softmaxed_twice() -> None:
    session = StaticSession(
        [Node("x", [1, 3, 224, 224])],
        [Node("prob", [1, 3])],
        [np.array([[0.2, 0.7, 0.1]], np.float32)],
    )
    found = ImageClassifier(session, ["a", "b", "c"], top_k=2).classify(
        Image.from_array(np.zeros((100, 100, 3), np.uint8))
    )
    assert [(c.label, round(c.confidence, 3)) for c in found] == [("b", 0.7), ("a", 0.2)]
    np.testing.assert_allclose(
        as_probabilities(np.array([1.0, 2.0])), softmax(np.array([1.0, 2.0]))
    )


def test_label_count_must_match(tmp_path: Path) -> None:
    path = channel_linear_model(tmp_path / "m.onnx", np.ones((3, 4), np.float32))
    with pytest.raises(ModelError, match="4 classes but has 1000 labels"):
        ImageClassifier(OrtSession(path, Settings()), label_set("imagenet1k"))
    assert validate_classifier(OrtSession(path, Settings()), (224, 224)) == 4
