"""The offline feature extractor: layout, determinism, and what its blocks respond to."""

from __future__ import annotations

import numpy as np

from sightline.config import Settings
from sightline.customlabels.features import (
    DECODE_SIDE,
    HandcraftedExtractor,
    custom_label_limits,
    decode_for_features,
)
from tests.conftest import encode, rgb
from tests.customlabels import synthetic

extractor = HandcraftedExtractor()


def test_vector_layout_and_determinism() -> None:
    pixels = rgb("coffee.png")
    a = extractor.extract(pixels)
    b = extractor.extract(pixels.copy())
    assert a.shape == (extractor.dims,) and a.dtype == np.float32
    assert np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)
    # the HSV histogram block sums to one
    assert abs(float(a[:72].sum()) - 1.0) < 1e-5


def test_rotation_invariant_texture_blocks() -> None:
    # Stripes turned by 90 degrees keep their LBP, Gabor and spectrum summaries.
    rng = np.random.default_rng(3)
    img = synthetic.image("stripes", rng, 128)
    turned = np.ascontiguousarray(np.rot90(img))
    a, b = extractor.extract(img), extractor.extract(turned)
    texture = slice(90, 90 + 30 + 21 + 21)
    assert np.abs(a[texture] - b[texture]).max() < 0.05
    # ... while the spatial HOG grid sees a different image
    assert np.abs(a[162:306] - b[162:306]).max() > 0.1


def test_flat_image_has_no_texture_energy() -> None:
    flat = np.full((100, 100, 3), 120, np.uint8)
    f = extractor.extract(flat)
    gabor_totals = f[[90 + 30 + 6, 90 + 30 + 13, 90 + 30 + 20]]
    assert np.all(gabor_totals < 1e-6)
    assert f[-1] == 0.0  # no edges


def test_small_images_decode_down_to_64px(settings: Settings) -> None:
    limits = custom_label_limits(settings)
    assert limits.min_side == 64
    pixels = decode_for_features(encode(np.zeros((64, 70, 3), np.uint8), "PNG"), limits)
    assert pixels.shape == (64, 70, 3)


def test_large_jpeg_is_decoded_scaled(settings: Settings) -> None:
    big = np.zeros((1200, 1600, 3), np.uint8)
    pixels = decode_for_features(encode(big), custom_label_limits(settings))
    assert max(pixels.shape[:2]) <= DECODE_SIDE
