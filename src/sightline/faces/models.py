"""Face embedding models a collection can use, and how to load each.

A collection records its model when it is created (``FaceModelVersion`` on the wire,
``face_model`` + ``embedding_version`` in the database) and every face it holds was
embedded by exactly that model: distances between two models' vectors mean nothing.

- ``dlib`` (default, offline): the ResNet descriptor from ``face_recognition_models``,
  computed by :class:`sightline.analyzers.faces.FaceAnalyzer`. 128-d, not normalised.
- ``sface``: OpenCV's SFace, pulled from the catalog (``sightline models pull sface``)
  and run by ``sightline.models.adapters.sface`` on each face aligned from its five
  landmarks. 128-d, unit length.

Detection is the same for both (the faces analyzer); only the descriptor differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from sightline.analyzers.types import Face
from sightline.config import Settings
from sightline.errors import InvalidParameterError, ModelNotInstalledError
from sightline.faces.similarity import DLIB_SCALE, SFACE_SCALE, SimilarityScale
from sightline.media.image import Image


@runtime_checkable
class FaceEmbedder(Protocol):
    """Computes one descriptor per face; ``faces`` come from the faces analyzer."""

    @property
    def embedding_model_version(self) -> str: ...

    def embed(self, image: Image, faces: Sequence[Face]) -> list[NDArray[np.float32]]: ...


@runtime_checkable
class FaceDetector(Protocol):
    """The part of the faces analyzer collections use: detection with pose and quality."""

    def detect(self, image: Image) -> list[Face]: ...


@dataclass(frozen=True)
class FaceModelSpec:
    """A face model a collection can be created with.

    ``face_model_version`` is what Rekognition calls ``FaceModelVersion`` (and, per
    face, ``IndexFacesModelVersion``, whose pattern allows only digits and dots).
    """

    key: str
    face_model_version: str
    dim: int
    scale: SimilarityScale
    normalise: bool
    description: str


FACE_MODELS: dict[str, FaceModelSpec] = {
    "dlib": FaceModelSpec(
        "dlib", "1.0", 128, DLIB_SCALE, False, "dlib ResNet-34 descriptor (built in)"
    ),
    "sface": FaceModelSpec(
        "sface", "2.0", 128, SFACE_SCALE, True, "OpenCV SFace (sightline models pull sface)"
    ),
}


def face_model(key: str) -> FaceModelSpec:
    spec = FACE_MODELS.get(key)
    if spec is None:
        raise InvalidParameterError(
            f"Unknown face model {key!r}; choose from {', '.join(sorted(FACE_MODELS))}."
        )
    return spec


def load_embedder(spec: FaceModelSpec, settings: Settings, faces_analyzer: Any) -> FaceEmbedder:
    """The embedder for ``spec``: the faces analyzer itself for dlib, else an adapter.

    Raises:
        ModelNotInstalledError: the model's weights are not installed.
    """
    if spec.key == "dlib":
        if not isinstance(faces_analyzer, FaceEmbedder):
            raise ModelNotInstalledError("The faces analyzer does not compute embeddings.")
        return faces_analyzer
    from sightline.models.loaders import load_face_embedder

    sface = load_face_embedder(settings)
    if sface is None:
        raise ModelNotInstalledError(
            "The sface face model is not installed; run `sightline models pull sface`."
        )
    return SFaceFaces(sface)


class SFaceFaces:
    """SFace on the faces analyzer's detections: aligned from each face's 5 landmarks."""

    def __init__(self, sface: Any) -> None:
        self._sface = sface
        #: The model name and checksum prefix: a re-pulled different file is another space.
        self.embedding_model_version: str = str(sface.version)

    def embed(self, image: Image, faces: Sequence[Face]) -> list[NDArray[np.float32]]:
        from sightline.models.adapters.geometry import five_points_from_landmarks

        return [self._sface.embed(image, five_points_from_landmarks(f.landmarks)) for f in faces]


def prepare(
    spec: FaceModelSpec, vectors: Sequence[NDArray[np.floating[Any]]]
) -> NDArray[np.float32]:
    """Stack descriptors as float32 rows, L2-normalised where the model's metric wants it."""
    if not vectors:
        return np.empty((0, spec.dim), np.float32)
    m = np.asarray(np.stack(vectors), dtype=np.float32).reshape(len(vectors), -1)
    if m.shape[1] != spec.dim:
        raise ModelNotInstalledError(
            f"The {spec.key} model returned {m.shape[1]}-d vectors; collections expect {spec.dim}."
        )
    if spec.normalise:
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        m = m / np.maximum(norms, 1e-12)
    return np.ascontiguousarray(m, dtype=np.float32)
