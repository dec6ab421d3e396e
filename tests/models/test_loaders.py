"""Loaders hand analyzers the installed adapters, and nothing when nothing is installed."""

from __future__ import annotations

import numpy as np

from sightline.config import Settings
from sightline.media.image import Image
from sightline.models.loaders import (
    load_classifiers,
    load_detectors,
    load_expression_recognizer,
    load_face_detector,
    load_face_embedder,
)
from tests.models.adapters.test_faces import YUNET_SIDE, _template_face, _yunet_outputs
from tests.models.installs import install_as_catalog
from tests.models.onnx_builders import channel_linear_model, yunet_like_model


def test_nothing_installed_means_nothing_loaded(settings: Settings) -> None:
    assert load_detectors(settings) == [] and load_classifiers(settings) == []
    assert load_face_detector(settings) is None
    assert load_face_embedder(settings) is None
    assert load_expression_recognizer(settings) is None


def test_yunet_and_sface_when_installed(settings: Settings) -> None:
    yunet = install_as_catalog(
        settings, "yunet", lambda p: yunet_like_model(p, _yunet_outputs(), YUNET_SIDE)
    )
    sface = install_as_catalog(
        settings,
        "sface",
        lambda p: channel_linear_model(
            p, np.ones((3, 128), np.float32), size=112, input_name="data", output_name="fc1"
        ),
    )
    detector = load_face_detector(settings)
    embedder = load_face_embedder(settings)
    assert detector is not None and embedder is not None
    assert detector.version == f"yunet:{yunet.sha256[:12]}"
    assert embedder.version == f"sface:{sface.sha256[:12]}"
    [face] = detector.detect(Image.from_array(np.zeros((YUNET_SIDE, YUNET_SIDE, 3), np.uint8)))
    pixels, points = _template_face(2.0, 0.0, (100, 100))
    vector = embedder.embed(Image.from_array(pixels), points)
    assert vector.shape == (128,) and abs(float(np.linalg.norm(vector)) - 1) < 1e-5
    assert len(face.landmarks) == 5
