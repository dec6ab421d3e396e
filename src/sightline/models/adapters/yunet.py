"""YuNet face detection through OpenCV's ``FaceDetectorYN`` (catalog model ``yunet``).

OpenCV runs the network and its decode; this wrapper sizes the detector to each image,
works on a copy no longer than ``max_side`` (YuNet is trained on small inputs; larger
ones cost time and find nothing new above ~640 px), and reports boxes and the 5
landmarks in the image's full-resolution frame.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from sightline.analyzers.types import Box, Point
from sightline.errors import ModelError
from sightline.media.image import Image
from sightline.models.adapters.base import FaceDetection
from sightline.models.registry import InstalledModel


class YunetDetector:
    """Faces with 5 landmarks, best first. Calls are serialised: OpenCV's net is stateful."""

    def __init__(
        self,
        path: Path,
        *,
        score_threshold: float = 0.7,
        nms_threshold: float = 0.3,
        top_k: int = 5000,
        max_side: int = 640,
    ) -> None:
        import cv2

        self.path = path
        #: Names the model (and, for SFace, the vector space): name and checksum prefix.
        self.version = path.name
        self.max_side = max_side
        try:
            self._detector = cv2.FaceDetectorYN.create(
                str(path), "", (320, 320), score_threshold, nms_threshold, top_k
            )
        except cv2.error as e:
            raise ModelError(f"OpenCV cannot load the YuNet model {path}: {e}") from e
        self._lock = threading.Lock()

    @classmethod
    def from_installed(cls, model: InstalledModel) -> YunetDetector:
        made = cls(model.path)
        made.version = f"{model.name}:{model.sha256[:12]}"
        return made

    def detect(self, image: Image) -> list[FaceDetection]:
        """Faces in ``image``; boxes and landmarks in its full-resolution frame."""
        import cv2

        small = image.fit(self.max_side)
        bgr = small.bgr()
        try:
            with self._lock:
                self._detector.setInputSize((small.width, small.height))
                _, rows = self._detector.detect(bgr)
        except cv2.error as e:
            raise ModelError(f"YuNet failed on a {small.width}x{small.height} image: {e}") from e
        if rows is None:
            return []
        sx, sy = 1 / small.scale_x, 1 / small.scale_y
        w, h = image.info.width, image.info.height
        faces = []
        for row in np.asarray(rows, dtype=np.float64):
            x, y, bw, bh = row[:4]
            box = Box(x * sx, y * sy, (x + bw) * sx, (y + bh) * sy).clipped(w, h)
            points = tuple(Point(row[4 + 2 * i] * sx, row[5 + 2 * i] * sy) for i in range(5))
            faces.append(FaceDetection(box, float(min(max(row[14], 0.0), 1.0)), points))
        faces.sort(key=lambda f: -f.confidence)
        return faces
