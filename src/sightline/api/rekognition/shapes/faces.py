"""Faces as Rekognition's ``FaceDetail`` and the ``DetectFaces`` response.

``face_detail`` is shared by DetectFaces, IndexFaces (``FaceRecords[].FaceDetail``)
and anything else that sends a FaceDetail. Members follow Rekognition's order; a
member whose attribute no model measured is omitted, never sent empty.
"""

from __future__ import annotations

from typing import Any

from sightline.analyzers.face_attributes import requested_attributes
from sightline.analyzers.types import BoolAttribute, Face, FacesResult, Point
from sightline.api.rekognition.shapes.common import bounding_box, drop_none, percent
from sightline.media.image import ImageInfo


def face_detail(face: Face, width: int, height: int, attributes: Any = None) -> dict[str, Any]:
    """One ``FaceDetail``; ``width`` x ``height`` is the frame ``face`` is measured in.

    ``attributes`` is the request's ``Attributes`` member (None means DEFAULT):
    BoundingBox, Landmarks, Pose, Quality and Confidence are always sent; EyesOpen,
    MouthOpen, Smile and Emotions when asked for and measured.
    """
    wanted = requested_attributes(attributes)
    emotions = None
    if "EMOTIONS" in wanted and face.emotions is not None:
        emotions = [{"Type": e.type, "Confidence": percent(e.confidence)} for e in face.emotions]
    detail: dict[str, Any] = {
        "BoundingBox": bounding_box(face.box, width, height),
        "Smile": _bool(face.smile) if "SMILE" in wanted else None,
        "EyesOpen": _bool(face.eyes_open) if "EYES_OPEN" in wanted else None,
        "MouthOpen": _bool(face.mouth_open) if "MOUTH_OPEN" in wanted else None,
        "Emotions": emotions,
        "Landmarks": [
            {"Type": lm.type, **_landmark_point(lm.point, width, height)} for lm in face.landmarks
        ],
        "Pose": None
        if face.pose is None
        else {"Roll": face.pose.roll, "Yaw": face.pose.yaw, "Pitch": face.pose.pitch},
        "Quality": None
        if face.quality is None
        else {"Brightness": face.quality.brightness, "Sharpness": face.quality.sharpness},
        "Confidence": percent(face.confidence),
    }
    return drop_none(detail)


def detect_faces_response(
    result: FacesResult, info: ImageInfo, attributes: Any = None
) -> dict[str, Any]:
    """The ``DetectFaces`` output: ``FaceDetails`` and, for EXIF-rotated images,
    ``OrientationCorrection`` (boxes are then in the corrected, upright frame)."""
    return drop_none(
        {
            "FaceDetails": [
                face_detail(face, info.width, info.height, attributes) for face in result.faces
            ],
            "OrientationCorrection": info.orientation_correction,
        }
    )


def _bool(attribute: BoolAttribute | None) -> dict[str, Any] | None:
    if attribute is None:
        return None
    return {"Value": attribute.value, "Confidence": percent(attribute.confidence)}


def _landmark_point(p: Point, width: int, height: int) -> dict[str, float]:
    """X and Y as ratios of the image, clipped to it like BoundingBox (a chin below
    the frame reads 1.0)."""
    return {
        "X": min(max(p.x / width, 0.0), 1.0),
        "Y": min(max(p.y / height, 0.0), 1.0),
    }
