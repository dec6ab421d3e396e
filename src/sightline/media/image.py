"""The decoded image every analyzer receives."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np
from numpy.typing import NDArray

# EXIF orientation tag value -> the rotation applied to display the image upright,
# in Rekognition's OrientationCorrection vocabulary. Mirrored variants report the
# rotation part of their transform.
ORIENTATION_CORRECTION: dict[int, str] = {
    1: "ROTATE_0",
    2: "ROTATE_0",
    3: "ROTATE_180",
    4: "ROTATE_180",
    5: "ROTATE_270",
    6: "ROTATE_90",
    7: "ROTATE_90",
    8: "ROTATE_270",
}


@dataclass(frozen=True)
class ImageInfo:
    """Facts about the file, read from its header.

    ``width`` and ``height`` are the full-resolution size *after* EXIF orientation is
    applied: the frame every analyzer's pixel coordinates refer to.
    """

    format: str
    width: int
    height: int
    mode: str
    byte_size: int
    orientation: int = 1
    exif: bytes | None = None
    frames: int = 1

    @property
    def orientation_correction(self) -> str | None:
        """Rekognition's OrientationCorrection for the EXIF rotation we applied, if any."""
        if self.exif is None:
            return None
        return ORIENTATION_CORRECTION.get(self.orientation, "ROTATE_0")

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6


@dataclass(frozen=True)
class Image:
    """RGB ``uint8`` pixels (H x W x 3), upright, possibly decoded at reduced scale.

    Analyzers may work on fewer pixels than the file holds; they report results in the
    full-resolution frame of :attr:`info` by mapping through :attr:`scale_x` and
    :attr:`scale_y`, so every result of one file shares one coordinate frame.
    """

    pixels: NDArray[np.uint8]
    info: ImageInfo
    source: bytes = field(default=b"", repr=False, compare=False)

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def scale_x(self) -> float:
        """Decoded pixels per full-resolution pixel, horizontally (<= 1)."""
        return self.width / self.info.width

    @property
    def scale_y(self) -> float:
        return self.height / self.info.height

    def fit(self, max_side: int | None) -> Image:
        """This image scaled down so its longer side is at most ``max_side`` pixels."""
        pixels = fit_pixels(self.pixels, max_side)
        return self if pixels is self.pixels else replace(self, pixels=pixels)

    def bgr(self) -> NDArray[np.uint8]:
        """The pixels in OpenCV's BGR channel order (a new contiguous array)."""
        return np.ascontiguousarray(self.pixels[:, :, ::-1])

    def gray(self) -> NDArray[np.uint8]:
        return np.asarray(cv2.cvtColor(self.pixels, cv2.COLOR_RGB2GRAY), dtype=np.uint8)

    @classmethod
    def from_array(cls, pixels: NDArray[np.uint8], format: str = "raw") -> Image:
        """Wrap an in-memory RGB array (video frames, tests) as a full-resolution image."""
        h, w = pixels.shape[:2]
        info = ImageInfo(format=format, width=w, height=h, mode="RGB", byte_size=pixels.nbytes)
        return cls(pixels=np.ascontiguousarray(pixels, dtype=np.uint8), info=info)


def fit_pixels(pixels: NDArray[np.uint8], max_side: int | None) -> NDArray[np.uint8]:
    """``pixels`` (H x W x C) scaled down so the longer side is at most ``max_side``.

    Strong reductions average whole source areas (``INTER_AREA``), which is what
    keeps them free of aliasing. A mild one (factor >= 0.5, as left after libjpeg's
    M/8 DCT scaling, which has already low-pass filtered) is bilinear: at such factors
    it reads the same 2x2 neighbourhoods and costs a fraction of the area filter.
    Returns ``pixels`` itself when nothing needs shrinking.
    """
    height, width = pixels.shape[:2]
    if max_side is None or max(width, height) <= max_side:
        return pixels
    f = max_side / max(width, height)
    size = (max(1, round(width * f)), max(1, round(height * f)))
    method = cv2.INTER_LINEAR if f >= 0.5 else cv2.INTER_AREA
    resized = cv2.resize(pixels, size, interpolation=method)
    return np.ascontiguousarray(resized, dtype=np.uint8)
