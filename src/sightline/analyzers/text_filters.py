"""DetectText's ``Filters`` request member, parsed and applied to words.

Rekognition's documented semantics, in pixels of the full-resolution frame:

- ``WordFilter`` (a ``DetectionFilter``): a word is dropped when its confidence is
  below ``MinConfidence`` (0-100; 80 when a WordFilter is given without it), or its
  bounding box is less high or wide than ``MinBoundingBoxHeight`` /
  ``MinBoundingBoxWidth`` (ratios of the image height / width).
- ``RegionsOfInterest`` (up to 10, each a ``BoundingBox`` or a ``Polygon`` of 3-10
  points, in ratios): a word is kept when *more than half* of it lies inside at least
  one region. "It" is the word's polygon, so rotated words are measured exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sightline.analyzers.types import Box, Point
from sightline.errors import InvalidParameterError

DEFAULT_WORD_MIN_CONFIDENCE = 80.0
MAX_REGIONS = 10
MAX_POLYGON_POINTS = 10

Polygon = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class TextFilters:
    """Parsed filters; ``min_confidence`` is 0-1, sizes and regions are ratios."""

    min_confidence: float = 0.0
    min_height: float = 0.0
    min_width: float = 0.0
    regions: tuple[Polygon, ...] = ()

    def keeps(self, polygon: Sequence[Point], confidence: float, width: int, height: int) -> bool:
        """Whether a word (``polygon`` in pixels of a ``width`` x ``height`` image) passes."""
        if confidence < self.min_confidence:
            return False
        xs = [p.x for p in polygon]
        ys = [p.y for p in polygon]
        if (max(ys) - min(ys)) < self.min_height * height:
            return False
        if (max(xs) - min(xs)) < self.min_width * width:
            return False
        if not self.regions:
            return True
        word = [(p.x, p.y) for p in polygon]
        area = abs(polygon_area(word))
        if area <= 0.0:
            return any(_inside(_centre(word), _pixels(r, width, height)) for r in self.regions)
        return any(
            abs(polygon_area(clip_polygon(_pixels(r, width, height), word))) > 0.5 * area
            for r in self.regions
        )


def parse_text_filters(options: Mapping[str, Any] | None) -> TextFilters:
    """The ``Filters`` member of a DetectText request; InvalidParameterError names
    the member at fault."""
    filters = (options or {}).get("Filters")
    if filters is None:
        return TextFilters()
    if not isinstance(filters, Mapping):
        raise InvalidParameterError("Filters must be an object.")
    min_conf = min_h = min_w = 0.0
    word = filters.get("WordFilter")
    if word is not None:
        if not isinstance(word, Mapping):
            raise InvalidParameterError("Filters.WordFilter must be an object.")
        min_conf = _number(word, "MinConfidence", 0, 100, DEFAULT_WORD_MIN_CONFIDENCE) / 100
        min_h = _number(word, "MinBoundingBoxHeight", 0, 1, 0.0)
        min_w = _number(word, "MinBoundingBoxWidth", 0, 1, 0.0)
    regions = filters.get("RegionsOfInterest") or []
    if not isinstance(regions, Sequence) or isinstance(regions, (str, bytes)):
        raise InvalidParameterError("Filters.RegionsOfInterest must be a list.")
    if len(regions) > MAX_REGIONS:
        raise InvalidParameterError(
            f"Filters.RegionsOfInterest has {len(regions)} regions; the limit is {MAX_REGIONS}."
        )
    parsed = tuple(_region(r, f"Filters.RegionsOfInterest[{i}]") for i, r in enumerate(regions))
    return TextFilters(min_conf, min_h, min_w, parsed)


def _number(obj: Mapping[str, Any], key: str, low: float, high: float, default: float) -> float:
    value = obj.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidParameterError(f"Filters.WordFilter.{key} must be a number; got {value!r}.")
    if not low <= value <= high:
        raise InvalidParameterError(
            f"Filters.WordFilter.{key} must be between {low:g} and {high:g}; got {value:g}."
        )
    return float(value)


def _region(region: Any, where: str) -> Polygon:
    if not isinstance(region, Mapping):
        raise InvalidParameterError(f"{where} must be an object.")
    box, poly = region.get("BoundingBox"), region.get("Polygon")
    if (box is None) == (poly is None):
        raise InvalidParameterError(f"{where} needs exactly one of BoundingBox or Polygon.")
    if box is not None:
        try:
            left, top = float(box["Left"]), float(box["Top"])
            w, h = float(box["Width"]), float(box["Height"])
        except (KeyError, TypeError, ValueError) as e:
            raise InvalidParameterError(
                f"{where}.BoundingBox needs numeric Left, Top, Width and Height."
            ) from e
        if w <= 0 or h <= 0:
            raise InvalidParameterError(f"{where}.BoundingBox must have a positive size.")
        return ((left, top), (left + w, top), (left + w, top + h), (left, top + h))
    if not isinstance(poly, Sequence) or not 3 <= len(poly) <= MAX_POLYGON_POINTS:
        raise InvalidParameterError(
            f"{where}.Polygon needs 3 to {MAX_POLYGON_POINTS} points; got "
            f"{len(poly) if isinstance(poly, Sequence) else type(poly).__name__}."
        )
    try:
        return tuple((float(p["X"]), float(p["Y"])) for p in poly)
    except (KeyError, TypeError, ValueError) as e:
        raise InvalidParameterError(f"{where}.Polygon points need numeric X and Y.") from e


def _pixels(region: Polygon, width: int, height: int) -> list[tuple[float, float]]:
    return [(x * width, y * height) for x, y in region]


def _centre(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def polygon_area(points: Sequence[tuple[float, float]]) -> float:
    """Signed shoelace area (positive when counter-clockwise in y-up axes)."""
    n = len(points)
    return 0.5 * sum(
        points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1]
        for i in range(n)
    )


def clip_polygon(
    subject: Sequence[tuple[float, float]], convex: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: ``subject`` (any simple polygon) clipped by a convex
    polygon. The result may hold degenerate edges for a concave subject; its area is
    still the intersection's."""
    sign = 1.0 if polygon_area(convex) >= 0 else -1.0
    output = list(subject)
    n = len(convex)
    for i in range(n):
        if not output:
            break
        a, b = convex[i], convex[(i + 1) % n]

        def side(
            p: tuple[float, float], a: tuple[float, float] = a, b: tuple[float, float] = b
        ) -> float:
            return sign * ((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]))

        points, output = output, []
        for j, cur in enumerate(points):
            prev = points[j - 1]
            cur_in, prev_in = side(cur) >= 0, side(prev) >= 0
            if cur_in != prev_in:
                output.append(_intersection(prev, cur, side(prev), side(cur)))
            if cur_in:
                output.append(cur)
    return output


def _intersection(
    p: tuple[float, float], q: tuple[float, float], sp: float, sq: float
) -> tuple[float, float]:
    t = sp / (sp - sq)
    return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))


def _inside(p: tuple[float, float], polygon: Sequence[tuple[float, float]]) -> bool:
    """Even-odd rule point-in-polygon test."""
    x, y = p
    inside = False
    n = len(polygon)
    for i in range(n):
        (x0, y0), (x1, y1) = polygon[i], polygon[(i + 1) % n]
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def bounds(polygon: Sequence[Point]) -> Box:
    """The axis-aligned box around a polygon."""
    xs = [p.x for p in polygon]
    ys = [p.y for p in polygon]
    return Box(min(xs), min(ys), max(xs), max(ys))
