"""DetectText response shape: ratios, percentages, ParentId only on words."""

from __future__ import annotations

import pytest

from sightline.analyzers.types import Box, Point, TextDetection, TextResult
from sightline.api.rekognition.shapes.text import detect_text_response
from tests.botocore_shapes import assert_valid_output

POLY = (Point(20, 10), Point(120, 10), Point(120, 30), Point(20, 30))


def _result() -> TextResult:
    line = TextDetection("HELLO WORLD", "LINE", 0, None, 0.95, Box(20, 10, 120, 30), POLY)
    word = TextDetection("HELLO", "WORD", 1, 0, 0.9, Box(20, 10, 60, 30), POLY)
    return TextResult((line, word), "rapidocr-1.4.4/PP-OCRv4")


def test_detect_text_response() -> None:
    response = detect_text_response(_result(), 200, 100)
    assert_valid_output("DetectText", response)
    line, word = response["TextDetections"]
    assert response["TextModelVersion"] == "rapidocr-1.4.4/PP-OCRv4"
    assert "ParentId" not in line
    assert word["ParentId"] == 0 and word["Id"] == 1 and word["Type"] == "WORD"
    assert line["Confidence"] == pytest.approx(95.0)
    assert line["Geometry"]["BoundingBox"] == pytest.approx(
        {"Width": 0.5, "Height": 0.2, "Left": 0.1, "Top": 0.1}
    )
    assert line["Geometry"]["Polygon"][2] == pytest.approx({"X": 0.6, "Y": 0.3})


def test_empty_response() -> None:
    response = detect_text_response(TextResult((), "v"), 100, 100)
    assert response == {"TextDetections": [], "TextModelVersion": "v"}
    assert_valid_output("DetectText", response)
