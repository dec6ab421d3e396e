"""Image features for custom-label classifiers: the offline default extractor.

Training and inference call the same function on the same input: the file's bytes are
decoded by :func:`sightline.media.decode.decode_image` (scaled decoding capped at
:data:`DECODE_SIDE`), the upright RGB pixels are resized to :data:`SIDE` x :data:`SIDE`
with area interpolation, and :meth:`HandcraftedExtractor.extract` turns them into one
float32 vector. The extractor's :attr:`~HandcraftedExtractor.id` is written into every
trained model; a model is only ever run with the extractor of the same id (see
:mod:`sightline.customlabels.extractors`), so the features it sees at inference are the
features it was trained on.

The vector (316 values) is the concatenation of, in order:

=====================  ====  ============================================================
block                  dims  what it measures
=====================  ====  ============================================================
HSV histogram            72  colour: 8 hues x 3 saturations x 3 values, sums to 1
Lab moments               6  mean and standard deviation of L, a, b (0-1)
Lab layout               12  mean L, a, b of each quarter (top-left, top-right, ...)
LBP                      30  texture: rotation-invariant uniform local binary patterns
                             (10 codes) at radius 1 and 2, and radius 2 at half size
Gabor                    21  texture: per scale (wavelength 4, 8, 16 px), the energy of
                             6 orientations rolled to start at the strongest (rotation
                             invariant), normalised, plus the scale's total energy
spectrum                 21  periodicity: Fourier power in 8 log-spaced radial bands and
                             12 orientations (rolled to the strongest), and its peak
                             over mean (anisotropy)
HOG                     153  shape: gradient orientation histograms (9 unsigned bins) of
                             a 4x4 grid of cells, each L2-normalised, plus the whole
                             image's orientation histogram
edges                     1  fraction of Canny edge pixels
=====================  ====  ============================================================

Everything is numpy and OpenCV; nothing depends on scikit-image.
"""

from __future__ import annotations

import math
from functools import cached_property

import cv2
import numpy as np
from numpy.typing import NDArray

from sightline.config import ImageLimits, Settings
from sightline.media.decode import decode_image

SIDE = 128  # features are computed on SIDE x SIDE pixels
DECODE_SIDE = 2 * SIDE  # JPEGs larger than this decode at reduced DCT scale first
HANDCRAFTED_ID = "sightline-handcrafted-v1"

_HUES, _SATS, _VALS = 8, 3, 3
_GABOR_WAVELENGTHS = (4.0, 8.0, 16.0)
_GABOR_ORIENTATIONS = 6
_SPECTRUM_RADII, _SPECTRUM_ANGLES = 8, 12
_HOG_GRID, _HOG_BINS = 4, 9
_EPS = 1e-9


def custom_label_limits(settings: Settings) -> ImageLimits:
    """The image limits for custom labels: the configured ones, with the smaller minimum
    side Rekognition Custom Labels accepts."""
    limits = settings.limits
    return limits.model_copy(
        update={"min_side": min(limits.min_side, settings.customlabels.min_image_side)}
    )


def decode_for_features(data: bytes, limits: ImageLimits) -> NDArray[np.uint8]:
    """The file's upright RGB pixels, decoded at no more than :data:`DECODE_SIDE`.

    Raises what :func:`decode_image` raises (invalid format, too large, too small).
    """
    return decode_image(
        data, limits, max_side=DECODE_SIDE, max_bytes=limits.max_object_bytes
    ).pixels


def square(pixels: NDArray[np.uint8], side: int = SIDE) -> NDArray[np.uint8]:
    """``pixels`` resized (not cropped: the whole image counts) to ``side`` x ``side``."""
    h, w = pixels.shape[:2]
    interp = cv2.INTER_AREA if h >= side and w >= side else cv2.INTER_LINEAR
    out = cv2.resize(pixels, (side, side), interpolation=interp)
    return np.ascontiguousarray(out, dtype=np.uint8)


class HandcraftedExtractor:
    """Colour, texture and gradient features (the table in the module docstring)."""

    id = HANDCRAFTED_ID
    dims = 316

    def extract(self, pixels: NDArray[np.uint8]) -> NDArray[np.float32]:
        """One image's feature vector (``dims`` float32) from RGB ``H x W x 3`` pixels."""
        img = square(pixels)
        gray = np.asarray(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
        half = np.asarray(
            cv2.resize(gray, (SIDE // 2, SIDE // 2), interpolation=cv2.INTER_AREA), dtype=np.uint8
        )
        grayf = gray.astype(np.float32) / 255.0
        parts = [
            _hsv_histogram(img),
            *_lab_moments(img),
            _lbp_histogram(gray, 1),
            _lbp_histogram(gray, 2),
            _lbp_histogram(half, 2),
            self._gabor(grayf),
            _spectrum(grayf),
            _hog(grayf),
            np.array([float(np.count_nonzero(cv2.Canny(gray, 50, 150))) / gray.size]),
        ]
        out = np.concatenate([np.asarray(p, dtype=np.float32).ravel() for p in parts])
        if out.shape != (self.dims,):  # a wrong layout must never reach a trained model
            raise AssertionError(f"feature vector has {out.shape[0]} values, expected {self.dims}")
        return out

    def extract_many(self, images: list[NDArray[np.uint8]]) -> NDArray[np.float32]:
        """``N x dims`` features of ``images`` (each RGB ``H x W x 3``)."""
        if not images:
            return np.zeros((0, self.dims), np.float32)
        return np.stack([self.extract(p) for p in images])

    @cached_property
    def _gabor_bank(self) -> list[list[NDArray[np.float32]]]:
        # Zero-mean, L1-normalised kernels, so flat regions give no energy and each
        # scale's energies are comparable.
        bank = []
        for lam in _GABOR_WAVELENGTHS:
            row = []
            for k in range(_GABOR_ORIENTATIONS):
                theta = k * math.pi / _GABOR_ORIENTATIONS
                kern = cv2.getGaborKernel(
                    (21, 21), 0.56 * lam, theta, lam, 0.5, 0, ktype=cv2.CV_32F
                )
                kern = kern - kern.mean()
                row.append((kern / np.abs(kern).sum()).astype(np.float32))
            bank.append(row)
        return bank

    def _gabor(self, grayf: NDArray[np.float32]) -> NDArray[np.float32]:
        out: list[float] = []
        for row in self._gabor_bank:
            energy = np.array(
                [float(np.abs(cv2.filter2D(grayf, cv2.CV_32F, k)).mean()) for k in row]
            )
            total = float(energy.sum()) + _EPS
            out.extend(np.roll(energy, -int(np.argmax(energy))) / total)
            out.append(total)
        return np.asarray(out, np.float32)


def _hsv_histogram(img: NDArray[np.uint8]) -> NDArray[np.float32]:
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist(
        [hsv], [0, 1, 2], None, [_HUES, _SATS, _VALS], [0, 180, 0, 256, 0, 256]
    ).ravel()
    return np.asarray(hist / max(float(hist.sum()), _EPS), np.float32)


def _lab_moments(img: NDArray[np.uint8]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    lab = cv2.cvtColor(img, cv2.COLOR_RGB2LAB).astype(np.float32) / 255.0
    flat = lab.reshape(-1, 3)
    moments = np.concatenate([flat.mean(0), flat.std(0)])
    h, w = lab.shape[:2]
    quarters = [
        lab[: h // 2, : w // 2],
        lab[: h // 2, w // 2 :],
        lab[h // 2 :, : w // 2],
        lab[h // 2 :, w // 2 :],
    ]
    layout = np.concatenate([q.reshape(-1, 3).mean(0) for q in quarters])
    return moments.astype(np.float32), layout.astype(np.float32)


def _lbp_histogram(gray: NDArray[np.uint8], r: int) -> NDArray[np.float32]:
    """Rotation-invariant uniform LBP (P=8 on the square of radius ``r``): codes 0-8
    count the neighbours at least as bright as the centre for patterns with at most two
    0/1 transitions around the ring; code 9 collects the rest."""
    g = gray.astype(np.int16)
    h, w = g.shape
    centre = g[r : h - r, r : w - r]
    ring = [(-r, -r), (-r, 0), (-r, r), (0, r), (r, r), (r, 0), (r, -r), (0, -r)]
    bits = np.stack(
        [
            (g[r + dy : h - r + dy, r + dx : w - r + dx] >= centre).astype(np.uint8)
            for dy, dx in ring
        ]
    )
    ones = bits.sum(0)
    transitions = (bits != np.roll(bits, 1, axis=0)).sum(0)
    codes = np.where(transitions <= 2, ones, 9)
    hist = np.bincount(codes.ravel(), minlength=10).astype(np.float32)
    return hist / max(float(hist.sum()), _EPS)


def _spectrum(grayf: NDArray[np.float32]) -> NDArray[np.float32]:
    side = grayf.shape[0]
    window = np.outer(np.hanning(side), np.hanning(side)).astype(np.float32)
    power = np.fft.fftshift(np.abs(np.fft.fft2((grayf - grayf.mean()) * window)) ** 2)
    yy, xx = np.mgrid[0:side, 0:side] - side // 2
    radius = np.sqrt(xx * xx + yy * yy)
    valid = (radius >= 2) & (radius < side // 2)
    # Log-spaced radial bands from 2 cycles per image to the Nyquist limit.
    band = (np.log2(np.maximum(radius, 1.0)) - 1) / (math.log2(side // 2) - 1) * _SPECTRUM_RADII
    band_i = np.clip(band.astype(np.int64), 0, _SPECTRUM_RADII - 1)
    angle = (np.arctan2(yy, xx) % np.pi) / np.pi * _SPECTRUM_ANGLES
    angle_i = np.clip(angle.astype(np.int64), 0, _SPECTRUM_ANGLES - 1)
    p = power[valid]
    radial = np.bincount(band_i[valid], p, minlength=_SPECTRUM_RADII)
    radial = radial / (radial.sum() + _EPS)
    angular = np.bincount(angle_i[valid], p, minlength=_SPECTRUM_ANGLES)
    angular = angular / (angular.sum() + _EPS)
    angular = np.roll(angular, -int(np.argmax(angular)))
    peak = angular.max() / (angular.mean() + _EPS)
    return np.concatenate([radial, angular, [peak]]).astype(np.float32)


def _hog(grayf: NDArray[np.float32]) -> NDArray[np.float32]:
    gx = cv2.Sobel(grayf, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grayf, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.sqrt(gx * gx + gy * gy)
    position = (np.arctan2(gy, gx) % np.pi) / np.pi * _HOG_BINS
    low = np.floor(position)
    frac = position - low
    b0 = low.astype(np.int64) % _HOG_BINS
    b1 = (b0 + 1) % _HOG_BINS
    h, w = grayf.shape
    cell = (np.arange(h) * _HOG_GRID // h)[:, None] * _HOG_GRID + (np.arange(w) * _HOG_GRID // w)[
        None, :
    ]
    n = _HOG_GRID * _HOG_GRID * _HOG_BINS
    # Each gradient votes into its two nearest orientation bins (linear interpolation).
    hist = np.bincount((cell * _HOG_BINS + b0).ravel(), (magnitude * (1 - frac)).ravel(), n)
    hist += np.bincount((cell * _HOG_BINS + b1).ravel(), (magnitude * frac).ravel(), n)
    cells = hist.reshape(_HOG_GRID * _HOG_GRID, _HOG_BINS)
    cells = cells / (np.linalg.norm(cells, axis=1, keepdims=True) + 1e-6)
    whole = cells.sum(0)
    whole = whole / (whole.sum() + 1e-6)
    return np.concatenate([cells.ravel(), whole]).astype(np.float32)
