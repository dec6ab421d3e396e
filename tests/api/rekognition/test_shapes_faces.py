"""DetectFaces responses: botocore's shape, DEFAULT vs ALL, EXIF orientation, ratios."""

from __future__ import annotations

from typing import Any, cast

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage

from sightline.analyzers.base import AnalyzerPool
from sightline.analyzers.faces import FaceAnalyzer
from sightline.analyzers.types import (
    BoolAttribute,
    Box,
    Emotion,
    Face,
    FaceQuality,
    FacesResult,
    Landmark,
    Point,
    Pose,
)
from sightline.api.rekognition.shapes.faces import detect_faces_response, face_detail
from sightline.config import ImageLimits
from sightline.media.decode import decode_image
from sightline.media.image import ImageInfo
from tests.botocore_shapes import assert_valid_output
from tests.conftest import encode, rgb, sample_bytes

DEFAULT_MEMBERS = {"BoundingBox", "Landmarks", "Pose", "Quality", "Confidence"}


@pytest.fixture(scope="module")
def faces(analyzer_pool: AnalyzerPool) -> FaceAnalyzer:
    return cast(FaceAnalyzer, analyzer_pool.get("faces"))


def _detect(faces: FaceAnalyzer, data: bytes, attributes: Any = None) -> dict[str, Any]:
    image = decode_image(data, ImageLimits(), max_side=faces.max_side)
    options = None if attributes is None else {"Attributes": attributes}
    response = detect_faces_response(faces.analyze(image, options), image.info, attributes)
    assert_valid_output("DetectFaces", response)
    return response


@pytest.fixture(scope="module")
def astronaut_all(faces: FaceAnalyzer) -> dict[str, Any]:
    return _detect(faces, sample_bytes("astronaut.png"), ["ALL"])


def test_default_attributes(faces: FaceAnalyzer) -> None:
    response = _detect(faces, sample_bytes("astronaut.png"))
    assert "OrientationCorrection" not in response  # a PNG has no EXIF orientation
    [detail] = response["FaceDetails"]
    assert set(detail) == DEFAULT_MEMBERS
    box = detail["BoundingBox"]
    # The astronaut's face: x 175-265+, y 76-166+ of 512.
    assert box["Left"] == pytest.approx(175 / 512, abs=0.015)
    assert box["Top"] == pytest.approx(76 / 512, abs=0.015)
    assert 0.17 < box["Width"] < 0.23 and 0.17 < box["Height"] < 0.23
    assert detail["Confidence"] > 95
    assert len(detail["Landmarks"]) == 30
    for mark in detail["Landmarks"]:
        assert box["Left"] <= mark["X"] <= box["Left"] + box["Width"]
        assert box["Top"] <= mark["Y"] <= box["Top"] + box["Height"]
    assert set(detail["Pose"]) == {"Roll", "Yaw", "Pitch"}
    assert set(detail["Quality"]) == {"Brightness", "Sharpness"}


def test_all_adds_only_measured_attributes(astronaut_all: dict[str, Any]) -> None:
    [detail] = astronaut_all["FaceDetails"]
    # No model stands behind AgeRange, Gender, Beard, Emotions...: omitted.
    assert set(detail) == DEFAULT_MEMBERS | {"Smile", "EyesOpen", "MouthOpen"}
    assert detail["Smile"]["Value"] is True
    assert 50 < detail["Smile"]["Confidence"] <= 100


def test_specific_attribute_list(faces: FaceAnalyzer) -> None:
    response = _detect(faces, sample_bytes("astronaut.png"), ["EYES_OPEN", "AGE_RANGE"])
    [detail] = response["FaceDetails"]
    assert set(detail) == DEFAULT_MEMBERS | {"EyesOpen"}


def test_no_faces_is_an_empty_list(faces: FaceAnalyzer) -> None:
    assert _detect(faces, sample_bytes("coffee.png")) == {"FaceDetails": []}


def test_grace_hopper_jpeg_without_exif_orientation(faces: FaceAnalyzer) -> None:
    response = _detect(faces, sample_bytes("grace_hopper.jpg"))
    assert len(response["FaceDetails"]) == 1


def test_exif_rotated_jpeg_reports_boxes_in_the_upright_frame(
    faces: FaceAnalyzer, astronaut_all: dict[str, Any]
) -> None:
    upright = rgb("astronaut.png")
    # Orientation 6: the stored pixels are the upright picture turned 90 degrees
    # counter-clockwise; a viewer turns them 90 degrees clockwise.
    exif = PILImage.Exif()
    exif[0x0112] = 6
    data = encode(
        np.ascontiguousarray(np.rot90(upright, 1)), "JPEG", quality=95, exif=exif.tobytes()
    )
    response = _detect(faces, data, ["ALL"])
    assert response["OrientationCorrection"] == "ROTATE_90"
    [detail] = response["FaceDetails"]
    [reference] = astronaut_all["FaceDetails"]
    for member in ("Left", "Top", "Width", "Height"):
        assert detail["BoundingBox"][member] == pytest.approx(
            reference["BoundingBox"][member], abs=0.02
        )
    assert abs(detail["Pose"]["Roll"] - reference["Pose"]["Roll"]) < 5


def test_large_jpeg_decoded_at_working_size_keeps_ratios(
    faces: FaceAnalyzer, astronaut_all: dict[str, Any]
) -> None:
    big = cv2.resize(rgb("astronaut.png"), (1600, 1600), interpolation=cv2.INTER_CUBIC)
    response = _detect(faces, encode(big, "JPEG", quality=90))
    [detail] = response["FaceDetails"]
    [reference] = astronaut_all["FaceDetails"]
    assert detail["BoundingBox"]["Left"] == pytest.approx(
        reference["BoundingBox"]["Left"], abs=0.02
    )
    assert detail["BoundingBox"]["Top"] == pytest.approx(reference["BoundingBox"]["Top"], abs=0.02)


def _made_up_face() -> Face:
    """A face built by hand, partly outside a 100x80 frame, with every attribute set."""
    return Face(
        box=Box(-10, 20, 40, 90),
        confidence=0.9,
        landmarks=(Landmark("eyeLeft", Point(5, 40)), Landmark("chinBottom", Point(20, 95))),
        pose=Pose(roll=1.0, yaw=-2.0, pitch=3.0),
        quality=FaceQuality(brightness=50.0, sharpness=60.0),
        eyes_open=BoolAttribute(True, 0.8),
        mouth_open=BoolAttribute(False, 0.7),
        smile=BoolAttribute(False, 0.6),
        emotions=(Emotion("CALM", 0.7), Emotion("HAPPY", 0.2)),
    )


def test_face_detail_converts_to_ratios_and_percent() -> None:
    detail = face_detail(_made_up_face(), 100, 80, ["ALL"])
    assert detail["BoundingBox"] == pytest.approx(
        {"Width": 0.4, "Height": 60 / 80, "Left": 0.0, "Top": 0.25}
    )
    assert detail["Landmarks"][0] == {"Type": "eyeLeft", "X": 0.05, "Y": 0.5}
    assert detail["Landmarks"][1]["Y"] == 1.0  # below the frame: clipped like the box
    assert detail["EyesOpen"] == {"Value": True, "Confidence": pytest.approx(80)}
    assert detail["Emotions"] == [
        {"Type": "CALM", "Confidence": pytest.approx(70)},
        {"Type": "HAPPY", "Confidence": pytest.approx(20)},
    ]
    assert list(detail) == [  # Rekognition's member order
        "BoundingBox",
        "Smile",
        "EyesOpen",
        "MouthOpen",
        "Emotions",
        "Landmarks",
        "Pose",
        "Quality",
        "Confidence",
    ]
    info = ImageInfo(format="jpeg", width=100, height=80, mode="RGB", byte_size=1)
    response = detect_faces_response(FacesResult((_made_up_face(),), "test"), info, ["ALL"])
    assert_valid_output("DetectFaces", response)


def test_emotions_only_when_asked() -> None:
    assert "Emotions" not in face_detail(_made_up_face(), 100, 80, ["SMILE"])
    assert "Emotions" in face_detail(_made_up_face(), 100, 80, ["EMOTIONS"])
