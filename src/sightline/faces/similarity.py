"""Embedding distance -> Rekognition's 0-100 similarity, per face model.

Rekognition's callers threshold similarity at 80 by default (``FaceMatchThreshold``,
``SimilarityThreshold``), so the mapping is anchored there: a model's published
verification operating point — the L2 distance at which its authors separate "same
person" from "different people" — maps to exactly 80. Around it the curve is a
logistic in distance::

    similarity(d) = 100 / (1 + exp(k * (d - c)))      with c = t + ln(4) / k

where ``t`` is the operating point (so ``similarity(t) == 80``) and ``k`` is set by a
second anchor, the distance ``g`` that typical genuine pairs fall under, which maps to
99: ``k = (ln 99 - ln 4) / (t - g)``. The curve is monotone and invertible, so a
similarity threshold becomes a distance threshold for the index
(:meth:`SimilarityScale.max_distance`). docs/face-similarity.md gives the measurements
behind the anchors and the false-match / false-non-match rates observed at 80.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LN4 = math.log(4.0)
LN99 = math.log(99.0)

# Rekognition's default FaceMatchThreshold / SimilarityThreshold.
DEFAULT_THRESHOLD = 80.0


@dataclass(frozen=True)
class SimilarityScale:
    """A logistic map from L2 distance to similarity 0-100 (see the module docstring).

    Args:
        operating_point: the distance ``t`` that maps to 80.
        genuine: the distance ``g`` (< ``t``) that maps to 99.
    """

    operating_point: float
    genuine: float

    def __post_init__(self) -> None:
        if not 0 < self.genuine < self.operating_point:
            raise ValueError("need 0 < genuine < operating_point")

    @property
    def steepness(self) -> float:
        return (LN99 - LN4) / (self.operating_point - self.genuine)

    @property
    def centre(self) -> float:
        """The distance that maps to 50."""
        return self.operating_point + LN4 / self.steepness

    def similarity(self, distance: float) -> float:
        """Similarity 0-100 of two faces at L2 ``distance`` (larger distance, lower)."""
        z = self.steepness * (max(distance, 0.0) - self.centre)
        if z > 700:  # exp overflow: far beyond any face
            return 0.0
        return 100.0 / (1.0 + math.exp(z))

    def max_distance(self, threshold: float) -> float:
        """The largest distance whose similarity is >= ``threshold`` (0-100).

        A threshold of 0 admits every distance (``inf``); 100 admits only identical
        vectors (0.0), since the logistic reaches 100 only in the limit.
        """
        if threshold <= 0.0:
            return math.inf
        if threshold >= 100.0:
            return 0.0
        return max(self.centre + math.log(100.0 / threshold - 1.0) / self.steepness, 0.0)


# dlib's ResNet descriptor: dlib reports 99.38% on LFW at an L2 threshold of 0.6
# (dlib.net, face_recognition example). Same-photo variants we measured sit below 0.42
# and LFW genuine pairs mostly below ~0.45, so 0.4 -> 99.
DLIB_SCALE = SimilarityScale(operating_point=0.6, genuine=0.4)

# OpenCV's SFace (face_recognition_sface_2021dec): its authors' cosine threshold 0.363
# on L2-normalised features is an L2 distance of sqrt(2 - 2 * 0.363) = 1.128. Genuine
# anchor: cosine 0.6 (L2 0.894). Not measured here: no SFace model ships offline.
SFACE_SCALE = SimilarityScale(operating_point=1.128, genuine=0.894)
