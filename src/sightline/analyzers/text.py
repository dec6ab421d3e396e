"""DetectText: lines and words with polygons, on RapidOCR's PP-OCRv4 models.

Pipeline for one image (decoded with its longer side at most :attr:`max_side`):

1. **Detect** lines on a rescaled copy (:func:`detection_scale`): small images are
   upscaled until the shorter side reaches ``settings.text.det_min_side``, large ones
   shrunk to ``det_max_pixels``.
2. **Crop** each line quadrilateral from the decoded image, warped upright to the
   recogniser's 48-pixel height (:func:`~sightline.analyzers.text_lines.crop_line`);
   vertical boxes are read top to bottom, lines the angle classifier finds upside down
   are turned.
3. **Recognise** each crop and split it into words with geometry
   (:mod:`sightline.analyzers.text_lines`).
4. Map every polygon to the full-resolution frame, sort lines in reading order, apply
   ``Filters`` (:mod:`sightline.analyzers.text_filters`) and Rekognition's limit of
   :data:`MAX_WORDS` words.

Results follow Rekognition: all LINEs first (``Id`` 0..L-1, reading order), then the
WORDs (``Id`` from L on, each with its line's ``ParentId``). A LINE's text is its
words joined by single spaces, its polygon spans its words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import cv2
import numpy as np
from numpy.typing import NDArray

from sightline.analyzers.ocr_engine import OcrEngine, RapidOcrEngine
from sightline.analyzers.text_filters import TextFilters, bounds, parse_text_filters
from sightline.analyzers.text_lines import LineCrop, WordSpan, crop_line, is_vertical, read_words
from sightline.analyzers.types import Point, TextDetection, TextResult
from sightline.config import Settings, TextSettings
from sightline.media.image import Image

if TYPE_CHECKING:
    from sightline.analyzers.base import AnalyzerPool

# Rekognition returns at most 100 words per image.
MAX_WORDS = 100


@dataclass(frozen=True)
class OcrLine:
    """One recognised line: its words in crop coordinates and the crop's mapping."""

    crop: LineCrop
    words: tuple[WordSpan, ...]
    sx: float  # full-resolution pixels per working pixel
    sy: float

    def polygon(self, words: Sequence[WordSpan]) -> tuple[Point, ...]:
        u0, v0 = min(w.u0 for w in words), min(w.v0 for w in words)
        u1, v1 = max(w.u1 for w in words), max(w.v1 for w in words)
        return self._full(self.crop.rectangle(u0, v0, u1, v1))

    def word_polygon(self, word: WordSpan) -> tuple[Point, ...]:
        return self._full(self.crop.rectangle(word.u0, word.v0, word.u1, word.v1))

    def _full(self, points: tuple[Point, ...]) -> tuple[Point, ...]:
        return tuple(p.scaled(self.sx, self.sy) for p in points)


def detection_scale(width: int, height: int, settings: TextSettings) -> float:
    """Factor from the working image to the detector's input (see module docs)."""
    scale = 1.0
    short = min(width, height)
    if short < settings.det_min_side:
        scale = min(settings.det_min_side / short, settings.det_max_upscale)
    if width * height * scale * scale > settings.det_max_pixels:
        scale = math.sqrt(settings.det_max_pixels / (width * height))
    return scale


class TextAnalyzer:
    """DetectText on RapidOCR; returns :class:`TextResult` in full-resolution pixels."""

    name: ClassVar[str] = "text"
    # Recognition reads crops from the decoded image: enough pixels for small print
    # in a photo, while a 12-MP JPEG still decodes at reduced scale.
    max_side: ClassVar[int | None] = 2048

    def __init__(
        self, settings: Settings, pool: AnalyzerPool | None = None, engine: OcrEngine | None = None
    ) -> None:
        self.settings = settings.text
        self.engine: OcrEngine = engine if engine is not None else RapidOcrEngine(settings)

    def versions(self) -> dict[str, str]:
        return self.engine.versions()

    def analyze(self, image: Image, options: Mapping[str, Any] | None = None) -> TextResult:
        """Lines and words of ``image``; ``options`` may hold DetectText's ``Filters``."""
        filters = parse_text_filters(options)  # a bad request fails before any work
        work = image.fit(self.max_side)
        lines = self.read_lines(work.bgr(), sx=1 / work.scale_x, sy=1 / work.scale_y)
        detections = assemble_detections(lines, filters, image.info.width, image.info.height)
        return TextResult(detections=detections, model_version=self.engine.model_version)

    def read_lines(self, bgr: NDArray[np.uint8], sx: float = 1.0, sy: float = 1.0) -> list[OcrLine]:
        """Detect and read every line of ``bgr``; ``sx``/``sy`` scale to the output frame."""
        height, width = bgr.shape[:2]
        scale = detection_scale(width, height, self.settings)
        det_input = bgr
        if scale != 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
            det_input = np.asarray(
                cv2.resize(bgr, size, interpolation=interpolation), dtype=np.uint8
            )
        quads = [q / np.float32(scale) for q in self.engine.detect(det_input)]
        turns = [1 if is_vertical(q) else 0 for q in quads]
        crops = [crop_line(bgr, q, t) for q, t in zip(quads, turns, strict=True)]
        if self.settings.angle_classifier and crops:
            flipped = self.engine.upside_down([c.pixels for c in crops])
            crops = [
                crop_line(bgr, q, t + 2) if f else c
                for q, t, c, f in zip(quads, turns, crops, flipped, strict=True)
            ]
        lines: list[OcrLine] = []
        for crop in crops:
            words = read_words(self.engine.recognize(crop.pixels), self.engine.charset, crop)
            probs = [p for w in words for p in w.probs]
            if words and float(np.mean(probs)) >= self.settings.min_line_confidence:
                lines.append(OcrLine(crop, tuple(words), sx, sy))
        return _reading_order(lines)


def _reading_order(lines: list[OcrLine]) -> list[OcrLine]:
    """Top to bottom, and left to right among lines sharing a row (their vertical
    centres closer than half the smaller line height)."""
    boxes = [bounds(line.polygon(line.words)) for line in lines]
    order = sorted(range(len(lines)), key=lambda i: boxes[i].center.y)
    rows: list[list[int]] = []
    for i in order:
        if rows:
            first = boxes[rows[-1][0]]
            tolerance = 0.5 * min(first.height, boxes[i].height)
            if abs(boxes[i].center.y - first.center.y) <= tolerance:
                rows[-1].append(i)
                continue
        rows.append([i])
    return [lines[i] for row in rows for i in sorted(row, key=lambda i: boxes[i].x0)]


def assemble_detections(
    lines: Sequence[OcrLine], filters: TextFilters, width: int, height: int
) -> tuple[TextDetection, ...]:
    """Filter words, keep the first :data:`MAX_WORDS` in reading order, number them."""
    kept: list[tuple[OcrLine, list[WordSpan]]] = []
    budget = MAX_WORDS
    for line in lines:
        words = [
            w
            for w in line.words
            if filters.keeps(line.word_polygon(w), w.confidence, width, height)
        ][:budget]
        if words:
            kept.append((line, words))
            budget -= len(words)
        if budget == 0:
            break
    out: list[TextDetection] = []
    for line_id, (line, words) in enumerate(kept):
        probs = [p for w in words for p in w.probs]
        out.append(
            _detection(
                " ".join(w.text for w in words),
                "LINE",
                line_id,
                None,
                float(np.mean(probs)),
                line.polygon(words),
                width,
                height,
            )
        )
    next_id = len(kept)
    for line_id, (line, words) in enumerate(kept):
        for word in words:
            out.append(
                _detection(
                    word.text,
                    "WORD",
                    next_id,
                    line_id,
                    word.confidence,
                    line.word_polygon(word),
                    width,
                    height,
                )
            )
            next_id += 1
    return tuple(out)


def _detection(
    text: str,
    kind: str,
    id_: int,
    parent: int | None,
    confidence: float,
    polygon: tuple[Point, ...],
    width: int,
    height: int,
) -> TextDetection:
    clipped = tuple(
        Point(min(max(p.x, 0.0), float(width)), min(max(p.y, 0.0), float(height))) for p in polygon
    )
    return TextDetection(
        text=text,
        type=kind,
        id=id_,
        parent_id=parent,
        confidence=min(max(confidence, 0.0), 1.0),
        box=bounds(clipped),
        polygon=clipped,
    )
