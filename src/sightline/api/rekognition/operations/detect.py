"""DetectLabels, DetectFaces, DetectText, DetectModerationLabels: one image, one
analyzer, one response shape each.

The image is decoded once, at the analyzer's own ``max_side``; the analyzer reads its
options from the request members and reports in the full-resolution upright frame.
"""

from __future__ import annotations

from typing import Any

from sightline.api.rekognition.context import Handler, OperationContext
from sightline.api.rekognition.shapes.faces import detect_faces_response
from sightline.api.rekognition.shapes.labels import detect_labels_response
from sightline.api.rekognition.shapes.moderation import detect_moderation_labels_response
from sightline.api.rekognition.shapes.text import detect_text_response


def detect_labels(ctx: OperationContext, request: dict[str, Any]) -> dict[str, Any]:
    analyzer = ctx.services.analyzers.get("labels")
    image = ctx.image(request["Image"], analyzer.max_side)
    return detect_labels_response(analyzer.analyze(image, request), image.info, request)


def detect_faces(ctx: OperationContext, request: dict[str, Any]) -> dict[str, Any]:
    analyzer = ctx.services.analyzers.get("faces")
    image = ctx.image(request["Image"], analyzer.max_side)
    result = analyzer.analyze(image, request)
    return detect_faces_response(result, image.info, request.get("Attributes"))


def detect_text(ctx: OperationContext, request: dict[str, Any]) -> dict[str, Any]:
    analyzer = ctx.services.analyzers.get("text")
    image = ctx.image(request["Image"], analyzer.max_side)
    result = analyzer.analyze(image, request)
    return detect_text_response(result, image.info.width, image.info.height)


def detect_moderation_labels(ctx: OperationContext, request: dict[str, Any]) -> dict[str, Any]:
    analyzer = ctx.services.analyzers.get("moderation")
    image = ctx.image(request["Image"], analyzer.max_side)
    return detect_moderation_labels_response(analyzer.analyze(image, request))


OPERATIONS: dict[str, Handler] = {
    "DetectLabels": detect_labels,
    "DetectFaces": detect_faces,
    "DetectText": detect_text,
    "DetectModerationLabels": detect_moderation_labels,
}
