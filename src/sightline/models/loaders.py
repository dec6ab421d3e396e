"""Ready-to-use adapters for whatever is installed: the entry points analyzers call.

Each function looks in the registry and loads the model once; call it in an analyzer's
``__init__`` and keep the result. Nothing here downloads: an optional model that is not
installed gives None (or an empty list) and the feature it powers stays off; a model
that is installed but broken raises :class:`~sightline.errors.ModelError`.

Selection, when several models serve a task: catalog models first, then the user's,
each group by name. Detectors and classifiers are all returned (their classes add up);
for faces the first installed model of each task is used.

Faces: DetectFaces stays on the built-in dlib detector (its 68 landmarks give
Rekognition's landmark types and the pose); the FER model adds ``Emotions`` when
installed. YuNet and SFace are offered, not imposed: a caller that wants them does ::

    embedder = load_face_embedder(settings)           # None: keep dlib's descriptors
    if embedder is not None:
        points = five_points_from_landmarks(face.landmarks)   # any analyzers.types.Face
        vector = embedder.embed(image, points)        # (128,) float32, unit length
        space = embedder.version                      # store it with the vector

and ``load_face_detector(settings)`` gives YuNet's boxes with 5 landmarks
(:class:`~sightline.models.adapters.base.FaceDetection`, same 5-point order).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sightline.config import Settings
from sightline.models.registry import InstalledModel, Registry

if TYPE_CHECKING:
    from sightline.models.adapters.classifier import ImageClassifier
    from sightline.models.adapters.fer import ExpressionRecognizer
    from sightline.models.adapters.sface import SFaceEmbedder
    from sightline.models.adapters.yolox import ObjectDetector
    from sightline.models.adapters.yunet import YunetDetector


def load_detectors(settings: Settings) -> list[ObjectDetector]:
    """Every installed ``object-detection`` model (YOLO-family layouts)."""
    from sightline.models.adapters.yolox import ObjectDetector

    registry = Registry.from_settings(settings)
    return [
        ObjectDetector.from_installed(registry.get(m.name), settings)
        for m in registry.for_task("object-detection")
    ]


def load_classifiers(settings: Settings) -> list[ImageClassifier]:
    """Every installed ``image-classification`` model."""
    from sightline.models.adapters.classifier import ImageClassifier

    registry = Registry.from_settings(settings)
    return [
        ImageClassifier.from_installed(registry.get(m.name), settings)
        for m in registry.for_task("image-classification")
    ]


def load_face_detector(settings: Settings) -> YunetDetector | None:
    """YuNet (``face-detection``), or None when it is not installed."""
    from sightline.models.adapters.yunet import YunetDetector

    found = _first(settings, "face-detection")
    return YunetDetector.from_installed(found) if found else None


def load_face_embedder(settings: Settings) -> SFaceEmbedder | None:
    """SFace (``face-embedding``), or None when it is not installed."""
    from sightline.models.adapters.sface import SFaceEmbedder

    found = _first(settings, "face-embedding")
    return SFaceEmbedder.from_installed(found) if found else None


def load_expression_recognizer(settings: Settings) -> ExpressionRecognizer | None:
    """The FER model (``face-expression``), or None when it is not installed."""
    from sightline.models.adapters.fer import ExpressionRecognizer

    found = _first(settings, "face-expression")
    return ExpressionRecognizer.from_installed(found, settings) if found else None


def _first(settings: Settings, task: str) -> InstalledModel | None:
    """The first installed model for ``task``, its file checked; None when there is none."""
    registry = Registry.from_settings(settings)
    found = registry.for_task(task)
    return registry.get(found[0].name) if found else None
