"""What the photo page shows, formatted: file facts, camera and exposure, GPS, boxes.

Values come from the stored ``metadata`` document (see :mod:`sightline.api.documents`)
and the Rekognition documents; nothing is shown that they do not hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sightline.albums.photos import PhotoInfo
from sightline.albums.results import Box, PhotoAnalyses
from sightline.api.web.render import filesize


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Overlay:
    """The boxes over an image of ``width`` x ``height`` (the viewBox of the SVG)."""

    width: int
    height: int
    boxes: list[Box]

    def rect(self, box: Box) -> dict[str, float]:
        return {
            "x": round(box.left * self.width, 2),
            "y": round(box.top * self.height, 2),
            "w": round(box.width * self.width, 2),
            "h": round(box.height * self.height, 2),
        }

    @property
    def font_size(self) -> float:
        return round(max(self.width, self.height) / 40, 1)


def exposure_text(seconds: Any) -> str | None:
    """``1/250 s`` for short exposures, ``2.5 s`` for long ones."""
    if not isinstance(seconds, (int, float)) or seconds <= 0 or not math.isfinite(seconds):
        return None
    if seconds >= 1:
        return f"{seconds:g} s"
    fraction = Fraction(seconds).limit_denominator(100_000)
    if fraction.numerator == 1:
        return f"1/{fraction.denominator} s"
    return f"1/{round(1 / seconds)} s"


def _number(value: Any, template: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return template.format(f"{value:g}")


def camera_facts(metadata: dict[str, Any] | None) -> list[Fact]:
    """Camera, lens, exposure, aperture, ISO, focal length and capture time."""
    if not metadata:
        return []
    cam = metadata.get("camera") or {}
    facts: list[tuple[str, str | None]] = [
        ("Camera", " ".join(str(cam[k]) for k in ("make", "model") if cam.get(k)) or None),
        ("Lens", " ".join(str(cam[k]) for k in ("lens_make", "lens_model") if cam.get(k)) or None),
        ("Exposure", exposure_text(cam.get("exposure_time"))),
        ("Aperture", _number(cam.get("f_number"), "f/{}")),
        ("ISO", _number(cam.get("iso"), "{}")),
        ("Focal length", _number(cam.get("focal_length"), "{} mm")),
        ("35 mm equivalent", _number(cam.get("focal_length_35mm"), "{} mm")),
        (
            "Captured",
            str(metadata["taken_at"]).replace("T", " ") if metadata.get("taken_at") else None,
        ),
        ("Software", str(cam["software"]) if cam.get("software") else None),
    ]
    return [Fact(label, value) for label, value in facts if value]


def file_facts(photo: PhotoInfo, metadata: dict[str, Any] | None) -> list[Fact]:
    facts = [Fact("File", photo.file_name), Fact("Size", filesize(photo.size))]
    if photo.media_type:
        facts.append(Fact("Type", photo.media_type))
    if metadata:
        if metadata.get("width") and metadata.get("height"):
            facts.append(Fact("Dimensions", f"{metadata['width']} x {metadata['height']} px"))
        if metadata.get("mode"):
            facts.append(Fact("Colour mode", str(metadata["mode"])))
        if metadata.get("orientation") not in (None, 1):
            facts.append(Fact("EXIF orientation", str(metadata["orientation"])))
        if metadata.get("sha256"):
            facts.append(Fact("SHA-256", str(metadata["sha256"])))
    return facts


def gps_facts(metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    """Latitude, longitude (and altitude) with a map link, when the photo has them."""
    gps = (metadata or {}).get("gps")
    if not isinstance(gps, dict):
        return None
    lat, lon = gps.get("latitude"), gps.get("longitude")
    if not isinstance(lat, (int, float)) or not isinstance(lon, (int, float)):
        return None
    facts = [
        Fact("Latitude", f"{abs(lat):.5f}° {'N' if lat >= 0 else 'S'}"),
        Fact("Longitude", f"{abs(lon):.5f}° {'E' if lon >= 0 else 'W'}"),
    ]
    if isinstance(gps.get("altitude"), (int, float)):
        facts.append(Fact("Altitude", f"{gps['altitude']:.1f} m"))
    return {
        "facts": facts,
        "map_url": f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=15/{lat:.6f}/{lon:.6f}",
    }


def overlay(analyses: PhotoAnalyses) -> Overlay | None:
    """The boxes to draw, sized by the upright image (metadata, else the thumbnail)."""
    boxes = analyses.boxes()
    meta = analyses.metadata or {}
    width, height = meta.get("width"), meta.get("height")
    if not (isinstance(width, int) and isinstance(height, int)):
        thumbs = analyses.thumbnails()
        if not thumbs:
            return None
        width, height = thumbs[-1].width, thumbs[-1].height
    if width <= 0 or height <= 0:
        return None
    return Overlay(width, height, boxes)
