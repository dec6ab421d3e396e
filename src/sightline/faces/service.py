"""The face-collection service: Rekognition's collection, face and user operations.

One method per operation, named after it in snake_case. Each takes the operation's
request as a mapping of Rekognition member names — exactly what boto3 sends, with
``Image`` as ``{"Bytes": <decoded bytes>}`` or ``{"S3Object": {...}}`` (read through
the ``image_resolver`` given to the service); Python callers may also pass raw bytes or
a decoded :class:`~sightline.media.image.Image` as ``Image``. Each returns an internal
result (:mod:`sightline.faces.types`, pixel coordinates); the functions in
``sightline.api.rekognition.shapes.collections`` turn results into botocore's output
shapes. Errors are :mod:`sightline.errors` classes naming the member at fault.

Example::

    service = FaceService(settings)
    service.create_collection({"CollectionId": "family"})
    result = service.index_faces({"CollectionId": "family", "Image": {"Bytes": data}})
    shapes.index_faces(result)  # the IndexFaces response

The service owns its database engine (unless given one), the per-collection vector
indexes and, through the analyzer pool, the face models. Call :meth:`close` (or use
it as a context manager) to write index files and release the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

from sqlalchemy import Engine

from sightline.config import Settings
from sightline.db.engine import make_engine
from sightline.db.migrate import upgrade
from sightline.faces import collections, compare, indexing, persons, search, users
from sightline.faces.context import AnalyzerSource, FaceContext, ImageResolver
from sightline.faces.types import (
    AssociateFacesResult,
    CollectionInfo,
    CompareFacesResult,
    DeleteFacesResult,
    DisassociateFacesResult,
    FaceRecord,
    ImageSearchResult,
    IndexFacesResult,
    Page,
    PersonRecord,
    SearchFacesResult,
    SearchUsersByImageResult,
    SearchUsersResult,
    UserInfo,
)

Request = Mapping[str, Any]


class FaceService:
    """Rekognition's face-collection operations over Sightline's database and models.

    Args:
        settings: the process's settings (database, data_dir, limits, face_search).
        engine: a SQLAlchemy engine to share; default: one for ``settings``.
        pool: the analyzer pool providing ``"faces"``; default: a new pool.
        image_resolver: reads ``Image.S3Object`` members (the API layer's storage).
        migrate: bring the schema up to date first (safe to repeat).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        pool: AnalyzerSource | None = None,
        image_resolver: ImageResolver | None = None,
        migrate: bool = True,
    ) -> None:
        self._own_engine = engine is None
        engine = engine or make_engine(settings.resolved_database_url())
        if migrate:
            upgrade(engine)
        if pool is None:
            from sightline.analyzers.base import AnalyzerPool

            pool = AnalyzerPool(settings)
        self.ctx = FaceContext(settings, engine, pool, image_resolver)

    # --- collections ---------------------------------------------------------------

    def create_collection(
        self, request: Request, *, face_model: str | None = None
    ) -> CollectionInfo:
        """CreateCollection; ``face_model`` ("dlib", "sface") overrides the setting."""
        return collections.create_collection(self.ctx, request, face_model_key=face_model)

    def describe_collection(self, request: Request) -> CollectionInfo:
        return collections.describe_collection(self.ctx, request)

    def list_collections(self, request: Request | None = None) -> Page[CollectionInfo]:
        return collections.list_collections(self.ctx, request or {})

    def delete_collection(self, request: Request) -> None:
        collections.delete_collection(self.ctx, request)

    # --- faces ---------------------------------------------------------------------

    def index_faces(self, request: Request) -> IndexFacesResult:
        return indexing.index_faces(self.ctx, request)

    def list_faces(self, request: Request) -> tuple[Page[FaceRecord], str]:
        """ListFaces: a page of faces and the collection's FaceModelVersion."""
        return indexing.list_faces(self.ctx, request)

    def delete_faces(self, request: Request) -> DeleteFacesResult:
        return indexing.delete_faces(self.ctx, request)

    def search_faces(
        self, request: Request, *, source_collection: str | None = None
    ) -> SearchFacesResult:
        """SearchFaces; ``source_collection`` (an extension) holds the FaceId when it is
        not ``CollectionId`` (same face model): a stored face searched elsewhere."""
        return search.search_faces(self.ctx, request, source_collection=source_collection)

    def search_faces_by_image(self, request: Request) -> ImageSearchResult:
        """SearchFacesByImage: the largest face (passing QualityFilter) is searched."""
        return search.search_faces_by_image(self.ctx, request)[0]

    def search_all_faces_by_image(self, request: Request) -> list[ImageSearchResult]:
        """SearchFacesByImage for every face of the image (largest first); an extension."""
        return search.search_faces_by_image(self.ctx, request, every_face=True)

    def compare_faces(
        self, request: Request, *, face_model: str | None = None
    ) -> CompareFacesResult:
        return compare.compare_faces(self.ctx, request, face_model_key=face_model)

    # --- users ---------------------------------------------------------------------

    def create_user(self, request: Request) -> None:
        users.create_user(self.ctx, request)

    def delete_user(self, request: Request) -> None:
        users.delete_user(self.ctx, request)

    def list_users(self, request: Request) -> Page[UserInfo]:
        return users.list_users(self.ctx, request)

    def associate_faces(self, request: Request) -> AssociateFacesResult:
        return users.associate_faces(self.ctx, request)

    def disassociate_faces(self, request: Request) -> DisassociateFacesResult:
        return users.disassociate_faces(self.ctx, request)

    def search_users(self, request: Request) -> SearchUsersResult:
        return users.search_users(self.ctx, request)

    def search_users_by_image(self, request: Request) -> SearchUsersByImageResult:
        return users.search_users_by_image(self.ctx, request)

    # --- person records (Sightline extension) --------------------------------------

    def put_person(self, collection_id: str, **fields: Any) -> PersonRecord:
        """Create or replace a person record: name, notes, attributes, and one of
        user_id / external_image_id (see :func:`sightline.faces.persons.put_person`)."""
        return persons.put_person(self.ctx, collection_id, **fields)

    def get_person(self, collection_id: str, person_id: str) -> PersonRecord:
        return persons.get_person(self.ctx, collection_id, person_id)

    def list_persons(self, collection_id: str) -> list[PersonRecord]:
        return persons.list_persons(self.ctx, collection_id)

    def delete_person(self, collection_id: str, person_id: str) -> None:
        persons.delete_person(self.ctx, collection_id, person_id)

    # --- lifecycle -----------------------------------------------------------------

    def flush(self) -> None:
        """Write every collection's index file that has unsaved changes."""
        self.ctx.indexes.flush()

    def close(self) -> None:
        self.ctx.indexes.close()
        if self._own_engine:
            self.ctx.engine.dispose()

    def __enter__(self) -> FaceService:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
