"""DetectLabels responses: botocore's shape, ratios, members always sent."""

from __future__ import annotations

import pytest

from sightline.analyzers.types import (
    Box,
    DominantColor,
    ImageProperties,
    ImageQuality,
    Instance,
    Label,
    LabelsResult,
    RegionProperties,
)
from sightline.api.rekognition.shapes.labels import detect_labels_response
from sightline.media.image import ImageInfo
from tests.botocore_shapes import assert_valid_output

RED = DominantColor(255, 0, 0, "#ff0000", "red", "red", 60.0)
QUALITY = ImageQuality(brightness=40.0, sharpness=80.0, contrast=70.0)


def _result(properties: ImageProperties | None = None) -> LabelsResult:
    car = Label(
        name="Car",
        confidence=0.9,
        instances=(Instance(Box(100, 50, 300, 150), 0.9, (RED,)),),
        parents=("Transportation", "Vehicle"),
        aliases=("Automobile",),
        categories=("Vehicles and Automotive",),
    )
    return LabelsResult(labels=(car,), model_version="test-1", image_properties=properties)


def test_label_members_and_ratios() -> None:
    info = ImageInfo(format="jpeg", width=400, height=200, mode="RGB", byte_size=1)
    response = detect_labels_response(_result(), info)
    assert_valid_output("DetectLabels", response)
    assert "OrientationCorrection" not in response  # no EXIF, no correction
    assert "ImageProperties" not in response
    (car,) = response["Labels"]
    assert car["Confidence"] == pytest.approx(90.0)
    assert car["Parents"] == [{"Name": "Transportation"}, {"Name": "Vehicle"}]
    (instance,) = car["Instances"]
    assert instance["BoundingBox"] == {"Width": 0.5, "Height": 0.5, "Left": 0.25, "Top": 0.25}
    assert instance["DominantColors"][0]["HexCode"] == "#ff0000"


def test_image_properties_and_orientation() -> None:
    region = RegionProperties(quality=QUALITY, dominant_colors=(RED,))
    properties = ImageProperties(QUALITY, (RED,), foreground=region, background=region)
    info = ImageInfo(
        format="jpeg", width=200, height=400, mode="RGB", byte_size=1, orientation=6, exif=b"x"
    )
    response = detect_labels_response(_result(properties), info)
    assert_valid_output("DetectLabels", response)
    assert response["OrientationCorrection"] == "ROTATE_90"
    shaped = response["ImageProperties"]
    assert shaped["Quality"] == {"Brightness": 40.0, "Sharpness": 80.0, "Contrast": 70.0}
    assert shaped["Foreground"]["Quality"] == {"Brightness": 40.0, "Sharpness": 80.0}
    assert shaped["Background"]["DominantColors"][0]["SimplifiedColor"] == "red"
