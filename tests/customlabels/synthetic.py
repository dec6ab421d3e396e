"""A 3-class image dataset generated in code: stripes, dots and checkerboards.

Colours are drawn from the same distribution for every class (so colour alone tells
nothing), and each image varies in orientation, period, size, count, background
gradient, noise and blur, so telling the classes apart takes texture features.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

from tests.conftest import encode

LABELS = ("checker", "dots", "stripes")


def _colour(rng: np.random.Generator) -> NDArray[np.float32]:
    return rng.integers(0, 256, 3).astype(np.float32)


def _background(rng: np.random.Generator, side: int) -> NDArray[np.float32]:
    img = np.ones((side, side, 3), np.float32) * _colour(rng)
    slope = np.linspace(-1, 1, side, dtype=np.float32)[None, :, None] * rng.normal(0, 30, 3)
    return img + slope.astype(np.float32) + rng.normal(0, 12, (side, side, 3)).astype(np.float32)


def _paint(img: NDArray[np.float32], mask: NDArray[np.bool_], rng: np.random.Generator) -> None:
    img[mask] = _colour(rng) + rng.normal(0, 12, (int(mask.sum()), 3))


def stripes(rng: np.random.Generator, side: int) -> NDArray[np.float32]:
    img = _background(rng, side)
    theta, period, width = rng.uniform(0, math.pi), rng.uniform(8, 20), rng.uniform(0.3, 0.6)
    yy, xx = np.mgrid[0:side, 0:side]
    phase = ((xx * math.cos(theta) + yy * math.sin(theta)) / period + rng.uniform()) % 1.0
    _paint(img, phase < width, rng)
    return img


def dots(rng: np.random.Generator, side: int) -> NDArray[np.float32]:
    img = _background(rng, side)
    colour = tuple(float(c) for c in _colour(rng))
    for _ in range(int(rng.integers(6, 20))):
        centre = (int(rng.integers(0, side)), int(rng.integers(0, side)))
        cv2.circle(img, centre, int(rng.integers(4, 12)), colour, -1, lineType=cv2.LINE_AA)
    return img


def checker(rng: np.random.Generator, side: int) -> NDArray[np.float32]:
    img = _background(rng, side)
    theta, period = rng.uniform(0, math.pi / 2), rng.uniform(10, 24)
    yy, xx = np.mgrid[0:side, 0:side]
    u = (xx * math.cos(theta) + yy * math.sin(theta)) / period
    v = (-xx * math.sin(theta) + yy * math.cos(theta)) / period
    _paint(img, ((np.floor(u) + np.floor(v)) % 2) == 0, rng)
    return img


GENERATORS = {"checker": checker, "dots": dots, "stripes": stripes}


def image(label: str, rng: np.random.Generator, side: int = 96) -> NDArray[np.uint8]:
    """One RGB image of ``label``."""
    pixels = np.clip(GENERATORS[label](rng, side), 0, 255).astype(np.uint8)
    return np.asarray(cv2.GaussianBlur(pixels, (3, 3), rng.uniform(0.1, 1.2)), dtype=np.uint8)


def dataset(per_class: int = 40, side: int = 96, seed: int = 7) -> list[tuple[str, bytes]]:
    """``(label, JPEG bytes)`` for ``per_class`` images of each label."""
    rng = np.random.default_rng(seed)
    return [
        (label, encode(image(label, rng, side), "JPEG", quality=90))
        for label in LABELS
        for _ in range(per_class)
    ]
