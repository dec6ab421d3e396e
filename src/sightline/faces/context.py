"""What every face-collection operation shares: database sessions, models, indexes.

One :class:`FaceContext` lives inside a :class:`sightline.faces.service.FaceService`;
operation modules (collections, indexing, search, compare, users, persons) are
functions of it, so each stays small and testable on its own.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, cast

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sightline.analyzers.types import Face
from sightline.config import Settings
from sightline.db.engine import session_factory
from sightline.db.models.faces import FaceCollection
from sightline.errors import (
    InvalidParameterError,
    InvalidS3ObjectError,
    ModelNotInstalledError,
)
from sightline.faces.index import HnswParams
from sightline.faces.indexes import CollectionKey, IndexManager
from sightline.faces.models import (
    FaceDetector,
    FaceEmbedder,
    FaceModelSpec,
    face_model,
    load_embedder,
    prepare,
)
from sightline.faces.types import ImageFaces
from sightline.media.decode import decode_image
from sightline.media.image import Image

# Reads an ``Image.S3Object`` member ({"Bucket", "Name", "Version"}) and returns the
# object's bytes; provided by the API layer, which owns object storage.
ImageResolver = Callable[[Mapping[str, Any]], bytes]


class AnalyzerSource(Protocol):
    """Where analyzers come from: :class:`sightline.analyzers.base.AnalyzerPool`."""

    def get(self, name: str) -> Any: ...

    def max_side(self, names: list[str]) -> int | None: ...


class FaceContext:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        pool: AnalyzerSource,
        image_resolver: ImageResolver | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.pool = pool
        self.image_resolver = image_resolver
        self._read = session_factory(engine)
        # SQLite: take the write lock at BEGIN, so two writers queue instead of one
        # failing on lock upgrade; PostgreSQL ignores the option.
        self._write = session_factory(engine.execution_options(sqlite_begin="IMMEDIATE"))
        fs = settings.face_search
        self.indexes = IndexManager(
            settings.data_dir / "indexes",
            self.read,
            exact_max=fs.exact_max,
            hnsw=HnswParams(
                connectivity=fs.hnsw_connectivity,
                expansion_add=fs.hnsw_expansion_add,
                expansion_search=fs.hnsw_expansion_search,
                dtype=fs.hnsw_dtype,
            ),
            save_after=fs.save_after,
        )
        self._embedders: dict[str, FaceEmbedder] = {}
        self._lock = threading.Lock()

    # --- database ------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as s:
            yield s

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed when the block ends, rolled back on error."""
        with self._write.begin() as s:
            yield s

    def arn(self, name: str) -> str:
        fs = self.settings.face_search
        return f"aws:rekognition:{fs.arn_region}:{fs.arn_account}:collection/{name}"

    # --- models --------------------------------------------------------------------

    def detect(self, image: Image, attributes: Sequence[str] = ()) -> list[Face]:
        """Faces (largest first) with box, confidence, landmarks, pose and quality.

        Attributes beyond DEFAULT (IndexFaces' DetectionAttributes) go through the
        analyzer's full pass, which measures them on the same detections.
        """
        analyzer = self.pool.get("faces")
        if set(attributes) - {"DEFAULT"}:
            return list(analyzer.analyze(image, {"Attributes": list(attributes)}).faces)
        return list(cast(FaceDetector, analyzer).detect(image))

    def embedder(self, spec: FaceModelSpec) -> FaceEmbedder:
        with self._lock:
            found = self._embedders.get(spec.key)
            if found is None:
                found = load_embedder(spec, self.settings, self.pool.get("faces"))
                self._embedders[spec.key] = found
            return found

    def collection_model(self, row: FaceCollection) -> tuple[FaceModelSpec, FaceEmbedder]:
        """The collection's model and its embedder, refusing a different build."""
        spec = face_model(row.face_model)
        embedder = self.embedder(spec)
        if embedder.embedding_model_version != row.embedding_version:
            raise ModelNotInstalledError(
                f"Collection {row.name} holds {row.embedding_version} embeddings but the "
                f"installed {spec.key} model is {embedder.embedding_model_version}; "
                "embeddings of two models never share a collection."
            )
        return spec, embedder

    @staticmethod
    def key(row: FaceCollection) -> CollectionKey:
        return CollectionKey(row.name, row.id, row.embedding_version, row.dim)

    def embed(
        self, spec: FaceModelSpec, embedder: FaceEmbedder, image: Image, faces: Sequence[Face]
    ) -> NDArray[np.float32]:
        """One row per face, in the order given (float32, normalised if the model says)."""
        if not faces:
            return np.empty((0, spec.dim), np.float32)
        return prepare(spec, embedder.embed(image, faces))

    # --- images --------------------------------------------------------------------

    def load_image(self, value: Any, member: str) -> Image:
        """Decode an ``Image`` member: {"Bytes": ...}, {"S3Object": ...}, bytes or Image."""
        if isinstance(value, Image):
            return value
        max_side = self.pool.max_side(["faces"])
        limits = self.settings.limits
        if isinstance(value, (bytes, bytearray, memoryview)):
            return decode_image(bytes(value), limits, max_side=max_side)
        if not isinstance(value, Mapping) or len(value) != 1:
            raise InvalidParameterError(f"{member} must hold exactly one of Bytes or S3Object.")
        if "Bytes" in value:
            data = value["Bytes"]
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise InvalidParameterError(f"{member}.Bytes must be bytes (base64-decoded).")
            return decode_image(bytes(data), limits, max_side=max_side)
        if "S3Object" in value:
            if self.image_resolver is None:
                raise InvalidS3ObjectError(
                    f"{member}.S3Object cannot be read: this service has no object storage."
                )
            data = self.image_resolver(value["S3Object"])
            return decode_image(data, limits, max_side=max_side, max_bytes=limits.max_object_bytes)
        raise InvalidParameterError(f"{member} must hold exactly one of Bytes or S3Object.")

    @staticmethod
    def image_faces(image: Image) -> ImageFaces:
        return ImageFaces(image.info.width, image.info.height, image.info)

    @staticmethod
    def fingerprint(image: Image) -> str:
        """SHA-256 of the file's bytes (of the pixels for in-memory images)."""
        data = image.source or image.pixels.tobytes()
        return hashlib.sha256(data).hexdigest()
