"""The JSON document of each analysis, as written to ``{name}-analysis/{analysis}.json``.

Rekognition-shaped analyses (labels, faces, text, moderation) are written exactly as
the matching operation answers (DetectLabels, DetectFaces, DetectText,
DetectModerationLabels), produced by the modules under ``api/rekognition/shapes/``,
so code written against Rekognition reads them unchanged.

Metadata and thumbnails have no Rekognition counterpart; their documents are
Sightline's own, with snake_case keys:

``metadata.json``::

    {"format": "jpeg", "width": 4000, "height": 3000,   # upright (EXIF-rotated) size
     "mode": "RGB", "byte_size": 2345678, "sha256": "…", "orientation": 6,
     "taken_at": "2021-06-01T12:34:56+02:00",           # omitted when unknown
     "gps": {"latitude": -33.85, "longitude": 151.21, "altitude": 10.5},  # omitted when absent
     "camera": {"make": "Canon", "model": "…", "exposure_time": 0.004, "f_number": 2.8, …},
     "exif": {"Make": "Canon", "ExposureTime": 0.004, "GPSLatitude": [33.0, 51.0, 31.56], …}}

``thumbnail.json`` (the images are files beside it)::

    {"thumbnails": [{"file": "thumbnail-256.jpg", "format": "jpeg", "width": 256,
                     "height": 171, "bytes": 14211}, …]}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sightline.analyzers.metadata import camera
from sightline.analyzers.types import MetadataResult, ThumbnailResult
from sightline.errors import UnsupportedError
from sightline.media.image import ImageInfo

# analysis -> the Rekognition operation whose response its document is.
REKOGNITION_OPERATIONS: dict[str, str] = {
    "labels": "DetectLabels",
    "faces": "DetectFaces",
    "text": "DetectText",
    "moderation": "DetectModerationLabels",
}


def analysis_document(
    analysis: str,
    result: Any,
    info: ImageInfo,
    options: Mapping[str, Any] | None = None,
    *,
    thumbnail_files: Sequence[str] = (),
) -> dict[str, Any]:
    """The JSON-ready document of one analysis result.

    Raises:
        UnsupportedError: the analysis has no document shape in this installation.
    """
    if analysis == "metadata":
        return metadata_document(result)
    if analysis == "thumbnail":
        return thumbnail_document(result, thumbnail_files)
    operation = REKOGNITION_OPERATIONS.get(analysis)
    if operation is None:
        raise UnsupportedError(f"The {analysis} analysis has no output document.")
    try:
        shape = _shape_function(analysis)
    except ImportError as exc:
        raise UnsupportedError(
            f"The {operation} response shape is not available in this installation: {exc}."
        ) from exc
    return shape(result, info, dict(options or {}))


def _shape_function(analysis: str) -> Callable[[Any, ImageInfo, dict[str, Any]], dict[str, Any]]:
    """The response builder of ``analysis``, imported on first use.

    Each adapts the operation's request members and the image's facts to its shape
    module's signature.
    """
    if analysis == "faces":
        from sightline.api.rekognition.shapes.faces import detect_faces_response

        return lambda result, info, options: detect_faces_response(
            result, info, options.get("Attributes")
        )
    if analysis == "labels":
        from sightline.api.rekognition.shapes.labels import detect_labels_response

        return detect_labels_response
    if analysis == "text":
        from sightline.api.rekognition.shapes.text import detect_text_response

        return lambda result, info, options: detect_text_response(result, info.width, info.height)
    from sightline.api.rekognition.shapes.moderation import detect_moderation_labels_response

    return lambda result, info, options: detect_moderation_labels_response(result)


def metadata_document(result: MetadataResult) -> dict[str, Any]:
    """``metadata.json`` (see the module docstring)."""
    document: dict[str, Any] = {
        "format": result.format,
        "width": result.width,
        "height": result.height,
        "mode": result.mode,
        "byte_size": result.byte_size,
        "sha256": result.sha256,
        "orientation": result.orientation,
    }
    if result.taken_at is not None:
        document["taken_at"] = result.taken_at
    if result.gps is not None:
        gps: dict[str, float] = {
            "latitude": result.gps.latitude,
            "longitude": result.gps.longitude,
        }
        if result.gps.altitude is not None:
            gps["altitude"] = result.gps.altitude
        document["gps"] = gps
    document["camera"] = camera(result.exif)
    document["exif"] = dict(result.exif)
    return document


def thumbnail_document(result: ThumbnailResult, files: Sequence[str]) -> dict[str, Any]:
    """``thumbnail.json``: one entry per thumbnail file, in the order of ``files``."""
    if len(files) != len(result.thumbnails):
        raise ValueError("one file name per thumbnail is needed")
    return {
        "thumbnails": [
            {
                "file": name,
                "format": thumb.format,
                "width": thumb.width,
                "height": thumb.height,
                "bytes": len(thumb.data),
            }
            for name, thumb in zip(files, result.thumbnails, strict=True)
        ]
    }


def thumbnail_file_names(result: ThumbnailResult, sizes: Sequence[int]) -> list[str]:
    """``thumbnail-{size}.{ext}`` for each thumbnail, named by its configured bound."""
    ext = {"jpeg": "jpg", "webp": "webp"}
    return [
        f"thumbnail-{size}.{ext.get(thumb.format, thumb.format)}"
        for size, thumb in zip(sorted(sizes), result.thumbnails, strict=True)
    ]
