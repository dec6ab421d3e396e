"""The ``faces`` analyzer: dlib HOG detection, 68 landmarks, pose, quality, embeddings.

Detection runs on the image fitted to :attr:`FaceAnalyzer.max_side` (1280 px); boxes
and landmarks are mapped back to the full-resolution upright frame. Coordinates are
continuous pixel coordinates: pixel ``i`` spans ``[i, i + 1)``, so a landmark on the
centre of working pixel ``p`` lands at ``(p + 0.5) / scale`` in the full frame.

For face collections the analyzer also exposes :meth:`FaceAnalyzer.detect` and
:meth:`FaceAnalyzer.embed` (dlib's 128-d ResNet descriptors).

``Emotions`` come from the catalog's facial-expression model when it is installed
(``sightline models pull fer-mobilefacenet``), on the face aligned from its 5 landmarks;
without it the attribute is omitted.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import math
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from sightline.analyzers import face_geometry as geometry
from sightline.analyzers.face_attributes import requested_attributes
from sightline.analyzers.types import Box, Face, FacesResult
from sightline.config import Settings
from sightline.errors import ModelNotInstalledError
from sightline.media.image import Image
from sightline.models.adapters.geometry import five_points_from_landmarks
from sightline.models.loaders import load_expression_recognizer

if TYPE_CHECKING:
    from sightline.analyzers.base import AnalyzerPool

# Rekognition detects the 100 largest faces in an image; so do we.
MAX_FACES = 100
# HOG's SVM margin -> confidence: 1 / (1 + exp(-k * score)). A margin of 0 is the
# detector's own decision boundary (50 %); the default min_score 0.3 reads 77 %, a
# margin of 1 (a clear frontal face) 98 %, 2 reads 99.97 %.
CONFIDENCE_SLOPE = 4.0


def hog_confidence(score: float) -> float:
    """dlib HOG detection score (SVM margin) mapped monotonically to 0-1."""
    return 1.0 / (1.0 + math.exp(-CONFIDENCE_SLOPE * score))


class FaceAnalyzer:
    """DetectFaces on offline dlib models (``face_recognition_models`` weights).

    Options are DetectFaces' request members; only ``Attributes`` is read.
    """

    name: ClassVar[str] = "faces"
    # 1280 px keeps a 1920x1080 frame's 60-px faces (40 px at working scale, the HOG
    # window with one upsampling) while capping detection near 0.45 s a frame on one
    # core; full 12-MP frames would cost ~4 s and find few extra faces.
    max_side: ClassVar[int | None] = 1280

    def __init__(self, settings: Settings, pool: AnalyzerPool | None = None) -> None:
        import dlib
        import face_recognition_models as frm

        self._dlib = dlib
        self._upsample = settings.face_detection.upsample
        self._min_score = settings.face_detection.min_score
        models_version = importlib.metadata.version("face_recognition_models")
        try:
            self._detector = dlib.get_frontal_face_detector()
            self._predictor = dlib.shape_predictor(frm.pose_predictor_model_location())
            self._encoder = dlib.face_recognition_model_v1(frm.face_recognition_model_location())
        except RuntimeError as exc:
            raise ModelNotInstalledError(
                f"dlib could not load the face models shipped by face_recognition_models "
                f"{models_version} ({exc}); reinstall that package."
            ) from exc
        self._versions = {
            "dlib-hog-frontal-face": str(dlib.__version__),
            "dlib-shape-predictor-68": models_version,
            "dlib-face-recognition-resnet-v1": models_version,
        }
        #: Names the vector space of :meth:`embed`; stored with every indexed face.
        self.embedding_model_version: str = f"dlib-face-recognition-resnet-v1:{models_version}"
        self.model_version = f"dlib-{dlib.__version__}-hog+shape68"
        # Installed models only: nothing is downloaded here.
        self._expressions = load_expression_recognizer(settings)
        if self._expressions is not None:
            self._versions[self._expressions.name] = self._expressions.version
            self.model_version += f"+{self._expressions.name}"
        # The detector box and 68 points behind each Face from detect()/analyze(), in
        # full-resolution coordinates, so embed() aligns exactly the shape detection
        # found without dlib objects in the public result types. Faces not found here
        # (built elsewhere, or rebuilt with dataclasses.replace) get their shape
        # re-predicted from Face.box.
        self._shapes: weakref.WeakKeyDictionary[Face, _Shape] = weakref.WeakKeyDictionary()
        self._shapes_lock = threading.Lock()
        # dlib's DNN keeps per-call buffers in the network object: one call at a time.
        self._encoder_lock = threading.Lock()
        # dlib's HOG detector releases the GIL but is not reentrant: concurrent run()
        # calls on one detector corrupt its heap (seen as "free(): invalid pointer" under
        # the API's analysis threads). The shape predictor is safe to share.
        self._detector_lock = threading.Lock()

    def versions(self) -> dict[str, str]:
        return dict(self._versions)

    def analyze(self, image: Image, options: Mapping[str, Any] | None = None) -> FacesResult:
        """Faces in ``image``, largest first, in its full-resolution upright frame.

        Every face has box, confidence, landmarks, pose and quality; EyesOpen,
        MouthOpen and Smile are measured when ``options["Attributes"]`` asks for them,
        and Emotions too when the expression model is installed.
        """
        wanted = requested_attributes((options or {}).get("Attributes"))
        faces = self._find(image, wanted)
        return FacesResult(faces=tuple(faces), model_version=self.model_version)

    def detect(self, image: Image) -> list[Face]:
        """Faces with box, confidence, landmarks, pose and quality (no geometry attributes)."""
        return self._find(image, frozenset())

    def embed(self, image: Image, faces: Sequence[Face]) -> list[NDArray[np.float32]]:
        """dlib's 128-d descriptor (float32, not normalised) for each face, in order.

        Computed on the image fitted to ``max_side`` — the pixels the landmarks were
        found on — so one file gives the same vectors however it was decoded. dlib
        aligns a 150x150 chip from the 68 landmarks; faces of the same person lie
        within L2 distance 0.6 of each other.
        """
        if not faces:
            return []
        work = image.fit(self.max_side)
        sx, sy = work.scale_x, work.scale_y
        pixels = np.ascontiguousarray(work.pixels)  # dlib refuses strided views
        dlib = self._dlib
        shapes = dlib.full_object_detections()
        for face in faces:
            with self._shapes_lock:
                known = self._shapes.get(face)
            if known is None:
                shapes.append(self._predictor(pixels, _to_rect(dlib, face.box, sx, sy)))
            else:
                parts = [
                    dlib.point(round(x * sx - 0.5), round(y * sy - 0.5)) for x, y in known.points
                ]
                rect = _to_rect(dlib, known.detector_box, sx, sy)
                shapes.append(dlib.full_object_detection(rect, parts))
        with self._encoder_lock:
            vectors = self._encoder.compute_face_descriptor(pixels, shapes)
        return [np.asarray(v, dtype=np.float32) for v in vectors]

    # --- internals -------------------------------------------------------------

    def _find(self, image: Image, wanted: frozenset[str]) -> list[Face]:
        work = image.fit(self.max_side)
        sx, sy = work.scale_x, work.scale_y
        pixels = np.ascontiguousarray(work.pixels)  # dlib refuses strided views
        with self._detector_lock:
            rects, scores, _ = self._detector.run(pixels, self._upsample, self._min_score)
        found = [(r, float(s)) for r, s in zip(rects, scores, strict=True) if s >= self._min_score]
        found.sort(key=lambda rs: rs[0].width() * rs[0].height(), reverse=True)
        gray = work.gray()
        focal = float(max(work.width, work.height))
        faces = []
        for rect, score in found[:MAX_FACES]:
            shape = self._predictor(pixels, rect)
            pts = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
            detector_box = Box(rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1)
            # HOG's box stops at the lower lip; Rekognition's covers the whole face, so
            # the box grows to enclose the landmarks (the chin, mostly).
            lo, hi = pts.min(axis=0), pts.max(axis=0) + 1
            work_box = Box(
                min(detector_box.x0, float(lo[0])),
                min(detector_box.y0, float(lo[1])),
                max(detector_box.x1, float(hi[0])),
                max(detector_box.y1, float(hi[1])),
            ).clipped(work.width, work.height)
            full_pts = (pts + 0.5) / np.array([sx, sy])
            face = Face(
                box=work_box.scaled(1 / sx, 1 / sy),
                confidence=hog_confidence(score),
                landmarks=geometry.landmarks(full_pts),
                pose=geometry.head_pose(pts, work_box.center, focal),
                quality=geometry.face_quality(gray, work_box),
                eyes_open=geometry.eyes_open(pts) if "EYES_OPEN" in wanted else None,
                mouth_open=geometry.mouth_open(pts) if "MOUTH_OPEN" in wanted else None,
                smile=geometry.smile(pts) if "SMILE" in wanted else None,
            )
            if "EMOTIONS" in wanted and self._expressions is not None:
                # The working pixels suffice: the model reads a 112-px aligned crop.
                points = five_points_from_landmarks(face.landmarks)
                emotions = self._expressions.emotions(work, points)
                face = dataclasses.replace(face, emotions=emotions)
            with self._shapes_lock:
                self._shapes[face] = _Shape(detector_box.scaled(1 / sx, 1 / sy), full_pts)
            faces.append(face)
        return faces


@dataclass(frozen=True)
class _Shape:
    """What dlib found for one face, in full-resolution coordinates."""

    detector_box: Box
    points: NDArray[np.float64]  # (68, 2)


def _to_rect(dlib: Any, box: Box, sx: float, sy: float) -> Any:
    """A full-resolution box as the dlib rectangle (inclusive corners) at working scale."""
    return dlib.rectangle(
        round(box.x0 * sx), round(box.y0 * sy), round(box.x1 * sx) - 1, round(box.y1 * sy) - 1
    )
