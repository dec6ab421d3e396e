"""Image properties: quality figures, dominant colours, foreground segmentation."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sightline.analyzers.colors import CSS_COLORS, SIMPLIFIED_COLORS, nearest_css
from sightline.analyzers.properties import (
    box_colors,
    dominant_colors,
    foreground_mask,
    image_properties,
    image_quality,
)
from sightline.analyzers.types import Box
from tests.conftest import rgb


def _two_colours() -> np.ndarray:
    """70% red (left), 30% navy (right)."""
    pixels = np.zeros((100, 200, 3), np.uint8)
    pixels[:, :140] = (255, 0, 0)
    pixels[:, 140:] = (0, 0, 128)
    return pixels


def test_two_known_colours() -> None:
    colors = dominant_colors(_two_colours())
    assert [(c.css_color, c.simplified_color) for c in colors] == [
        ("red", "red"),
        ("navy", "blue"),
    ]
    assert [c.pixel_percent for c in colors] == pytest.approx([70.0, 30.0], abs=1.0)
    assert (colors[0].red, colors[0].green, colors[0].blue) == (255, 0, 0)
    assert colors[0].hex_code == "#ff0000"
    assert colors[1].hex_code == "#000080"


def test_colour_count_is_capped() -> None:
    colors = dominant_colors(rgb("astronaut.png"), max_colors=3)
    assert len(colors) == 3
    assert colors[0].pixel_percent >= colors[1].pixel_percent >= colors[2].pixel_percent
    assert len({c.css_color for c in colors}) == 3  # each CSS name once
    assert dominant_colors(rgb("astronaut.png"), max_colors=0) == ()


def test_masked_region_colours() -> None:
    pixels = _two_colours()
    mask = np.zeros(pixels.shape[:2], bool)
    mask[:, 150:] = True
    (only,) = dominant_colors(pixels, mask)
    assert only.css_color == "navy"
    assert only.pixel_percent == pytest.approx(100.0)


def test_box_colours() -> None:
    (inside,) = box_colors(_two_colours(), Box(0, 0, 100, 100))
    assert inside.css_color == "red"
    assert box_colors(_two_colours(), Box(300, 300, 400, 400)) == ()  # outside the image


def test_palette_is_complete() -> None:
    assert len(CSS_COLORS) == 138  # 147 CSS3 keywords less 9 duplicate spellings
    assert {c.simplified for c in CSS_COLORS} == set(SIMPLIFIED_COLORS)
    assert nearest_css((47, 79, 79)).name == "darkslategrey"
    assert nearest_css((20, 20, 20)).simplified == "black"


def test_brightness_and_contrast_order() -> None:
    ramp = np.tile(np.linspace(0, 255, 256, dtype=np.uint8), (100, 1))
    high = np.dstack([ramp] * 3)
    low = (high // 5 + 100).astype(np.uint8)  # the same ramp squeezed into 100-151
    dark = (high // 4).astype(np.uint8)
    q_high, q_low, q_dark = image_quality(high), image_quality(low), image_quality(dark)
    assert q_high.contrast > 90 > 25 > q_low.contrast
    assert q_dark.brightness < q_low.brightness
    assert 0 <= q_dark.brightness <= 100


def test_sharpness_drops_with_blur() -> None:
    sharp = rgb("astronaut.png")
    blurred = cv2.GaussianBlur(sharp, (0, 0), 3)
    flat = np.full_like(sharp, 90)
    s_sharp = image_quality(sharp).sharpness
    s_blur = image_quality(blurred).sharpness
    assert s_sharp > 70
    assert s_blur < s_sharp - 30
    assert image_quality(flat).sharpness == 0.0


def test_foreground_from_subject_box() -> None:
    # A textured grey square on a plain green field: seeded with its box, the
    # foreground is the square.
    field = np.zeros((200, 300, 3), np.uint8)
    field[:] = (30, 160, 40)
    rng = np.random.default_rng(1)
    field[60:140, 110:190] = rng.integers(90, 160, size=(80, 80, 1), dtype=np.uint8)
    mask = foreground_mask(field, subjects=[Box(100, 50, 200, 150)])
    assert mask is not None
    assert mask.shape == (200, 300)
    assert mask[100, 150] and not mask[10, 10] and not mask[100, 250]
    assert 0.08 < mask.mean() < 0.2  # the square covers 10.7%


def test_foreground_without_subjects_finds_the_object() -> None:
    # A bright disc in the middle of a dark, mildly noisy background.
    rng = np.random.default_rng(2)
    pixels = rng.integers(20, 40, size=(240, 320, 3), dtype=np.uint8)
    cv2.circle(pixels, (160, 120), 50, (230, 200, 40), -1)
    mask = foreground_mask(pixels)
    assert mask is not None
    assert mask[120, 160] and not mask[5, 5] and not mask[230, 310]


def test_flat_image_has_no_foreground() -> None:
    assert foreground_mask(np.full((120, 160, 3), 128, np.uint8)) is None


def test_image_properties_regions() -> None:
    props = image_properties(rgb("coffee.png"))
    assert len(props.dominant_colors) <= 10
    assert sum(c.pixel_percent for c in props.dominant_colors) <= 100.0 + 1e-6
    assert props.foreground is not None and props.background is not None
    assert props.foreground.dominant_colors and props.background.dominant_colors
    for q in (props.quality, props.foreground.quality, props.background.quality):
        assert 0 <= q.brightness <= 100 and 0 <= q.sharpness <= 100 and 0 <= q.contrast <= 100
