"""DetectText's response: ``TextDetections`` and ``TextModelVersion``."""

from __future__ import annotations

from typing import Any

from sightline.analyzers.types import TextDetection, TextResult
from sightline.api.rekognition.shapes.common import bounding_box, percent, polygon


def text_detection(d: TextDetection, width: int, height: int) -> dict[str, Any]:
    """One ``TextDetection``; ``width`` x ``height`` is the full-resolution frame.

    ``ParentId`` is sent only for WORDs, as Rekognition does.
    """
    out: dict[str, Any] = {
        "DetectedText": d.text,
        "Type": d.type,
        "Id": d.id,
        "Confidence": percent(d.confidence),
        "Geometry": {
            "BoundingBox": bounding_box(d.box, width, height),
            "Polygon": polygon(d.polygon, width, height),
        },
    }
    if d.parent_id is not None:
        out["ParentId"] = d.parent_id
    return out


def detect_text_response(result: TextResult, width: int, height: int) -> dict[str, Any]:
    """The whole DetectText response for an image of ``width`` x ``height`` pixels."""
    return {
        "TextDetections": [text_detection(d, width, height) for d in result.detections],
        "TextModelVersion": result.model_version,
    }
