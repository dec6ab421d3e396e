"""DetectText Filters: parsing, Rekognition's semantics, polygon clipping."""

from __future__ import annotations

from typing import Any

import pytest

from sightline.analyzers.text_filters import (
    DEFAULT_WORD_MIN_CONFIDENCE,
    TextFilters,
    clip_polygon,
    parse_text_filters,
    polygon_area,
)
from sightline.analyzers.types import Point
from sightline.errors import InvalidParameterError

W, H = 200, 100


def _word(x0: float, y0: float, x1: float, y1: float) -> list[Point]:
    return [Point(x0, y0), Point(x1, y0), Point(x1, y1), Point(x0, y1)]


def test_no_filters() -> None:
    assert parse_text_filters(None) == TextFilters()
    assert parse_text_filters({}) == TextFilters()
    assert TextFilters().keeps(_word(0, 0, 1, 1), 0.01, W, H)


def test_word_filter_defaults_min_confidence_to_80() -> None:
    f = parse_text_filters({"Filters": {"WordFilter": {"MinBoundingBoxWidth": 0.1}}})
    assert f.min_confidence == DEFAULT_WORD_MIN_CONFIDENCE / 100
    assert not f.keeps(_word(0, 0, 50, 10), 0.79, W, H)
    assert f.keeps(_word(0, 0, 50, 10), 0.8, W, H)


def test_min_bounding_box_sizes_are_ratios_of_the_image() -> None:
    f = parse_text_filters(
        {
            "Filters": {
                "WordFilter": {
                    "MinConfidence": 0,
                    "MinBoundingBoxHeight": 0.1,
                    "MinBoundingBoxWidth": 0.25,
                }
            }
        }
    )
    assert f.keeps(_word(0, 0, 50, 10), 0.5, W, H)  # 50/200 wide, 10/100 high
    assert not f.keeps(_word(0, 0, 50, 9.9), 0.5, W, H)
    assert not f.keeps(_word(0, 0, 49.9, 10), 0.5, W, H)


@pytest.mark.parametrize(
    ("word", "kept"),
    [
        (_word(10, 10, 30, 20), True),  # wholly inside
        (_word(40, 10, 60, 20), False),  # exactly half inside: not *more* than half
        (_word(38, 10, 58, 20), True),  # 60 % inside
        (_word(60, 10, 80, 20), False),  # outside
    ],
)
def test_region_keeps_words_more_than_half_inside(word: list[Point], kept: bool) -> None:
    box = {"BoundingBox": {"Left": 0.0, "Top": 0.0, "Width": 0.25, "Height": 0.5}}  # x < 50
    f = parse_text_filters({"Filters": {"RegionsOfInterest": [box]}})
    assert f.keeps(word, 1.0, W, H) is kept


def test_a_word_in_any_region_is_kept() -> None:
    regions = [
        {"BoundingBox": {"Left": 0.0, "Top": 0.0, "Width": 0.1, "Height": 0.1}},
        {"Polygon": [{"X": 0.5, "Y": 0.0}, {"X": 1.0, "Y": 0.0}, {"X": 1.0, "Y": 1.0}]},
    ]
    f = parse_text_filters({"Filters": {"RegionsOfInterest": regions}})
    assert f.keeps(_word(180, 10, 195, 20), 1.0, W, H)  # inside the triangle
    assert not f.keeps(_word(100, 80, 120, 95), 1.0, W, H)  # below its diagonal
    assert f.keeps(_word(1, 1, 10, 5), 1.0, W, H)  # inside the box


def test_a_zero_area_word_is_judged_by_its_centre() -> None:
    f = parse_text_filters(
        {
            "Filters": {
                "RegionsOfInterest": [
                    {"BoundingBox": {"Left": 0, "Top": 0, "Width": 0.5, "Height": 1}}
                ]
            }
        }
    )
    assert f.keeps(_word(10, 10, 10, 20), 1.0, W, H)
    assert not f.keeps(_word(150, 10, 150, 20), 1.0, W, H)


def test_clip_polygon_area() -> None:
    square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
    shifted = [(5.0, 5.0), (15.0, 5.0), (15.0, 15.0), (5.0, 15.0)]
    assert abs(polygon_area(clip_polygon(shifted, square))) == pytest.approx(25.0)
    # A concave L (area 75) clipped by the square it sits in keeps its whole area.
    ell = [(0.0, 0.0), (10.0, 0.0), (10.0, 5.0), (5.0, 5.0), (5.0, 10.0), (0.0, 10.0)]
    assert abs(polygon_area(clip_polygon(ell, square))) == pytest.approx(75.0)
    # Orientation of the clip polygon does not matter.
    assert abs(polygon_area(clip_polygon(shifted, square[::-1]))) == pytest.approx(25.0)
    assert clip_polygon([(20.0, 20.0), (30.0, 20.0), (30.0, 30.0)], square) == []


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ("nope", "Filters must be an object"),
        (
            {"WordFilter": {"MinConfidence": 101}},
            r"MinConfidence must be between 0 and 100; got 101",
        ),
        (
            {"WordFilter": {"MinBoundingBoxHeight": -0.1}},
            "MinBoundingBoxHeight must be between 0 and 1",
        ),
        ({"WordFilter": {"MinBoundingBoxWidth": "wide"}}, "MinBoundingBoxWidth must be a number"),
        ({"RegionsOfInterest": [{}] * 11}, "11 regions; the limit is 10"),
        ({"RegionsOfInterest": [{}]}, r"RegionsOfInterest\[0\] needs exactly one of"),
        (
            {"RegionsOfInterest": [{"Polygon": [{"X": 0, "Y": 0}, {"X": 1, "Y": 1}]}]},
            r"RegionsOfInterest\[0\]\.Polygon needs 3 to 10 points; got 2",
        ),
        ({"RegionsOfInterest": [{"BoundingBox": {"Left": 0}}]}, "BoundingBox needs numeric"),
        (
            {
                "RegionsOfInterest": [
                    {"BoundingBox": {"Left": 0, "Top": 0, "Width": 0, "Height": 1}}
                ]
            },
            "positive size",
        ),
    ],
)
def test_bad_filters_name_the_member(filters: Any, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        parse_text_filters({"Filters": filters})
