"""TextAnalyzer on the real RapidOCR models (shared pool) and on a fake engine."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sightline.analyzers.base import AnalyzerPool
from sightline.analyzers.ocr_engine import CtcColumns
from sightline.analyzers.text import (
    MAX_WORDS,
    OcrLine,
    TextAnalyzer,
    assemble_detections,
    detection_scale,
)
from sightline.analyzers.text_filters import TextFilters, parse_text_filters
from sightline.analyzers.text_lines import LineCrop, WordSpan
from sightline.analyzers.types import Box, TextDetection, TextResult
from sightline.api.rekognition.shapes.text import detect_text_response
from sightline.config import Settings, TextSettings
from sightline.errors import InvalidParameterError
from sightline.media.decode import decode_image
from sightline.media.image import Image
from tests.botocore_shapes import assert_valid_output
from tests.conftest import rgb, sample_bytes


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def _text(pool: AnalyzerPool) -> TextAnalyzer:
    analyzer = pool.get("text")
    assert isinstance(analyzer, TextAnalyzer)
    return analyzer


@pytest.fixture(scope="module")
def page_image() -> Image:
    return decode_image(sample_bytes("page.png"), Settings().limits)


@pytest.fixture(scope="module")
def page_lines(analyzer_pool: AnalyzerPool, page_image: Image) -> list[OcrLine]:
    """OCR of page.png, once for the module; filters are applied to it per test."""
    return _text(analyzer_pool).read_lines(page_image.bgr())


@pytest.fixture(scope="module")
def page(page_lines: list[OcrLine], page_image: Image) -> tuple[TextDetection, ...]:
    return assemble_detections(
        page_lines, TextFilters(), page_image.info.width, page_image.info.height
    )


def _heading(detections: tuple[TextDetection, ...]) -> TextDetection:
    found = [
        d
        for d in detections
        if d.type == "LINE" and _norm(d.text) == _norm("Region-based segmentation")
    ]
    assert len(found) == 1, [d.text for d in detections if d.type == "LINE"]
    return found[0]


def _inside(inner: Box, outer: Box, margin: float = 1.0) -> bool:
    return (
        inner.x0 >= outer.x0 - margin
        and inner.y0 >= outer.y0 - margin
        and inner.x1 <= outer.x1 + margin
        and inner.y1 <= outer.y1 + margin
    )


def test_page_heading_line_and_its_words(page: tuple[TextDetection, ...]) -> None:
    line = _heading(page)
    words = [d for d in page if d.type == "WORD" and d.parent_id == line.id]
    assert [w.text for w in words] == ["Region-based", "segmentation"]
    assert line.text == "Region-based segmentation"
    for word in words:
        assert _inside(word.box, line.box)
        assert len(word.polygon) == 4
        assert word.confidence > 0.8
    # The words sit side by side, "Region-based" first, with a gap between them.
    assert words[0].box.x1 < words[1].box.x0
    # The heading is the top line of page.png, about 20 pixels high.
    assert line.box.y0 < 20 and 10 < line.box.height < 30


def test_page_ids_parents_and_order(page: tuple[TextDetection, ...]) -> None:
    lines = [d for d in page if d.type == "LINE"]
    words = [d for d in page if d.type == "WORD"]
    assert len(lines) >= 5 and len(words) >= 30
    # All LINEs first, then WORDs; ids are unique and consecutive.
    assert [d.type for d in page] == ["LINE"] * len(lines) + ["WORD"] * len(words)
    assert [d.id for d in page] == list(range(len(page)))
    by_id = {d.id: d for d in lines}
    for word in words:
        assert word.parent_id in by_id
        assert _inside(word.box, by_id[word.parent_id].box)
    for line in lines:
        assert line.parent_id is None
        children = [w.text for w in words if w.parent_id == line.id]
        assert line.text == " ".join(children)
    # Reading order: each line starts below the previous one's top.
    tops = [line.box.y0 for line in lines]
    assert tops == sorted(tops)
    assert any(_norm(line.text) == _norm("histogram of grey values:") for line in lines)


def test_page_response_validates(page: tuple[TextDetection, ...], page_image: Image) -> None:
    result = TextResult(page, "rapidocr-test")
    response = detect_text_response(result, page_image.info.width, page_image.info.height)
    assert_valid_output("DetectText", response)
    first = response["TextDetections"][0]
    assert first["DetectedText"] == "Region-based segmentation"
    assert 0 <= first["Geometry"]["BoundingBox"]["Left"] < 0.1


def test_word_min_confidence(page_lines: list[OcrLine], page_image: Image) -> None:
    w, h = page_image.info.width, page_image.info.height
    words = [d for d in assemble_detections(page_lines, TextFilters(), w, h) if d.type == "WORD"]
    cut = sorted(d.confidence for d in words)[len(words) // 2]
    kept = assemble_detections(page_lines, TextFilters(min_confidence=cut), w, h)
    kept_words = [d for d in kept if d.type == "WORD"]
    assert 0 < len(kept_words) < len(words)
    assert all(d.confidence >= cut for d in kept_words)


def test_word_min_height_keeps_only_the_heading(
    page_lines: list[OcrLine], page_image: Image
) -> None:
    w, h = page_image.info.width, page_image.info.height
    # The heading's words are ~17 px high; body text is ~10-14 px of 191.
    filters = parse_text_filters({"Filters": {"WordFilter": {"MinBoundingBoxHeight": 16 / h}}})
    kept = assemble_detections(page_lines, filters, w, h)
    texts = [d.text for d in kept if d.type == "WORD"]
    assert "segmentation" in texts
    assert "markers" not in texts
    assert all(d.box.height >= 16 - 1e-6 for d in kept if d.type == "WORD")


def test_region_of_interest_keeps_only_that_region(analyzer_pool: AnalyzerPool) -> None:
    image = decode_image(sample_bytes("page.png"), Settings().limits)
    # The top fifth of the page holds only the heading.
    options = {
        "Filters": {
            "RegionsOfInterest": [{"BoundingBox": {"Left": 0, "Top": 0, "Width": 1, "Height": 0.2}}]
        }
    }
    result = _text(analyzer_pool).analyze(image, options)
    assert [d.text for d in result.detections if d.type == "LINE"] == ["Region-based segmentation"]
    assert [d.text for d in result.detections if d.type == "WORD"] == [
        "Region-based",
        "segmentation",
    ]
    response = detect_text_response(result, image.info.width, image.info.height)
    assert_valid_output("DetectText", response)


def test_polygon_region_keeps_words_more_than_half_inside(
    page: tuple[TextDetection, ...], page_lines: list[OcrLine], page_image: Image
) -> None:
    w, h = page_image.info.width, page_image.info.height
    heading = _heading(page)
    region = heading.box
    # A triangle over the top-left corner: all of "Region-based", little of
    # "segmentation" (its slanted side crosses the heading near the word gap).
    split = (region.x0 + region.x1) / 2 / w
    poly = [{"X": 0.0, "Y": 0.0}, {"X": 1.6 * split, "Y": 0.0}, {"X": 0.0, "Y": 0.22}]
    kept = assemble_detections(
        page_lines,
        parse_text_filters({"Filters": {"RegionsOfInterest": [{"Polygon": poly}]}}),
        w,
        h,
    )
    assert [d.text for d in kept] == ["Region-based", "Region-based"]
    assert [d.type for d in kept] == ["LINE", "WORD"]


def test_upside_down_page_is_read_and_mapped_back(analyzer_pool: AnalyzerPool) -> None:
    image = Image.from_array(np.ascontiguousarray(rgb("page.png")[::-1, ::-1]))
    result = _text(analyzer_pool).analyze(image)
    heading = _heading(result.detections)
    # Turned by 180 degrees the heading lies at the bottom right, and its polygon
    # starts at the text's own top-left corner: the bottom-right of its box.
    assert heading.box.y1 > 191 - 20 and heading.box.x1 > 384 - 20
    first = heading.polygon[0]
    assert first.x == pytest.approx(heading.box.x1, abs=2)
    assert first.y == pytest.approx(heading.box.y1, abs=2)
    words = [d.text for d in result.detections if d.parent_id == heading.id]
    assert words == ["Region-based", "segmentation"]


def test_text_png_gives_some_text(analyzer_pool: AnalyzerPool) -> None:
    image = decode_image(sample_bytes("text.png"), Settings().limits)
    result = _text(analyzer_pool).analyze(image)
    assert any(d.type == "WORD" and d.text.strip() for d in result.detections)
    response = detect_text_response(result, image.info.width, image.info.height)
    assert_valid_output("DetectText", response)


@pytest.mark.parametrize("name", ["coffee.png", "chelsea.png"])
def test_photos_without_text_give_little(analyzer_pool: AnalyzerPool, name: str) -> None:
    image = decode_image(sample_bytes(name), Settings().limits)
    result = _text(analyzer_pool).analyze(image)
    words = [d for d in result.detections if d.type == "WORD"]
    assert len(words) <= 2, [d.text for d in words]
    assert result.model_version.startswith("rapidocr-")


def test_reports_model_versions(analyzer_pool: AnalyzerPool) -> None:
    versions = _text(analyzer_pool).versions()
    assert set(versions) == {"ch_PP-OCRv4_det", "ch_ppocr_mobile_v2.0_cls", "ch_PP-OCRv4_rec"}


def test_bad_filters_fail_before_any_work(analyzer_pool: AnalyzerPool) -> None:
    image = Image.from_array(np.zeros((100, 100, 3), dtype=np.uint8))
    with pytest.raises(InvalidParameterError, match="MinConfidence"):
        _text(analyzer_pool).analyze(image, {"Filters": {"WordFilter": {"MinConfidence": 101}}})


# --- scaling policy and assembly, no model ------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((384, 191), 736 / 191),  # small page: upscaled until the short side is 736
        ((500, 100), 4.5),  # a banner: the upscale is capped
        ((1000, 800), 1.0),  # large enough: as is
        ((4000, 3000), (2_000_000 / 12_000_000) ** 0.5),  # over the pixel budget
    ],
)
def test_detection_scale(size: tuple[int, int], expected: float) -> None:
    assert detection_scale(*size, TextSettings()) == pytest.approx(expected)


def _line(y: float, words: list[str], conf: float = 0.9) -> OcrLine:
    """A synthetic line at height ``y``: identity mapping, 10-px words 5 px apart."""
    spans = tuple(
        WordSpan(word, (conf,) * len(word), 15.0 * i, 0.0, 15.0 * i + 10, 10.0)
        for i, word in enumerate(words)
    )
    to_image = np.array([[1.0, 0, 0], [0, 1.0, y], [0, 0, 1.0]])
    crop = LineCrop(np.zeros((10, 15 * len(words), 3), dtype=np.uint8), to_image)
    return OcrLine(crop, spans, 1.0, 1.0)


def test_limit_of_100_words_cuts_in_reading_order() -> None:
    lines = [_line(20.0 * i, [f"w{i}_{j}" for j in range(30)]) for i in range(4)]
    out = assemble_detections(lines, TextFilters(), 2000, 2000)
    words = [d for d in out if d.type == "WORD"]
    assert len(words) == MAX_WORDS
    assert words[-1].text == "w3_9"
    last_line = [d for d in out if d.type == "LINE"][-1]
    # The cut line holds only the words that fit, text and box alike.
    assert last_line.text == " ".join(f"w3_{j}" for j in range(10))
    assert last_line.box.x1 == pytest.approx(15 * 9 + 10)


def test_filtered_out_words_leave_a_shorter_line() -> None:
    lines = [_line(0.0, ["keep", "drop", "keep2"])]
    lines[0] = OcrLine(
        lines[0].crop,
        tuple(
            WordSpan(w.text, (0.3,) if w.text == "drop" else w.probs, w.u0, w.v0, w.u1, w.v1)
            for w in lines[0].words
        ),
        1.0,
        1.0,
    )
    out = assemble_detections(lines, TextFilters(min_confidence=0.5), 100, 100)
    assert [d.text for d in out] == ["keep keep2", "keep", "keep2"]
    assert [d.parent_id for d in out] == [None, 0, 0]


class _FakeEngine:
    """Finds one line across the image; reads "AB" upright, "BA" when flipped."""

    charset = ("blank", "A", "B", " ")
    space_index = 3
    model_version = "fake-1"

    def __init__(self, flipped: bool) -> None:
        self.flipped = flipped
        self.detect_inputs: list[tuple[int, ...]] = []

    def detect(self, bgr: np.ndarray) -> list[np.ndarray]:
        self.detect_inputs.append(bgr.shape)
        h, w = bgr.shape[:2]
        quad = [[0.1 * w, 0.4 * h], [0.9 * w, 0.4 * h], [0.9 * w, 0.6 * h], [0.1 * w, 0.6 * h]]
        return [np.array(quad, dtype=np.float32)]

    def upside_down(self, crops: list[np.ndarray]) -> list[bool]:
        return [self.flipped for _ in crops]

    def recognize(self, crop: np.ndarray) -> CtcColumns:
        best = np.array([0, 1, 0, 2, 0], dtype=np.int64)
        return CtcColumns(
            best=best,
            best_prob=np.full(5, 0.9, dtype=np.float32),
            space_prob=np.zeros(5, dtype=np.float32),
            column_width=crop.shape[1] / 5,
        )

    def versions(self) -> dict[str, str]:
        return {"fake": "1"}


@pytest.mark.parametrize("flipped", [False, True])
def test_upside_down_lines_map_back_onto_the_same_box(flipped: bool) -> None:
    engine = _FakeEngine(flipped)
    analyzer = TextAnalyzer(Settings(), engine=engine)
    # 600 x 400 and flat, so no ink refines the recogniser's columns.
    image = Image.from_array(np.full((400, 600, 3), 128, dtype=np.uint8))
    result = analyzer.analyze(image)
    assert engine.detect_inputs == [(736, 1104, 3)]
    line = result.detections[0]
    assert (line.text, line.type, result.model_version) == ("AB", "LINE", "fake-1")
    # The quad was found at detection scale; the polygon lands in the image's frame,
    # starting at the text's own top-left corner: bottom-right of the image box when
    # the line is upside down.
    assert line.box.x0 >= 60 - 1 and line.box.x1 <= 540 + 1
    assert line.box.y0 >= 160 - 1 and line.box.y1 <= 240 + 1
    first = line.polygon[0]
    assert (first.x > 300) == flipped and (first.y > 200) == flipped
