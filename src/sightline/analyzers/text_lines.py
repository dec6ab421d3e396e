"""From one detected text line to words with geometry: pure numpy, no model.

Coordinates: a *line crop* is the detected quadrilateral warped to a horizontal strip
``REC_HEIGHT`` pixels high, the recogniser's input height; ``(u, v)`` are crop pixels
and :attr:`LineCrop.to_image` maps them back to ``(x, y)`` pixels of the image the
quadrilateral was found in, so rotated and perspective-skewed lines keep exact
polygons.

Words come from the recogniser's CTC columns. A word ends at a space the decoder
emitted, or where the space class peaks above :data:`SOFT_SPACE` in the blank columns
between two characters: greedy decoding drops such a space whenever the blank
outscores it (page.png's "Region-basedsegmentation" at native size). A word's extent
is its characters' column positions, tightened to the ink of the crop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import cv2
import numpy as np
from numpy.typing import NDArray

from sightline.analyzers.ocr_engine import REC_HEIGHT, CtcColumns
from sightline.analyzers.types import Point

# Space-class probability between two characters that ends a word. Measured on
# page.png: missed spaces peak at 0.16-0.54, letter pairs inside words stay below 0.02.
SOFT_SPACE = 0.1
# Ink must differ from its local background by this many grey levels.
_MIN_CONTRAST = 24
# Wider than the thickest stroke of text 48 pixels high.
_STROKE_KERNEL = 15


@dataclass(frozen=True)
class LineCrop:
    """A line warped upright to ``REC_HEIGHT`` pixels high, and the way back."""

    pixels: NDArray[np.uint8]
    to_image: NDArray[np.float64]  # 3 x 3 homography: crop (u, v, 1) -> image (x, y, w)

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    def image_points(self, uv: Sequence[tuple[float, float]]) -> list[Point]:
        """Crop points mapped into the source image's pixels."""
        pts = np.array([[u, v, 1.0] for u, v in uv], dtype=np.float64).T
        xyw = self.to_image @ pts
        return [Point(float(x / w), float(y / w)) for x, y, w in xyw.T]

    def rectangle(self, u0: float, v0: float, u1: float, v1: float) -> tuple[Point, ...]:
        """The crop rectangle as an image polygon: top-left, top-right, bottom-right,
        bottom-left in the text's own orientation."""
        return tuple(self.image_points([(u0, v0), (u1, v0), (u1, v1), (u0, v1)]))


def is_vertical(quad: NDArray[np.float32]) -> bool:
    """A box at least 1.5 times taller than wide holds a vertical line (PP-OCR's rule)."""
    q = np.asarray(quad, dtype=np.float64)
    width = max(float(np.linalg.norm(q[0] - q[1])), float(np.linalg.norm(q[3] - q[2])))
    height = max(float(np.linalg.norm(q[0] - q[3])), float(np.linalg.norm(q[1] - q[2])))
    return height >= 1.5 * max(width, 1e-6)


def crop_line(
    image: NDArray[np.uint8],
    quad: NDArray[np.float32],
    quarter_turns: int = 0,
    height: int = REC_HEIGHT,
) -> LineCrop:
    """Warp ``quad`` (4 x 2, clockwise from top-left) to a strip ``height`` pixels high.

    ``quarter_turns`` rotates the reading direction by 90 degrees per turn: 1 reads a
    vertical box top to bottom, 2 turns an upside-down line. Small text is upscaled
    straight from the source pixels with bicubic interpolation (the recogniser reads
    it far better than a native-size crop stretched later); large text is cropped at
    its own size and then shrunk with area averaging, which does not alias.
    """
    q = np.roll(np.asarray(quad, dtype=np.float32), -quarter_turns, axis=0)
    native_w = max(float(np.linalg.norm(q[0] - q[1])), float(np.linalg.norm(q[3] - q[2])), 1.0)
    native_h = max(float(np.linalg.norm(q[0] - q[3])), float(np.linalg.norm(q[1] - q[2])), 1.0)
    scale = height / native_h
    width = max(1, round(native_w * scale))
    if scale >= 1.0:
        warp_w, warp_h, flags = width, height, cv2.INTER_CUBIC
    else:
        warp_w, warp_h, flags = max(1, round(native_w)), max(1, round(native_h)), cv2.INTER_LINEAR
    dst = np.array([[0, 0], [warp_w, 0], [warp_w, warp_h], [0, warp_h]], dtype=np.float32)
    to_crop = cv2.getPerspectiveTransform(q, dst).astype(np.float64)
    pixels = cv2.warpPerspective(
        image, to_crop, (warp_w, warp_h), flags=flags, borderMode=cv2.BORDER_REPLICATE
    )
    if (warp_w, warp_h) != (width, height):
        pixels = cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA)
        shrink = np.diag([width / warp_w, height / warp_h, 1.0])
        to_crop = shrink @ to_crop
    return LineCrop(
        pixels=np.ascontiguousarray(pixels, dtype=np.uint8),
        to_image=np.asarray(np.linalg.inv(to_crop), dtype=np.float64),
    )


@dataclass(frozen=True)
class CharHit:
    """One decoded character: the CTC column it fired in and its probability."""

    char: str
    column: int
    prob: float


def ctc_greedy(columns: CtcColumns, charset: Sequence[str]) -> list[CharHit]:
    """Best-path CTC decoding: collapse repeats, drop blanks (class 0)."""
    best = columns.best
    if best.size == 0:
        return []
    fresh = np.ones(best.shape, dtype=bool)
    fresh[1:] = best[1:] != best[:-1]
    keep = np.flatnonzero(fresh & (best != 0))
    return [CharHit(charset[int(best[t])], int(t), float(columns.best_prob[t])) for t in keep]


def split_words(hits: Sequence[CharHit], columns: CtcColumns) -> list[list[CharHit]]:
    """Group characters into words at decoded spaces and at soft spaces."""
    words: list[list[CharHit]] = []
    current: list[CharHit] = []
    for hit in hits:
        if hit.char.isspace():
            if current:
                words.append(current)
            current = []
            continue
        if current:
            gap = columns.space_prob[current[-1].column + 1 : hit.column]
            if gap.size and float(gap.max()) >= SOFT_SPACE:
                words.append(current)
                current = []
        current.append(hit)
    if current:
        words.append(current)
    return words


@dataclass(frozen=True)
class WordSpan:
    """A word in crop coordinates; ``probs`` are its characters' probabilities."""

    text: str
    probs: tuple[float, ...]
    u0: float
    v0: float
    u1: float
    v1: float

    @property
    def confidence(self) -> float:
        return float(np.mean(self.probs)) if self.probs else 0.0


def ink_mask(crop: NDArray[np.uint8]) -> NDArray[np.bool_] | None:
    """Text pixels of a line crop, or None when the crop has too little contrast.

    Strokes are thin next to the 48-pixel crop height, so a grey closing wider than
    any stroke paints them over with the local background; ink is what stands out
    from that background by a good share of the strongest stroke nearby. Unlike a
    global threshold this survives shadows, glare and gradients along a line
    (page.png). Light text on a dark ground is inverted first: text is the minority,
    so the median lies on the background side of the mean.
    """
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    if float(np.median(gray)) < float(gray.mean()):
        gray = 255 - gray  # light text: make it dark
    kernel = np.ones((_STROKE_KERNEL, _STROKE_KERNEL), dtype=np.uint8)
    background = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, kernel)
    diff = cv2.subtract(background, gray)
    if int(diff.max()) < _MIN_CONTRAST:
        return None
    # Contrast varies along a line (glare, shadow): judge each pixel against the
    # strongest stroke nearby rather than against one global cut.
    side = 2 * crop.shape[0] + 1
    local = cv2.dilate(diff, np.ones((1, side), dtype=np.uint8))
    local = cv2.dilate(local, np.ones((side, 1), dtype=np.uint8))
    strong = diff.astype(np.float32) >= 0.4 * np.maximum(local, _MIN_CONTRAST).astype(np.float32)
    return np.asarray(strong & (diff >= _MIN_CONTRAST / 2), dtype=bool)


def text_band(ink: NDArray[np.bool_]) -> tuple[int, int]:
    """Rows ``[top, bottom)`` of the line's own text: the run of inked rows around the
    densest one, which leaves out bits of neighbouring lines caught in the margins."""
    rows = ink.sum(axis=1)
    height = ink.shape[0]
    if rows.max(initial=0) == 0:
        return 0, height
    threshold = max(1.0, 0.02 * ink.shape[1])
    peak = int(rows.argmax())
    top = peak
    while top > 0 and rows[top - 1] >= threshold:
        top -= 1
    bottom = peak + 1
    while bottom < height and rows[bottom] >= threshold:
        bottom += 1
    return top, bottom


def word_spans(
    words: Sequence[Sequence[CharHit]],
    column_width: float,
    crop_width: int,
    crop_height: int,
    ink: NDArray[np.bool_] | None,
) -> list[WordSpan]:
    """Each word's rectangle in the crop.

    Horizontally a word owns the columns between the midpoints to its neighbours'
    nearest characters; inside that window its extent is the ink of the line's text
    band (falling back to half a character pitch around its first and last character
    when the ink does not confirm them). Vertically it is its own ink rows within the
    band, or the whole crop without usable ink.
    """
    centres = [[(h.column + 0.5) * column_width for h in w] for w in words]
    steps = [b - a for c in centres for a, b in pairwise(c)]
    half = 0.5 * (float(np.median(steps)) if steps else 0.5 * crop_height)
    band = text_band(ink) if ink is not None else (0, crop_height)
    spans: list[WordSpan] = []
    for i, (word, c) in enumerate(zip(words, centres, strict=True)):
        lo = 0.0 if i == 0 else (centres[i - 1][-1] + c[0]) / 2
        hi = float(crop_width) if i == len(words) - 1 else (c[-1] + centres[i + 1][0]) / 2
        u0, u1 = max(lo, c[0] - half), min(hi, c[-1] + half)
        v0, v1 = 0.0, float(crop_height)
        if ink is not None:
            found = _ink_extent(ink, band, lo, hi, c[0], c[-1], column_width)
            if found is not None:
                u0, v0, u1, v1 = found
        text = "".join(h.char for h in word)
        spans.append(WordSpan(text, tuple(h.prob for h in word), u0, v0, u1, v1))
    return spans


def _ink_extent(
    ink: NDArray[np.bool_],
    band: tuple[int, int],
    lo: float,
    hi: float,
    first: float,
    last: float,
    column_width: float,
) -> tuple[float, float, float, float] | None:
    a, b = max(0, int(np.floor(lo))), min(ink.shape[1], int(np.ceil(hi)))
    if b <= a:
        return None
    window = ink[band[0] : band[1], a:b]
    cols = np.flatnonzero(window.any(axis=0))
    if cols.size == 0:
        return None
    u0, u1 = float(a + cols[0]), float(a + cols[-1] + 1)
    # The ink must reach the characters the recogniser placed, give or take a column.
    if u0 > first + column_width or u1 < last - column_width:
        return None
    rows = np.flatnonzero(window[:, cols[0] : cols[-1] + 1].any(axis=1))
    return u0, float(band[0] + rows[0]), u1, float(band[0] + rows[-1] + 1)


def read_words(columns: CtcColumns, charset: Sequence[str], crop: LineCrop) -> list[WordSpan]:
    """The words of one recognised line crop, in reading order."""
    words = split_words(ctc_greedy(columns, charset), columns)
    if not words:
        return []
    return word_spans(words, columns.column_width, crop.width, crop.height, ink_mask(crop.pixels))
