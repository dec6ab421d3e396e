"""Small distinct images generated in code for pipeline tests."""

from __future__ import annotations

import numpy as np

from tests.conftest import encode


def distinct_jpeg(i: int, size: int = 96) -> bytes:
    """A ``size`` x ``size`` JPEG whose colour and pattern depend on ``i``."""
    rng = np.random.default_rng(i)
    base = rng.integers(0, 256, size=3, dtype=np.uint8)
    pixels = np.empty((size, size, 3), np.uint8)
    pixels[:] = base
    pixels[(i % size) :, : (i * 7) % size] = 255 - base
    return encode(pixels, "JPEG", quality=80)
