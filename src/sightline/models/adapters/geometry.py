"""Pure numpy geometry shared by the adapters: letterbox maps, NMS, 5-point alignment.

Boxes are ``(N, 4)`` float arrays of ``x0, y0, x1, y1`` in pixels unless a name says
otherwise (``cxcywh``). Nothing here runs a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from sightline.analyzers.types import Landmark, Point

F32 = NDArray[np.float32]

# The 5-point face template of the ArcFace family in a 112x112 crop (SFace and the FER
# model are trained on it): image-left eye, image-right eye, nose tip, image-left mouth
# corner, image-right mouth corner. For an upright frontal face the image-left eye is the
# subject's right eye, which is YuNet's landmark order.
FIVE_POINT_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)


@dataclass(frozen=True)
class Letterbox:
    """How an image of ``width`` x ``height`` was fitted into a model input.

    Model-input pixel ``(u, v)`` is image pixel ``((u - pad_x) / ratio, (v - pad_y) / ratio)``.
    """

    ratio: float
    pad_x: float
    pad_y: float
    width: int
    height: int

    def to_image(self, boxes: F32) -> F32:
        """Map ``(N, 4)`` xyxy boxes from model input to image pixels, clipped to the image."""
        out = boxes.astype(np.float32, copy=True)
        out[:, [0, 2]] = (out[:, [0, 2]] - self.pad_x) / self.ratio
        out[:, [1, 3]] = (out[:, [1, 3]] - self.pad_y) / self.ratio
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, self.width)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, self.height)
        return out


def letterbox(
    pixels: NDArray[np.uint8],
    size: tuple[int, int],
    *,
    center: bool = False,
    fill: int = 114,
) -> tuple[NDArray[np.uint8], Letterbox]:
    """Fit ``pixels`` (H x W x C) into ``size`` = (height, width), keeping the aspect ratio.

    The free area is filled with ``fill``; the image sits top-left (YOLOX) or centred
    (YOLOv5/v8, ``center=True``).
    """
    h, w = pixels.shape[:2]
    th, tw = size
    ratio = min(th / h, tw / w)
    nh, nw = max(1, round(h * ratio)), max(1, round(w * ratio))
    resized = cv2.resize(pixels, (nw, nh), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((th, tw, pixels.shape[2]), fill, dtype=np.uint8)
    px, py = ((tw - nw) // 2, (th - nh) // 2) if center else (0, 0)
    canvas[py : py + nh, px : px + nw] = resized
    return canvas, Letterbox(ratio=ratio, pad_x=px, pad_y=py, width=w, height=h)


def cxcywh_to_xyxy(boxes: F32) -> F32:
    half = boxes[:, 2:4] / 2
    return np.concatenate([boxes[:, 0:2] - half, boxes[:, 0:2] + half], axis=1).astype(np.float32)


def nms(
    boxes: F32, scores: F32, iou_threshold: float, max_keep: int | None = None
) -> NDArray[np.intp]:
    """Indices of the boxes kept by greedy non-maximum suppression, best first.

    Stops once ``max_keep`` boxes are kept: the rest could only come after them.
    """
    order = np.argsort(-scores, kind="stable")
    x0, y0, x1, y1 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = np.maximum(x1 - x0, 0) * np.maximum(y1 - y0, 0)
    keep: list[int] = []
    while order.size and (max_keep is None or len(keep) < max_keep):
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        iw = np.maximum(0, np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest]))
        ih = np.maximum(0, np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest]))
        inter = iw * ih
        union = areas[i] + areas[rest] - inter
        iou = np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)
        order = rest[iou <= iou_threshold]
    return np.asarray(keep, dtype=np.intp)


def batched_nms(
    boxes: F32,
    scores: F32,
    classes: NDArray[np.int64],
    iou_threshold: float,
    max_keep: int | None = None,
) -> NDArray[np.intp]:
    """Class-aware NMS: boxes of different classes never suppress each other.

    Each class's boxes are shifted into their own region of the plane, so one NMS pass
    does the work of one per class.
    """
    if boxes.size == 0:
        return np.zeros(0, dtype=np.intp)
    offset = float(boxes.max()) + 1.0
    shifted = boxes + (classes.astype(np.float32) * offset)[:, None]
    return nms(shifted, scores, iou_threshold, max_keep)


def softmax(x: NDArray[np.floating], axis: int = -1) -> F32:
    z: NDArray[np.float64] = np.asarray(x, dtype=np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return np.asarray(e / e.sum(axis=axis, keepdims=True), dtype=np.float32)


def as_probabilities(scores: NDArray[np.floating]) -> F32:
    """Scores of one sample as a distribution: kept if they already are one, else softmax.

    Models are exported with or without their final softmax; a softmax applied twice
    would flatten every confidence towards 1/C, so already-normalised outputs pass through.
    """
    s = np.asarray(scores, dtype=np.float32).reshape(-1)
    if s.min() >= 0 and abs(float(s.sum()) - 1.0) < 1e-3:
        return s
    return softmax(s)


def similarity_transform(src: NDArray[np.floating], dst: NDArray[np.floating]) -> F32:
    """The 2x3 least-squares similarity (rotation, uniform scale, shift) taking src to dst.

    Umeyama's closed form on ``(N, 2)`` point sets; deterministic, unlike RANSAC fits.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    cs, cd = src - mu_s, dst - mu_d
    cov = cd.T @ cs / len(src)
    u, sig, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1  # a reflection is not a similarity: flip the weakest axis
    rot = u @ np.diag(d) @ vt
    var = (cs**2).sum() / len(src)
    scale = float((sig * d).sum() / var) if var > 0 else 1.0
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - scale * rot @ mu_s
    return m.astype(np.float32)


def align_face(
    pixels: NDArray[np.uint8], points: Sequence[Point], size: int = 112
) -> NDArray[np.uint8]:
    """A ``size`` x ``size`` crop of the face whose 5 points (template order) are given.

    ``points`` are in the pixel frame of ``pixels``; the channel order is kept.
    """
    if len(points) != 5:
        raise ValueError(f"face alignment needs 5 points, got {len(points)}")
    src = np.array([[p.x, p.y] for p in points], dtype=np.float64)
    m = similarity_transform(src, FIVE_POINT_TEMPLATE * (size / 112.0))
    crop = cv2.warpAffine(pixels, m, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)
    return np.ascontiguousarray(crop, dtype=np.uint8)


def five_points_from_ibug68(points: Sequence[Point]) -> tuple[Point, ...]:
    """dlib's 68 (iBUG 300-W) landmarks reduced to the 5 template points.

    Eye centres are the means of each eye's six contour points (36-41 is the image-left
    eye); the nose tip is point 30; mouth corners are 48 and 54.
    """
    if len(points) != 68:
        raise ValueError(f"expected 68 landmarks, got {len(points)}")

    def mean(idx: range) -> Point:
        return Point(
            sum(points[i].x for i in idx) / len(idx), sum(points[i].y for i in idx) / len(idx)
        )

    return (mean(range(36, 42)), mean(range(42, 48)), points[30], points[48], points[54])


# Rekognition's landmark types of the 5 template points, in template order. Rekognition
# names sides from the viewer: ``eyeLeft`` is the eye with the smaller x.
FIVE_POINT_TYPES = ("eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight")


def five_points_from_landmarks(landmarks: Sequence[Landmark]) -> tuple[Point, ...]:
    """The 5 template points of a face described by Rekognition landmark types.

    Works on any :class:`~sightline.analyzers.types.Face` from the faces analyzer (its
    ``eyeLeft``/``eyeRight`` are the eye centres), so SFace and FER can run on dlib's
    detections as well as YuNet's.
    """
    at = {lm.type: lm.point for lm in landmarks}
    missing = [t for t in FIVE_POINT_TYPES if t not in at]
    if missing:
        raise ValueError(f"the face lacks the landmarks {missing} needed for alignment")
    return tuple(at[t] for t in FIVE_POINT_TYPES)
