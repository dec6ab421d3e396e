"""Thumbnails: bounded sizes, upright, never upscaled, JPEG or WebP."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image as PILImage

from sightline.analyzers.thumbnail import ThumbnailAnalyzer
from sightline.config import ImageLimits, Settings
from sightline.media.decode import decode_image
from sightline.media.image import Image
from tests.conftest import encode, rgb


def _decoded_size(data: bytes) -> tuple[int, int]:
    with PILImage.open(io.BytesIO(data)) as im:
        im.load()
        return im.size


def test_sizes_are_bounded_and_aspect_kept() -> None:
    settings = Settings(thumbnails={"sizes": [64, 256]})
    big = np.repeat(np.repeat(rgb("chelsea.png"), 4, axis=0), 4, axis=1)  # 1804 x 1200
    image = decode_image(encode(big), settings.limits, max_side=ThumbnailAnalyzer.max_side)
    result = ThumbnailAnalyzer(settings).analyze(image)
    assert [(t.width, t.height) for t in result.thumbnails] == [(64, 43), (256, 170)]
    for thumb in result.thumbnails:
        assert thumb.format == "jpeg"
        assert thumb.data[:3] == b"\xff\xd8\xff"
        assert _decoded_size(thumb.data) == (thumb.width, thumb.height)


def test_exif_rotated_thumbnail_is_upright() -> None:
    # Left half red, right half blue, stored with Orientation 6 (rotate 90 clockwise):
    # upright, red is on top and blue at the bottom.
    pixels = np.zeros((120, 200, 3), np.uint8)
    pixels[:, :100] = (255, 0, 0)
    pixels[:, 100:] = (0, 0, 255)
    exif = PILImage.Exif()
    exif[0x0112] = 6
    data = encode(pixels, "JPEG", exif=exif.tobytes(), quality=95)
    settings = Settings(thumbnails={"sizes": [100]})
    result = ThumbnailAnalyzer(settings).analyze(decode_image(data, settings.limits))
    (thumb,) = result.thumbnails
    assert (thumb.width, thumb.height) == (60, 100)
    with PILImage.open(io.BytesIO(thumb.data)) as im:
        upright = np.asarray(im.convert("RGB")).astype(int)
    assert upright[10, 30, 0] > 200 and upright[10, 30, 2] < 60  # top: red
    assert upright[90, 30, 2] > 200 and upright[90, 30, 0] < 60  # bottom: blue


def test_small_image_is_not_upscaled() -> None:
    settings = Settings(thumbnails={"sizes": [256, 1024]})
    image = decode_image(encode(rgb("chelsea.png"), "PNG"), settings.limits)
    result = ThumbnailAnalyzer(settings).analyze(image)
    assert [(t.width, t.height) for t in result.thumbnails] == [(256, 170), (451, 300)]


def test_webp() -> None:
    settings = Settings(thumbnails={"sizes": [128], "format": "webp", "quality": 70})
    image = Image.from_array(rgb("astronaut.png"))
    (thumb,) = ThumbnailAnalyzer(settings).analyze(image).thumbnails
    assert thumb.format == "webp"
    assert thumb.data[:4] == b"RIFF" and thumb.data[8:12] == b"WEBP"
    assert _decoded_size(thumb.data) == (128, 128)


def test_larger_configured_size_decodes_again_from_bytes() -> None:
    # The shared decode is at the class's max_side (1024); a 1600-px thumbnail
    # needs more pixels, which the analyzer takes from the file's bytes.
    settings = Settings(thumbnails={"sizes": [1600]})
    big = np.repeat(np.repeat(rgb("astronaut.png"), 4, axis=0), 4, axis=1)  # 2048 px
    limits = ImageLimits(max_bytes=50_000_000)
    image = decode_image(encode(big), limits, max_side=ThumbnailAnalyzer.max_side)
    assert image.width == 1024
    (thumb,) = ThumbnailAnalyzer(settings).analyze(image).thumbnails
    assert (thumb.width, thumb.height) == (1600, 1600)


@pytest.mark.parametrize("sizes", [[], [8], [20_000]])  # none, too small, too large
def test_bad_sizes_are_refused(sizes: list[int]) -> None:
    with pytest.raises(ValueError, match="thumbnail size"):
        Settings(thumbnails={"sizes": sizes})
