"""SFace face embeddings through OpenCV's ``FaceRecognizerSF`` (catalog model ``sface``).

A face is aligned from its 5 landmarks (YuNet's, or dlib's 68 reduced with
:func:`~sightline.models.adapters.geometry.five_points_from_ibug68`) onto the ArcFace
112x112 template, then embedded into 128 numbers, returned L2-normalised so that the
cosine similarity of two faces is their dot product.

OpenCV's sample calls two faces the same person at cosine >= 0.363 (L2 <= 1.128 on
normalised features); :data:`SAME_PERSON_COSINE` keeps that figure for callers that
calibrate similarity from it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sightline.analyzers.types import Point
from sightline.errors import ModelError
from sightline.media.image import Image
from sightline.models.adapters.geometry import align_face
from sightline.models.registry import InstalledModel

DIMENSIONS = 128
SAME_PERSON_COSINE = 0.363
SAME_PERSON_L2 = 1.128


class SFaceEmbedder:
    """128-d face features. Calls are serialised: OpenCV's net is stateful."""

    dimensions = DIMENSIONS

    def __init__(self, path: Path) -> None:
        import cv2

        self.path = path
        #: Names the model (and, for SFace, the vector space): name and checksum prefix.
        self.version = path.name
        try:
            self._recognizer = cv2.FaceRecognizerSF.create(str(path), "")
        except cv2.error as e:
            raise ModelError(f"OpenCV cannot load the SFace model {path}: {e}") from e
        self._lock = threading.Lock()

    @classmethod
    def from_installed(cls, model: InstalledModel) -> SFaceEmbedder:
        made = cls(model.path)
        made.version = f"{model.name}:{model.sha256[:12]}"
        return made

    def align(self, image: Image, points: Sequence[Point]) -> NDArray[np.uint8]:
        """The 112x112 BGR crop SFace reads; ``points`` in the full-resolution frame."""
        local = [Point(p.x * image.scale_x, p.y * image.scale_y) for p in points]
        return np.ascontiguousarray(align_face(image.pixels, local)[:, :, ::-1])

    def embed_aligned(self, crop_bgr: NDArray[np.uint8]) -> NDArray[np.float32]:
        """The unit-length feature of an aligned 112x112 BGR crop."""
        import cv2

        try:
            with self._lock:
                raw = self._recognizer.feature(crop_bgr)
        except cv2.error as e:
            raise ModelError(f"SFace failed on an aligned face: {e}") from e
        feature = np.asarray(raw, dtype=np.float32).reshape(-1)
        if feature.size != DIMENSIONS:
            raise ModelError(f"SFace returned {feature.size} values, expected {DIMENSIONS}.")
        norm = float(np.linalg.norm(feature))
        return feature / norm if norm > 0 else feature

    def embed(self, image: Image, points: Sequence[Point]) -> NDArray[np.float32]:
        """The unit-length feature of the face with 5 ``points`` (template order)."""
        return self.embed_aligned(self.align(image, points))


def cosine(a: NDArray[np.floating], b: NDArray[np.floating]) -> float:
    """Cosine similarity of two features, in [-1, 1]."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(np.dot(a, b) / (na * nb)) if na > 0 and nb > 0 else 0.0
