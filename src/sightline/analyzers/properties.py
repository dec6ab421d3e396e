"""Rekognition's ImageProperties: quality, dominant colours, foreground and background.

Pure functions of an RGB ``uint8`` array (H x W x 3). What each figure measures:

- **Brightness** (0-100): mean Rec. 601 luma, scaled from 0-255.
- **Sharpness** (0-100): variance of the Laplacian of the luma at a fixed working size
  (longest side 512 px, so the figure does not depend on the file's resolution), on a
  log scale: ``100 * log10(1 + var) / log10(1 + 2000)``, clamped. A crisp photograph
  scores 75-95, a Gaussian blur of sigma 2 about 30, a flat image 0.
- **Contrast** (0-100): the spread between the 2nd and 98th percentiles of luma,
  scaled from 0-255 (robust to a few stray black or white pixels).
- **Dominant colours**: k-means (k-means++ seeding with a fixed seed, so results are
  deterministic) in CIELAB on pixels sampled on a grid of at most 128 x 128 (sampled,
  not averaged, so edges do not invent blended colours). Each cluster
  is named by its nearest CSS colour (:mod:`sightline.analyzers.colors`); clusters that
  share a CSS name are merged, so a name appears once, as in Rekognition's responses.
  Red/Green/Blue/HexCode are the cluster's mean colour; PixelPercent is its share of
  the region's pixels.
- **Foreground/background**: OpenCV's GrabCut on the image shrunk to 128 px, seeded
  either from subject boxes (faces, people, detections: box interiors probable
  foreground, their cores sure foreground) or, without subjects, from a spectral
  residual saliency map (Hou & Zhang, 2007) blended with a centre prior; the image's
  outer frame, where it is not salient, is sure background. It is a classical,
  unsupervised segmentation: good on a subject against a plain or distinct
  background, rough on cluttered scenes. When it degenerates (almost nothing or almost
  everything in the foreground) no foreground/background is reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

import cv2
import numpy as np
from numpy.typing import NDArray

from sightline.analyzers.colors import CSS_BY_NAME, hex_code, nearest_css, rgb_to_lab
from sightline.analyzers.types import (
    Box,
    DominantColor,
    ImageProperties,
    ImageQuality,
    RegionProperties,
)

QUALITY_SIDE = 512
COLOR_SIDE = 128
SEGMENT_SIDE = 128
DEFAULT_MAX_COLORS = 10  # Rekognition's default MaxDominantColors
_CLUSTERS = 12
_SHARPNESS_TOP = math.log10(1 + 2000.0)
_MIN_REGION = 0.005  # a foreground under 0.5% (or background under 0.5%) is degenerate

Pixels = NDArray[np.uint8]
Mask = NDArray[np.bool_]
_Array = TypeVar("_Array", Pixels, Mask)


def image_properties(
    pixels: Pixels,
    *,
    max_colors: int = DEFAULT_MAX_COLORS,
    subjects: Sequence[Box] = (),
) -> ImageProperties:
    """Quality and dominant colours of the whole image, its foreground and background.

    Args:
        pixels: RGB uint8, H x W x 3.
        max_colors: at most this many dominant colours per region (0-20).
        subjects: boxes of known subjects **in the coordinates of ``pixels``**; they
            seed the foreground segmentation when given.
    """
    work = _shrink(pixels, QUALITY_SIDE)
    quality = image_quality(work)
    colors = dominant_colors(work, max_colors=max_colors)
    foreground = foreground_mask(pixels, subjects=subjects)
    if foreground is None:
        return ImageProperties(quality=quality, dominant_colors=colors)
    mask = _resize_mask(foreground, work.shape[1], work.shape[0])
    if not mask.any() or mask.all():
        return ImageProperties(quality=quality, dominant_colors=colors)
    return ImageProperties(
        quality=quality,
        dominant_colors=colors,
        foreground=RegionProperties(
            quality=image_quality(work, mask),
            dominant_colors=dominant_colors(work, mask, max_colors=max_colors),
        ),
        background=RegionProperties(
            quality=image_quality(work, ~mask),
            dominant_colors=dominant_colors(work, ~mask, max_colors=max_colors),
        ),
    )


def image_quality(pixels: Pixels, mask: Mask | None = None) -> ImageQuality:
    """Brightness, sharpness and contrast (each 0-100) of ``pixels`` within ``mask``."""
    gray = cv2.cvtColor(_shrink(pixels, QUALITY_SIDE), cv2.COLOR_RGB2GRAY)
    if mask is not None:
        mask = _resize_mask(mask, gray.shape[1], gray.shape[0])
    values = gray[mask] if mask is not None else gray.ravel()
    if values.size == 0:
        return ImageQuality(brightness=0.0, sharpness=0.0, contrast=0.0)
    brightness = float(values.mean()) / 255.0 * 100.0
    low, high = np.percentile(values, [2, 98])
    contrast = float(high - low) / 255.0 * 100.0
    laplacian = cv2.Laplacian(gray.astype(np.float32), cv2.CV_32F)
    if mask is not None:
        # Skip the region's rim: the edge between foreground and background is not
        # detail of either.
        inner = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        edges = laplacian[inner] if inner.any() else laplacian[mask]
    else:
        edges = laplacian.ravel()
    variance = float(edges.var()) if edges.size else 0.0
    sharpness = min(100.0, 100.0 * math.log10(1.0 + variance) / _SHARPNESS_TOP)
    return ImageQuality(brightness=brightness, sharpness=sharpness, contrast=contrast)


def dominant_colors(
    pixels: Pixels, mask: Mask | None = None, *, max_colors: int = DEFAULT_MAX_COLORS
) -> tuple[DominantColor, ...]:
    """The region's dominant colours, largest share first (see the module docstring)."""
    if max_colors <= 0:
        return ()
    small = _sample(pixels, COLOR_SIDE)
    if mask is not None:
        if mask.shape == pixels.shape[:2]:
            mask = _sample(mask, COLOR_SIDE)  # the same grid as the pixels
        mask = _resize_mask(mask, small.shape[1], small.shape[0])
        samples = small[mask]
    else:
        samples = small.reshape(-1, 3)
    if len(samples) == 0:
        return ()
    rgb = samples.astype(np.float32)
    labels, k = _kmeans(rgb_to_lab(rgb), _CLUSTERS)
    groups: list[tuple[NDArray[np.float64], int]] = []
    for cluster in range(k):
        members = rgb[labels == cluster]
        if len(members):
            groups.append((members.sum(axis=0, dtype=np.float64), len(members)))
    named = _merge_by_name(groups)
    colors = []
    for name, (total, count) in named.items():
        red, green, blue = (round(v) for v in total / count)
        css = CSS_BY_NAME[name]
        colors.append(
            DominantColor(
                red=red,
                green=green,
                blue=blue,
                hex_code=hex_code((red, green, blue)),
                css_color=css.name,
                simplified_color=css.simplified,
                pixel_percent=100.0 * count / len(samples),
            )
        )
    colors.sort(key=lambda c: -c.pixel_percent)
    return tuple(colors[:max_colors])


def _merge_by_name(
    groups: list[tuple[NDArray[np.float64], int]],
) -> dict[str, tuple[NDArray[np.float64], int]]:
    """Merge colour groups (RGB sum, count) whose means share a nearest CSS colour.

    Merging moves a mean, which may change its name, so this repeats until every
    group's mean names a different CSS colour.
    """
    while True:
        named: dict[str, tuple[NDArray[np.float64], int]] = {}
        for total, count in groups:
            mean = total / count
            name = nearest_css((float(mean[0]), float(mean[1]), float(mean[2]))).name
            if name in named:
                total, count = named[name][0] + total, named[name][1] + count
            named[name] = (total, count)
        if len(named) == len(groups):
            return named
        groups = list(named.values())


def box_colors(
    pixels: Pixels, box: Box, *, max_colors: int = DEFAULT_MAX_COLORS
) -> tuple[DominantColor, ...]:
    """Dominant colours inside ``box``, given in the coordinates of ``pixels``."""
    height, width = pixels.shape[:2]
    b = box.clipped(width, height)
    x0, y0 = math.floor(b.x0), math.floor(b.y0)
    x1, y1 = math.ceil(b.x1), math.ceil(b.y1)
    if x1 - x0 < 1 or y1 - y0 < 1:
        return ()
    return dominant_colors(pixels[y0:y1, x0:x1], max_colors=max_colors)


def foreground_mask(pixels: Pixels, *, subjects: Sequence[Box] = ()) -> Mask | None:
    """A boolean H x W mask of the foreground of ``pixels``, or None when degenerate.

    ``subjects`` are boxes in the coordinates of ``pixels``. See the module docstring
    for the method.
    """
    height, width = pixels.shape[:2]
    work = _shrink(pixels, SEGMENT_SIDE)
    h, w = work.shape[:2]
    if min(h, w) < 8:
        return None
    if float(cv2.cvtColor(work, cv2.COLOR_RGB2GRAY).std()) < 1.0:
        return None  # a flat image has no subject to separate
    sx, sy = w / width, h / height
    boxes = [b.scaled(sx, sy).clipped(w, h) for b in subjects]
    boxes = [b for b in boxes if b.width >= 1 and b.height >= 1]
    seeds = _seed_from_boxes(h, w, boxes) if boxes else _seed_from_saliency(work)
    if not (
        np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD)).any()
        and np.isin(seeds, (cv2.GC_BGD, cv2.GC_PR_BGD)).any()
    ):
        return None
    background_model = np.zeros((1, 65), np.float64)
    foreground_model = np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(
            np.ascontiguousarray(work[:, :, ::-1]),
            seeds,
            (0, 0, w, h),  # ignored: the mask initialises GrabCut
            background_model,
            foreground_model,
            3,
            cv2.GC_INIT_WITH_MASK,
        )
    except cv2.error:  # e.g. a flat image: GrabCut cannot fit its colour models
        return None
    foreground = (seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)
    share = float(foreground.mean())
    if share < _MIN_REGION or share > 1.0 - _MIN_REGION:
        return None
    return _resize_mask(foreground, width, height)


def _seed_from_boxes(h: int, w: int, boxes: list[Box]) -> NDArray[np.uint8]:
    seeds = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    for b in boxes:
        seeds[int(b.y0) : math.ceil(b.y1), int(b.x0) : math.ceil(b.x1)] = cv2.GC_PR_FGD
    for b in boxes:
        # The middle half of each box is taken as certainly the subject.
        cx, cy, qw, qh = b.center.x, b.center.y, b.width / 4, b.height / 4
        y0, y1 = int(cy - qh), max(int(cy - qh) + 1, math.ceil(cy + qh))
        x0, x1 = int(cx - qw), max(int(cx - qw) + 1, math.ceil(cx + qw))
        seeds[y0:y1, x0:x1] = cv2.GC_FGD
    frame = _frame(h, w)
    seeds[frame & (seeds == cv2.GC_PR_BGD)] = cv2.GC_BGD
    return seeds


def _seed_from_saliency(work: Pixels) -> NDArray[np.uint8]:
    h, w = work.shape[:2]
    saliency = spectral_residual(np.asarray(cv2.cvtColor(work, cv2.COLOR_RGB2GRAY), np.uint8))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    centre = np.exp(-(((xx - w / 2) / (0.35 * w)) ** 2 + ((yy - h / 2) / (0.35 * h)) ** 2) / 2)
    score = 0.6 * saliency + 0.4 * centre
    probable = score >= np.quantile(score, 0.6)
    seeds = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    seeds[probable] = cv2.GC_PR_FGD
    seeds[score >= np.quantile(score, 0.96)] = cv2.GC_FGD
    seeds[_frame(h, w) & ~probable] = cv2.GC_BGD
    return seeds


def spectral_residual(gray: NDArray[np.uint8]) -> NDArray[np.float32]:
    """Spectral-residual saliency (Hou & Zhang, 2007), 0-1, the size of ``gray``."""
    small = cv2.resize(gray, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32)
    spectrum = np.fft.fft2(small)
    log_amplitude = np.log(np.abs(spectrum) + 1e-8)
    residual = log_amplitude - cv2.blur(log_amplitude.astype(np.float32), (3, 3))
    saliency = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    saliency = cv2.GaussianBlur(saliency.astype(np.float32), (0, 0), 2.5)
    saliency = cv2.resize(saliency, (gray.shape[1], gray.shape[0]))
    top = float(saliency.max())
    return np.asarray(saliency / top if top > 0 else saliency, dtype=np.float32)


def _kmeans(lab: NDArray[np.float32], k: int, iterations: int = 12) -> tuple[NDArray[np.intp], int]:
    """Cluster labels of ``lab`` (N x 3) and the number of clusters actually used.

    k-means++ seeding from a fixed seed; fewer than ``k`` clusters when the data has
    fewer distinct colours.
    """
    rng = np.random.default_rng(0)
    centres = [lab[int(rng.integers(len(lab)))]]
    nearest = np.sum((lab - centres[0]) ** 2, axis=1)
    while len(centres) < k:
        total = float(nearest.sum())
        if total <= 1e-6:
            break  # every point coincides with a centre
        choice = int(rng.choice(len(lab), p=nearest / total))
        centres.append(lab[choice])
        nearest = np.minimum(nearest, np.sum((lab - lab[choice]) ** 2, axis=1))
    c = np.array(centres, dtype=np.float32)
    labels = np.zeros(len(lab), dtype=np.intp)
    for _ in range(iterations):
        distances = ((lab[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
        new_labels = np.argmin(distances, axis=1)
        if np.array_equal(new_labels, labels) and _ > 0:
            break
        labels = new_labels
        for j in range(len(c)):
            members = lab[labels == j]
            if len(members):
                c[j] = members.mean(axis=0)
    return labels, len(c)


def _frame(h: int, w: int) -> Mask:
    width = max(2, round(0.03 * min(h, w)))
    frame = np.zeros((h, w), dtype=bool)
    frame[:width] = frame[-width:] = True
    frame[:, :width] = frame[:, -width:] = True
    return frame


def _shrink(pixels: Pixels, side: int) -> Pixels:
    height, width = pixels.shape[:2]
    longest = max(width, height)
    if longest <= side:
        return pixels
    f = side / longest
    size = (max(1, round(width * f)), max(1, round(height * f)))
    return np.asarray(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _sample(pixels: _Array, side: int) -> _Array:
    """Every n-th pixel, so the longest side is at most ``side``.

    Nearest-neighbour sampling, not an area filter: averaging would invent colours
    (blends along every edge) that the image does not contain.
    """
    height, width = pixels.shape[:2]
    step = max(1, math.ceil(max(width, height) / side))
    return pixels[step // 2 :: step, step // 2 :: step]


def _resize_mask(mask: Mask, width: int, height: int) -> Mask:
    if mask.shape == (height, width):
        return mask
    resized = cv2.resize(mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
    return np.asarray(resized, dtype=bool)
