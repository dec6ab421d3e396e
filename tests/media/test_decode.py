"""Decoding: formats by magic bytes, orientation, limits and hostile input."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image as PILImage

from sightline.config import ImageLimits
from sightline.errors import (
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidImageFormatError,
)
from sightline.media.decode import decode_image, probe_image
from tests.conftest import encode, rgb, sample_bytes

LIMITS = ImageLimits()


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (a decompression bomb)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"])
def test_formats_decode_to_rgb(fmt: str) -> None:
    pixels = rgb("chelsea.png")
    image = decode_image(encode(pixels, fmt), LIMITS)
    assert image.pixels.shape == pixels.shape
    assert image.pixels.dtype == np.uint8
    assert image.info.format == fmt.lower()


def test_format_comes_from_bytes_not_name() -> None:
    image = decode_image(sample_bytes("astronaut.png"), LIMITS)
    assert image.info.format == "png"


@pytest.mark.parametrize(
    ("orientation", "correction"),
    [(1, "ROTATE_0"), (3, "ROTATE_180"), (6, "ROTATE_90"), (8, "ROTATE_270")],
)
def test_exif_orientation_is_applied_and_reported(orientation: int, correction: str) -> None:
    pixels = rgb("chelsea.png")  # 451 wide, 300 high
    exif = PILImage.Exif()
    exif[0x0112] = orientation
    image = decode_image(encode(pixels, "JPEG", exif=exif.tobytes()), LIMITS)
    assert image.info.orientation_correction == correction
    expected = (300, 451) if orientation in (1, 3) else (451, 300)
    assert (image.height, image.width) == expected
    assert (image.info.height, image.info.width) == expected


def test_no_exif_reports_no_correction() -> None:
    image = decode_image(encode(rgb("chelsea.png"), "PNG"), LIMITS)
    assert image.info.orientation_correction is None


def test_scaled_decode_fits_max_side_and_keeps_full_frame() -> None:
    big = np.repeat(np.repeat(rgb("astronaut.png"), 4, axis=0), 4, axis=1)  # 2048 px
    image = decode_image(encode(big, "JPEG"), ImageLimits(max_bytes=50_000_000), max_side=640)
    assert max(image.width, image.height) == 640
    assert (image.info.width, image.info.height) == (2048, 2048)
    assert image.scale_x == pytest.approx(640 / 2048)


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        (b"", InvalidImageFormatError, "empty"),  # zero bytes
        (b"just some text\n", InvalidImageFormatError, "text"),  # text named .jpg
        (b"%PDF-1.7 ...", InvalidImageFormatError, "PDF"),  # a document
        (_png_header_only(30000, 30000), ImageTooLargeError, "megapixels"),  # bomb
        (_png_header_only(12000, 100), ImageTooLargeError, "largest side"),  # too wide
    ],
)
def test_bad_input_is_a_typed_error(data: bytes, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        decode_image(data, LIMITS)


def test_truncated_jpeg() -> None:
    data = encode(rgb("astronaut.png"), "JPEG")
    with pytest.raises(InvalidImageFormatError, match=r"truncated|Premature"):
        decode_image(data[: len(data) // 2], LIMITS)


def test_tiny_image() -> None:
    with pytest.raises(ImageTooSmallError, match="at least 80"):
        decode_image(encode(np.zeros((9, 9, 3), np.uint8), "PNG"), LIMITS)


def test_byte_limit() -> None:
    data = sample_bytes("astronaut.png")
    with pytest.raises(ImageTooLargeError, match="bytes"):
        decode_image(data, LIMITS, max_bytes=1000)


def test_probe_reads_header_only() -> None:
    info = probe_image(_png_header_only(4000, 3000), LIMITS)
    assert (info.width, info.height, info.format) == (4000, 3000, "png")


def test_transparent_png_reads_white() -> None:
    rgba = np.zeros((100, 100, 4), np.uint8)
    image = decode_image(encode(rgba, "PNG"), LIMITS)
    assert image.pixels.min() == 255
