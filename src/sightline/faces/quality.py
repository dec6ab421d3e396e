"""QualityFilter and MaxFaces: which detected faces are indexed, searched or compared.

Rekognition names the bars (LOW, MEDIUM, HIGH; AUTO lets the service choose; NONE
filters nothing) but not their numbers. Ours, per reason, for the faces analyzer's
measures (confidence 0-1; brightness and sharpness 0-100; pose in degrees; box sides
in pixels of the full-resolution image):

============  ==========  ========  ==========  =========  ========  ===========
bar           confidence  min side  brightness  sharpness  |yaw|,    composite
                                                           |pitch|   quality
============  ==========  ========  ==========  =========  ========  ===========
LOW (=AUTO)   0.50        20 px     10          4          60, 45    0.40
MEDIUM        0.70        40 px     20          8          45, 35    0.65
HIGH          0.85        80 px     30          15         30, 25    0.85
============  ==========  ========  ==========  =========  ========  ===========

``LOW_FACE_QUALITY`` is a composite: the geometric mean of four 0-1 ramps, each a
measure over its HIGH bar (box side / 80 px, confidence / 0.85, sharpness / 15,
brightness / 30 with over-exposure above 85 penalised too). A face sitting on a bar
on three or four counts at once is refused even though no single measure is under
that bar; one or two marginal measures pass. AUTO is LOW: it only turns away faces that would not search well at
all, as Rekognition's AUTO does. docs/decisions.md explains the choice.

Order, as Rekognition documents for IndexFaces: quality filtering first; then, of the
faces left, the largest ``MaxFaces`` boxes are kept and the rest are reported with
``EXCEEDS_MAX_FACES``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sightline.analyzers.types import Face


@dataclass(frozen=True)
class QualityBar:
    min_confidence: float
    min_side: float
    min_brightness: float
    min_sharpness: float
    max_yaw: float
    max_pitch: float
    min_quality: float


BARS: dict[str, QualityBar] = {
    "LOW": QualityBar(0.50, 20, 10, 4, 60, 45, 0.40),
    "MEDIUM": QualityBar(0.70, 40, 20, 8, 45, 35, 0.65),
    "HIGH": QualityBar(0.85, 80, 30, 15, 30, 25, 0.85),
}
BARS["AUTO"] = BARS["LOW"]

# Rekognition's own cap: IndexFaces never indexes more than the 100 largest faces.
MAX_FACES_PER_IMAGE = 100


def composite_quality(face: Face) -> float:
    """0-1: how usable a face is for search, from size, confidence, sharpness, brightness."""
    high = BARS["HIGH"]
    side = min(face.box.width, face.box.height)
    ramps = [min(side / high.min_side, 1.0), min(face.confidence / high.min_confidence, 1.0)]
    if face.quality is not None:
        ramps.append(min(face.quality.sharpness / high.min_sharpness, 1.0))
        b = face.quality.brightness
        ramps.append(min(b / high.min_brightness, (100.0 - b) / 15.0, 1.0))
    ramps = [max(r, 1e-3) for r in ramps]
    return math.exp(sum(math.log(r) for r in ramps) / len(ramps))


def reasons(face: Face, quality_filter: str) -> tuple[str, ...]:
    """Rekognition's reasons why ``face`` fails ``quality_filter`` (empty: it passes)."""
    bar = BARS.get(quality_filter)
    if bar is None:  # NONE
        return ()
    found: list[str] = []
    if face.pose is not None and (
        abs(face.pose.yaw) > bar.max_yaw or abs(face.pose.pitch) > bar.max_pitch
    ):
        found.append("EXTREME_POSE")
    if face.quality is not None:
        if face.quality.brightness < bar.min_brightness:
            found.append("LOW_BRIGHTNESS")
        if face.quality.sharpness < bar.min_sharpness:
            found.append("LOW_SHARPNESS")
    if face.confidence < bar.min_confidence:
        found.append("LOW_CONFIDENCE")
    if min(face.box.width, face.box.height) < bar.min_side:
        found.append("SMALL_BOUNDING_BOX")
    if composite_quality(face) < bar.min_quality:
        found.append("LOW_FACE_QUALITY")
    return tuple(found)


@dataclass(frozen=True)
class Selection:
    """Indices into the detected faces: kept (largest first) and rejected with reasons."""

    kept: tuple[int, ...]
    rejected: tuple[tuple[int, tuple[str, ...]], ...]


def select(faces: list[Face], quality_filter: str, max_faces: int) -> Selection:
    """Apply the quality bar, then keep the ``max_faces`` largest of the faces left."""
    order = sorted(range(len(faces)), key=lambda i: faces[i].box.area, reverse=True)
    rejected: list[tuple[int, tuple[str, ...]]] = []
    passing: list[int] = []
    for i in order:
        why = reasons(faces[i], quality_filter)
        if why:
            rejected.append((i, why))
        else:
            passing.append(i)
    limit = min(max_faces, MAX_FACES_PER_IMAGE)
    rejected.extend((i, ("EXCEEDS_MAX_FACES",)) for i in passing[limit:])
    return Selection(tuple(passing[:limit]), tuple(rejected))
