"""Internal result types: pixel coordinates, confidences 0-1.

Every box and point is in the full-resolution, upright frame of the analysed image
(:class:`sightline.media.image.ImageInfo` ``width`` x ``height``), whatever scale the
analyzer worked at. Conversion to Rekognition's ratios and 0-100 confidences happens
once, at the edge (``sightline.api.rekognition.shapes``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Point:
    x: float
    y: float

    def scaled(self, sx: float, sy: float) -> Point:
        return Point(self.x * sx, self.y * sy)


@dataclass(frozen=True)
class Box:
    """An axis-aligned box, ``x0 <= x1`` and ``y0 <= y1``, in pixels."""

    x0: float
    y0: float
    x1: float
    y1: float

    def __post_init__(self) -> None:
        if not (self.x1 >= self.x0 and self.y1 >= self.y0):
            raise ValueError(f"box corners out of order: {self}")
        if not all(math.isfinite(v) for v in (self.x0, self.y0, self.x1, self.y1)):
            raise ValueError(f"box has a non-finite coordinate: {self}")

    @classmethod
    def from_xywh(cls, x: float, y: float, w: float, h: float) -> Box:
        return cls(x, y, x + w, y + h)

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def center(self) -> Point:
        return Point((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)

    def scaled(self, sx: float, sy: float) -> Box:
        return Box(self.x0 * sx, self.y0 * sy, self.x1 * sx, self.y1 * sy)

    def clipped(self, width: float, height: float) -> Box:
        x0 = min(max(self.x0, 0.0), width)
        y0 = min(max(self.y0, 0.0), height)
        return Box(x0, y0, min(max(self.x1, x0), width), min(max(self.y1, y0), height))

    def contains(self, p: Point, margin: float = 0.0) -> bool:
        return (
            self.x0 - margin <= p.x <= self.x1 + margin
            and self.y0 - margin <= p.y <= self.y1 + margin
        )

    def iou(self, other: Box) -> float:
        ix = max(0.0, min(self.x1, other.x1) - max(self.x0, other.x0))
        iy = max(0.0, min(self.y1, other.y1) - max(self.y0, other.y0))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0


# --- faces -----------------------------------------------------------------------


@dataclass(frozen=True)
class Landmark:
    type: str  # Rekognition's landmark type, e.g. "eyeLeft", "mouthRight", "chinBottom"
    point: Point


@dataclass(frozen=True)
class Pose:
    """Head pose in degrees, Rekognition's conventions: each in [-180, 180]."""

    roll: float
    yaw: float
    pitch: float


@dataclass(frozen=True)
class FaceQuality:
    """Brightness and sharpness, 0-100 (higher is brighter, sharper)."""

    brightness: float
    sharpness: float


@dataclass(frozen=True)
class BoolAttribute:
    value: bool
    confidence: float


@dataclass(frozen=True)
class Emotion:
    type: str  # HAPPY, SAD, ANGRY, CONFUSED, DISGUSTED, SURPRISED, CALM, FEAR
    confidence: float


@dataclass(frozen=True)
class Face:
    """One detected face. Optional members are None when no model stands behind them."""

    box: Box
    confidence: float
    landmarks: tuple[Landmark, ...] = ()
    pose: Pose | None = None
    quality: FaceQuality | None = None
    eyes_open: BoolAttribute | None = None
    mouth_open: BoolAttribute | None = None
    smile: BoolAttribute | None = None
    emotions: tuple[Emotion, ...] | None = None
    embedding: NDArray[np.float32] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class FacesResult:
    faces: tuple[Face, ...]
    model_version: str


# --- text ------------------------------------------------------------------------


@dataclass(frozen=True)
class TextDetection:
    text: str
    type: str  # "LINE" or "WORD"
    id: int
    parent_id: int | None
    confidence: float
    box: Box
    polygon: tuple[Point, ...]


@dataclass(frozen=True)
class TextResult:
    detections: tuple[TextDetection, ...]
    model_version: str


# --- moderation ------------------------------------------------------------------


@dataclass(frozen=True)
class ModerationLabel:
    name: str
    parent_name: str  # "" for a top-level label, as Rekognition sends it
    confidence: float
    taxonomy_level: int


@dataclass(frozen=True)
class ModerationResult:
    labels: tuple[ModerationLabel, ...]
    model_version: str


# --- people ----------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    box: Box
    confidence: float


@dataclass(frozen=True)
class PersonResult:
    people: tuple[Person, ...]
    model_version: str


# --- labels and image properties -------------------------------------------------


@dataclass(frozen=True)
class DominantColor:
    red: int
    green: int
    blue: int
    hex_code: str
    css_color: str
    simplified_color: str
    pixel_percent: float  # 0-100


@dataclass(frozen=True)
class ImageQuality:
    brightness: float  # 0-100
    sharpness: float  # 0-100
    contrast: float  # 0-100


@dataclass(frozen=True)
class RegionProperties:
    quality: ImageQuality
    dominant_colors: tuple[DominantColor, ...]


@dataclass(frozen=True)
class ImageProperties:
    quality: ImageQuality
    dominant_colors: tuple[DominantColor, ...]
    foreground: RegionProperties | None = None
    background: RegionProperties | None = None


@dataclass(frozen=True)
class Instance:
    box: Box
    confidence: float
    dominant_colors: tuple[DominantColor, ...] = ()


@dataclass(frozen=True)
class Label:
    name: str
    confidence: float
    instances: tuple[Instance, ...] = ()
    parents: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabelsResult:
    labels: tuple[Label, ...]
    model_version: str
    image_properties: ImageProperties | None = None


# --- metadata and thumbnails -----------------------------------------------------


@dataclass(frozen=True)
class GpsPosition:
    latitude: float  # decimal degrees, north positive
    longitude: float  # decimal degrees, east positive
    altitude: float | None = None  # metres above sea level


@dataclass(frozen=True)
class MetadataResult:
    format: str
    width: int
    height: int
    mode: str
    byte_size: int
    sha256: str
    orientation: int
    exif: dict[str, Any]
    gps: GpsPosition | None = None
    taken_at: str | None = None  # ISO 8601 from DateTimeOriginal, when present


@dataclass(frozen=True)
class Thumbnail:
    data: bytes = field(repr=False)
    format: str  # "jpeg" or "webp"
    width: int
    height: int


@dataclass(frozen=True)
class ThumbnailResult:
    thumbnails: tuple[Thumbnail, ...]
