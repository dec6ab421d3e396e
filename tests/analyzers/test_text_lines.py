"""Line crops, CTC decoding, word splitting and word geometry: pure, no model."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sightline.analyzers.ocr_engine import CtcColumns
from sightline.analyzers.text_lines import (
    SOFT_SPACE,
    CharHit,
    crop_line,
    ctc_greedy,
    ink_mask,
    is_vertical,
    read_words,
    split_words,
    text_band,
    word_spans,
)

CHARSET = ("blank", "A", "B", "C", " ")


def _columns(best: list[int], space: list[float] | None = None, width: float = 8.0) -> CtcColumns:
    n = len(best)
    return CtcColumns(
        best=np.array(best, dtype=np.int64),
        best_prob=np.linspace(0.9, 0.99, n).astype(np.float32),
        space_prob=np.array(space if space is not None else [0.0] * n, dtype=np.float32),
        column_width=width,
    )


def test_ctc_greedy_collapses_repeats_and_drops_blanks() -> None:
    cols = _columns([0, 1, 1, 0, 1, 2, 2, 0, 4, 3])
    hits = ctc_greedy(cols, CHARSET)
    assert "".join(h.char for h in hits) == "AAB C"
    assert [h.column for h in hits] == [1, 4, 5, 8, 9]
    assert hits[0].prob == pytest.approx(float(cols.best_prob[1]))


def test_ctc_greedy_empty() -> None:
    assert ctc_greedy(_columns([]), CHARSET) == []
    assert ctc_greedy(_columns([0, 0, 0]), CHARSET) == []


def test_split_words_at_decoded_spaces() -> None:
    cols = _columns([1, 0, 4, 0, 2, 3])
    words = split_words(ctc_greedy(cols, CHARSET), cols)
    assert ["".join(h.char for h in w) for w in words] == ["A", "BC"]


@pytest.mark.parametrize(
    ("peak", "expected"),
    [
        (SOFT_SPACE + 0.05, ["A", "B"]),  # the space class nearly won: a word boundary
        (SOFT_SPACE - 0.05, ["AB"]),  # an ordinary gap between letters
    ],
)
def test_split_words_at_soft_spaces(peak: float, expected: list[str]) -> None:
    # "A" at column 1, "B" at column 5: the blanks between them carry space probability.
    space = [0.0, 0.0, 0.02, peak, 0.01, 0.0]
    cols = _columns([0, 1, 0, 0, 0, 2], space)
    words = split_words(ctc_greedy(cols, CHARSET), cols)
    assert ["".join(h.char for h in w) for w in words] == expected


def test_is_vertical() -> None:
    wide = np.array([[0, 0], [100, 0], [100, 20], [0, 20]], dtype=np.float32)
    tall = np.array([[0, 0], [20, 0], [20, 100], [0, 100]], dtype=np.float32)
    assert not is_vertical(wide)
    assert is_vertical(tall)


def _rotated_quad(cx: float, cy: float, w: float, h: float, deg: float) -> np.ndarray:
    a = np.deg2rad(deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    return (corners @ rot.T + [cx, cy]).astype(np.float32)


@pytest.mark.parametrize("height", [12.0, 120.0])  # upscaled small text, shrunk large text
@pytest.mark.parametrize("turns", [0, 1, 2])
def test_crop_corners_map_back_to_the_quad(height: float, turns: int) -> None:
    image = np.zeros((400, 500, 3), dtype=np.uint8)
    quad = _rotated_quad(250, 200, 3 * height, height, 15)
    crop = crop_line(image, quad, quarter_turns=turns)
    assert crop.height == 48
    corners = crop.image_points(
        [(0, 0), (crop.width, 0), (crop.width, crop.height), (0, crop.height)]
    )
    expected = np.roll(quad, -turns, axis=0)
    got = np.array([(p.x, p.y) for p in corners])
    assert np.allclose(got, expected, atol=0.5 + 0.01 * height)


def test_crop_reads_text_upright() -> None:
    image = np.full((100, 300, 3), 255, dtype=np.uint8)
    cv2.rectangle(image, (20, 40), (60, 60), (0, 0, 0), -1)  # ink at the line's start
    quad = np.array([[10, 30], [290, 30], [290, 70], [10, 70]], dtype=np.float32)
    upright = crop_line(image, quad)
    turned = crop_line(image, quad, quarter_turns=2)
    assert (
        upright.pixels[:, : upright.width // 4].mean()
        < turned.pixels[:, : turned.width // 4].mean()
    )


def _text_crop(light_text: bool = False, gradient: bool = True) -> np.ndarray:
    """A 48-px line: two 'words' of three bars each, over a strong left-right gradient."""
    w = 200
    bg = np.tile(np.linspace(120, 250, w), (48, 1)) if gradient else np.full((48, w), 230.0)
    img = bg.copy()
    for x0 in (20, 32, 44, 120, 132, 144):
        img[14:36, x0 : x0 + 6] -= 90
    if light_text:
        img = 255 - img
    gray = np.clip(img, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.stack([gray] * 3, axis=-1))


@pytest.mark.parametrize("light_text", [False, True])
def test_ink_mask_finds_strokes_across_a_gradient(light_text: bool) -> None:
    ink = ink_mask(_text_crop(light_text))
    assert ink is not None
    cols = np.flatnonzero(ink.any(axis=0))
    rows = np.flatnonzero(ink.any(axis=1))
    assert cols.min() == 20 and cols.max() == 149
    assert rows.min() == 14 and rows.max() == 35
    assert not ink[:, 60:110].any()  # the gap between the words is clean


def test_ink_mask_none_without_contrast() -> None:
    assert ink_mask(np.full((48, 100, 3), 200, dtype=np.uint8)) is None


def test_text_band_leaves_out_a_neighbouring_line() -> None:
    ink = np.zeros((48, 200), dtype=bool)
    ink[0:4, 10:190:3] = True  # descenders of the line above
    ink[12:38, 10:190] = True  # this line
    assert text_band(ink) == (12, 38)


def _words(spec: list[tuple[str, list[int]]]) -> list[list[CharHit]]:
    return [
        [CharHit(c, col, 0.9) for c, col in zip(text, cols, strict=True)] for text, cols in spec
    ]


def test_word_spans_hug_the_ink() -> None:
    crop = _text_crop()
    ink = ink_mask(crop)
    # CTC columns 8 px wide: characters centred on the bars (x = 23, 35, 47 ...).
    words = _words([("abc", [2, 3, 5]), ("def", [14, 16, 17])])
    spans = word_spans(words, 8.0, crop.shape[1], 48, ink)
    assert [(s.text, s.u0, s.u1) for s in spans] == [("abc", 20, 50), ("def", 120, 150)]
    assert all((s.v0, s.v1) == (14, 36) for s in spans)
    assert spans[0].confidence == pytest.approx(0.9)


def test_word_spans_fall_back_to_columns_without_ink() -> None:
    words = _words([("ab", [2, 4]), ("c", [10])])
    spans = word_spans(words, 8.0, 120, 48, None)
    # Half a character pitch (16 px) around first and last centres, full height.
    assert [(s.u0, s.u1, s.v0, s.v1) for s in spans] == [
        (12.0, 44.0, 0.0, 48.0),
        (76.0, 92.0, 0.0, 48.0),
    ]


def test_read_words_end_to_end() -> None:
    image = _text_crop(gradient=False)
    quad = np.array([[0, 0], [200, 0], [200, 48], [0, 48]], dtype=np.float32)
    crop = crop_line(image, quad)
    best = [0] * 25
    for col, cls in ((2, 1), (4, 2), (5, 3), (15, 1), (16, 2), (18, 3)):
        best[col] = cls
    best[10] = 4  # a decoded space
    words = read_words(_columns(best), CHARSET, crop)
    assert [w.text for w in words] == ["ABC", "ABC"]
    polygons = [crop.rectangle(w.u0, w.v0, w.u1, w.v1) for w in words]
    assert polygons[0][0].x == pytest.approx(20, abs=1) and polygons[1][0].x == pytest.approx(
        120, abs=1
    )
