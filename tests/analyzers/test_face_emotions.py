"""DetectFaces reports Emotions when the expression model is installed, and only then."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy as np
import pytest

from sightline.analyzers.base import AnalyzerPool
from sightline.analyzers.faces import FaceAnalyzer
from sightline.api.rekognition.shapes.faces import detect_faces_response
from sightline.config import Settings
from sightline.media.image import Image
from sightline.models.adapters.geometry import softmax
from sightline.models.registry import InstalledModel
from tests.botocore_shapes import assert_valid_output
from tests.conftest import rgb
from tests.models.installs import install_as_catalog
from tests.models.onnx_builders import constant_output_model

# angry, disgust, fearful, happy, neutral, sad, surprised
LOGITS = np.array([[0.0, -1.0, 0.5, 4.0, 2.0, 0.0, 1.0]], np.float32)


def install_fake_fer(settings: Settings) -> InstalledModel:
    """The catalog's FER entry installed with a tiny stand-in of the same layout."""
    return install_as_catalog(
        settings,
        "fer-mobilefacenet",
        lambda path: constant_output_model(
            path, LOGITS, input_shape=(1, 3, 112, 112), input_name="data", output_name="label"
        ),
    )


@pytest.fixture(scope="module")
def faces_with_fer(tmp_path_factory: pytest.TempPathFactory) -> FaceAnalyzer:
    root: Path = tmp_path_factory.mktemp("fer")
    settings = Settings(data_dir=root / "data", models={"model_dir": root / "models"})
    install_fake_fer(settings)
    return FaceAnalyzer(settings)


def test_emotions_when_asked_for(faces_with_fer: FaceAnalyzer) -> None:
    image = Image.from_array(rgb("astronaut.png"))
    result = faces_with_fer.analyze(image, {"Attributes": ["ALL"]})
    [face] = result.faces
    assert face.emotions is not None
    probs = softmax(LOGITS[0])
    assert [e.type for e in face.emotions] == [
        "HAPPY",
        "CALM",
        "SURPRISED",
        "FEAR",
        "ANGRY",
        "SAD",
        "DISGUSTED",
    ]
    assert face.emotions[0].confidence == pytest.approx(float(probs[3]), rel=1e-5)
    assert "fer-mobilefacenet" in result.model_version
    assert faces_with_fer.versions()["fer-mobilefacenet"].startswith("fer-mobilefacenet:")

    response = detect_faces_response(result, image.info, ["ALL"])
    assert_valid_output("DetectFaces", response)
    sent = response["FaceDetails"][0]["Emotions"]
    assert sent[0]["Type"] == "HAPPY"
    assert sent[0]["Confidence"] == pytest.approx(100 * float(probs[3]), rel=1e-4)
    assert "CONFUSED" not in {e["Type"] for e in sent}  # no class in the model


def test_emotions_only_when_asked(faces_with_fer: FaceAnalyzer) -> None:
    image = Image.from_array(rgb("astronaut.png"))
    for attributes in (None, ["DEFAULT"], ["SMILE"]):
        [face] = faces_with_fer.analyze(image, {"Attributes": attributes}).faces
        assert face.emotions is None
    [face] = faces_with_fer.analyze(image, {"Attributes": ["EMOTIONS"]}).faces
    assert face.emotions is not None and face.smile is None


def test_no_emotions_without_the_model(analyzer_pool: AnalyzerPool) -> None:
    faces = cast(FaceAnalyzer, analyzer_pool.get("faces"))  # its model folder is empty
    image = Image.from_array(rgb("astronaut.png"))
    result = faces.analyze(image, {"Attributes": ["ALL"]})
    assert all(f.emotions is None for f in result.faces)
    assert "Emotions" not in detect_faces_response(result, image.info, ["ALL"])["FaceDetails"][0]
