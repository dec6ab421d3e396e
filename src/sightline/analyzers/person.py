"""The ``person`` analyzer: OpenCV's HOG pedestrian detector, cheap enough to gate video.

HOG slides a 64x128 window over an image pyramid and scores each position with the
Dalal-Triggs linear SVM trained on INRIA pedestrians: upright, whole people, at least
128 px tall at working scale (20 % of the 640-px working side). It misses sitting,
partial and small people and fires on some upright clutter, so it is a cheap gate and a
"Person" cue, not a general person detector.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import cv2
import numpy as np
from numpy.typing import NDArray

from sightline.analyzers.types import Box, Person, PersonResult
from sightline.config import Settings
from sightline.errors import ModelNotInstalledError
from sightline.media.image import Image

if TYPE_CHECKING:
    from sightline.analyzers.base import AnalyzerPool

# INRIA windows hold a 96-px person with a 16-px margin on every side of the 64x128
# window: trimming it makes the box hug the person, as Rekognition's Instances do.
_TRIM_X = 16 / 64
_TRIM_Y = 16 / 128
# Overlapping windows of one person: suppress by IoU (trimmed boxes are narrow, so
# 0.3 already means one body), and a window mostly inside a stronger one (a torso
# window inside a whole-body window).
NMS_IOU = 0.3
NMS_CONTAINED = 0.8
# SVM margin -> confidence: 1 / (1 + exp(-3 (m - 0.5))). The margins of this SVM are
# poorly separated (on our samples true people score 0.5-2, upright clutter up to
# ~1.2), so 0.5 reads 50 %, 1 reads 82 %, 2 reads 99 %.
CONFIDENCE_SLOPE = 3.0
CONFIDENCE_MIDPOINT = 0.5


def hog_person_confidence(margin: float) -> float:
    """The HOG people SVM's margin mapped monotonically to 0-1."""
    return 1.0 / (1.0 + math.exp(-CONFIDENCE_SLOPE * (margin - CONFIDENCE_MIDPOINT)))


def nms(
    boxes: NDArray[np.float64], scores: NDArray[np.float64], iou: float, contained: float
) -> list[int]:
    """Indices of the boxes kept by greedy non-maximum suppression, strongest first.

    ``boxes`` is ``(N, 4)`` as ``x0, y0, x1, y1``. A box is dropped when its IoU with
    a kept box exceeds ``iou`` or when more than ``contained`` of its own area lies
    inside a kept box.
    """
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept: list[int] = []
    for i in order:
        suppressed = False
        for k in kept:
            iw = min(boxes[i, 2], boxes[k, 2]) - max(boxes[i, 0], boxes[k, 0])
            ih = min(boxes[i, 3], boxes[k, 3]) - max(boxes[i, 1], boxes[k, 1])
            inter = max(iw, 0.0) * max(ih, 0.0)
            union = areas[i] + areas[k] - inter
            if (union > 0 and inter / union > iou) or (
                areas[i] > 0 and inter / areas[i] > contained
            ):
                suppressed = True
                break
        if not suppressed:
            kept.append(i)
    return kept


class PersonAnalyzer:
    """Upright people as boxes in the full-resolution frame, strongest first."""

    name: ClassVar[str] = "person"
    # 640 px: a 640x427 frame costs ~70-90 ms on one core with the 1.05 pyramid step
    # (~45 ms on two); people must be at least 128 px tall at this scale.
    max_side: ClassVar[int | None] = 640

    def __init__(self, settings: Settings, pool: AnalyzerPool | None = None) -> None:
        self._min_score = settings.person_detection.min_score
        self._scale = settings.person_detection.scale
        if not hasattr(cv2, "HOGDescriptor_getDefaultPeopleDetector"):
            raise ModelNotInstalledError(
                f"OpenCV {cv2.__version__} has no HOG people detector (OpenCV 5 moved it "
                "out of the main wheels); install opencv-python-headless<5."
            )
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.model_version = f"opencv-{cv2.__version__}-hog-people"

    def versions(self) -> dict[str, str]:
        return {"opencv-hog-default-people": str(cv2.__version__)}

    def analyze(self, image: Image, options: Mapping[str, Any] | None = None) -> PersonResult:
        """People in ``image``; ``options`` is accepted for the protocol and unused."""
        work = image.fit(self.max_side)
        sx, sy = work.scale_x, work.scale_y
        # Every window above the margin, ungrouped: OpenCV's grouping needs several
        # neighbouring hits and drops lone true detections; our NMS keeps the best.
        rects, weights = self._hog.detectMultiScale(
            work.gray(),
            hitThreshold=self._min_score,
            winStride=(8, 8),
            padding=(8, 8),
            scale=self._scale,
            groupThreshold=0,
        )
        if len(rects) == 0:
            return PersonResult(people=(), model_version=self.model_version)
        xywh = np.asarray(rects, dtype=np.float64).reshape(-1, 4)
        scores = np.asarray(weights, dtype=np.float64).reshape(-1)
        boxes = np.column_stack(
            [
                xywh[:, 0] + _TRIM_X * xywh[:, 2],
                xywh[:, 1] + _TRIM_Y * xywh[:, 3],
                xywh[:, 0] + (1 - _TRIM_X) * xywh[:, 2],
                xywh[:, 1] + (1 - _TRIM_Y) * xywh[:, 3],
            ]
        )
        people = []
        for i in nms(boxes, scores, NMS_IOU, NMS_CONTAINED):
            if scores[i] < self._min_score:
                continue
            x0, y0, x1, y1 = (float(v) for v in boxes[i])
            box = Box(x0, y0, x1, y1).clipped(work.width, work.height).scaled(1 / sx, 1 / sy)
            people.append(Person(box=box, confidence=hog_person_confidence(float(scores[i]))))
        return PersonResult(people=tuple(people), model_version=self.model_version)
