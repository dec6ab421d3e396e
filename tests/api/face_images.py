"""Real face images for the collection tests of both APIs, made from the samples in code."""

from __future__ import annotations

import numpy as np
from PIL import Image as PILImage

from tests.conftest import encode, rgb


def astronaut_copy() -> bytes:
    """astronaut.png rotated 5 degrees and scaled to 75%, as a JPEG: the same person.

    (Larger rotations make dlib see a second, false face on the suit's patch.)
    """
    pil = PILImage.fromarray(rgb("astronaut.png")).rotate(5, resample=PILImage.Resampling.BICUBIC)
    pil = pil.resize((384, 384), PILImage.Resampling.LANCZOS)
    return encode(np.asarray(pil), "JPEG", quality=85)


def mirrored_astronaut() -> bytes:
    return encode(np.ascontiguousarray(rgb("astronaut.png")[:, ::-1]), "PNG")


def two_people() -> bytes:
    """astronaut.png and grace_hopper.jpg side by side (grace_hopper's face is larger)."""
    both = np.zeros((600, 1024, 3), np.uint8)
    both[:512, :512], both[:, 512:] = rgb("astronaut.png"), rgb("grace_hopper.jpg")
    return encode(both, "PNG")
