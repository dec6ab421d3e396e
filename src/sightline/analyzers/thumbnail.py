"""Bounded JPEG or WebP thumbnails of the upright image.

Thumbnails are cut from the image as decoded, which is already upright (decoding
applies the EXIF orientation) and already reduced by DCT scaling to the analyzer's
``max_side``: a 24-MP JPEG is never decoded at full size to make a 1024-px preview.
Each smaller thumbnail is resized from the next larger one, so the area filter
averages as few pixels as possible. Images are never upscaled: an image smaller than
a requested bound yields a thumbnail at its own size.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any, ClassVar

import cv2
import numpy as np
import simplejpeg
from numpy.typing import NDArray
from PIL import Image as PILImage
from PIL import __version__ as PILLOW_VERSION

from sightline.analyzers.types import Thumbnail, ThumbnailResult
from sightline.config import Settings
from sightline.media.decode import decode_image
from sightline.media.image import Image


class ThumbnailAnalyzer:
    """Thumbnails at the sizes of ``Settings.thumbnails`` (longest side, pixels)."""

    name: ClassVar[str] = "thumbnail"
    # The default largest thumbnail. A larger configured size is served by decoding
    # the file's bytes again at that size (see analyze), so a caller's shared decode
    # stays as small as the defaults need.
    max_side: ClassVar[int | None] = 1024

    def __init__(self, settings: Settings, pool: Any = None) -> None:
        self.config = settings.thumbnails
        self.limits = settings.limits

    def analyze(self, image: Image, options: Mapping[str, Any] | None = None) -> ThumbnailResult:
        """One thumbnail per configured size, smallest first."""
        sizes = sorted(self.config.sizes)
        pixels = self._pixels_for(image, sizes[-1])
        thumbnails: list[Thumbnail] = []
        for size in reversed(sizes):
            # Sizes come from the full-resolution frame, so rounding does not compound
            # from one thumbnail to the next.
            width, height = bounded_size(image.info.width, image.info.height, size)
            if width < pixels.shape[1]:
                pixels = resize(pixels, width, height)
            thumbnails.append(self._encode(pixels))
        return ThumbnailResult(thumbnails=tuple(reversed(thumbnails)))

    def versions(self) -> dict[str, str]:
        return {
            "simplejpeg" if self.config.format == "jpeg" else "pillow-webp": (
                simplejpeg.__version__ if self.config.format == "jpeg" else PILLOW_VERSION
            )
        }

    def _pixels_for(self, image: Image, largest: int) -> NDArray[np.uint8]:
        """Pixels with a longest side of at least ``largest`` where the file has them."""
        have = max(image.width, image.height)
        could = max(image.info.width, image.info.height)
        if have >= min(largest, could) or not image.source:
            return image.pixels
        # Decoded smaller than a configured thumbnail needs: decode again, still scaled.
        # The bytes already passed the caller's byte limit, so that limit is not re-applied.
        again = decode_image(
            image.source, self.limits, max_side=largest, max_bytes=len(image.source)
        )
        return again.pixels

    def _encode(self, pixels: NDArray[np.uint8]) -> Thumbnail:
        height, width = pixels.shape[:2]
        quality = self.config.quality
        if self.config.format == "jpeg":
            data = bytes(
                simplejpeg.encode_jpeg(
                    np.ascontiguousarray(pixels), quality=quality, colorspace="RGB"
                )
            )
        else:
            buf = io.BytesIO()
            PILImage.fromarray(pixels).save(buf, "WEBP", quality=quality, method=4)
            data = buf.getvalue()
        return Thumbnail(data=data, format=self.config.format, width=width, height=height)


def bounded_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """``width`` x ``height`` scaled so the longest side is at most ``max_side``."""
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    f = max_side / longest
    return max(1, round(width * f)), max(1, round(height * f))


def resize(pixels: NDArray[np.uint8], width: int, height: int) -> NDArray[np.uint8]:
    """``pixels`` (H x W x 3) shrunk to ``width`` x ``height`` with an area filter."""
    out = cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA)
    return np.asarray(out, dtype=np.uint8)
