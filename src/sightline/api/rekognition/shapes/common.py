"""Geometry and confidence conversions shared by every operation's shapes."""

from __future__ import annotations

from typing import Any

from sightline.analyzers.types import Box, Point


def percent(score: float) -> float:
    """A 0-1 score as Rekognition's 0-100 float, clamped."""
    return float(min(max(score, 0.0), 1.0) * 100.0)


def bounding_box(box: Box, width: int, height: int) -> dict[str, float]:
    """Rekognition's BoundingBox: Width, Height, Left, Top as ratios of the image size.

    Rekognition may report boxes that extend past the image (Left < 0); we clip them to
    the image, which every consumer handles.
    """
    b = box.clipped(width, height)
    return {
        "Width": b.width / width,
        "Height": b.height / height,
        "Left": b.x0 / width,
        "Top": b.y0 / height,
    }


def point(p: Point, width: int, height: int) -> dict[str, float]:
    return {"X": p.x / width, "Y": p.y / height}


def polygon(points: tuple[Point, ...], width: int, height: int) -> list[dict[str, float]]:
    return [point(p, width, height) for p in points]


def drop_none(d: dict[str, Any]) -> dict[str, Any]:
    """Members with no value are omitted, never sent as null."""
    return {k: v for k, v in d.items() if v is not None}
