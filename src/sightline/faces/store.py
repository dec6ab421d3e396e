"""Queries on the face tables, the same SQL on SQLite and PostgreSQL.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the caller
owns the transaction, so one operation is one transaction. Every change to a
collection's faces goes through :func:`bump_generation` in that transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sightline.analyzers.types import Box
from sightline.db.models.faces import FaceCollection, FaceUser, Person, StoredFace
from sightline.errors import ResourceAlreadyExistsError, ResourceNotFoundError
from sightline.faces.types import FaceRecord, PersonRecord

T = TypeVar("T")

# --- collections ---------------------------------------------------------------------


def get_collection(s: Session, name: str) -> FaceCollection:
    row = s.scalar(select(FaceCollection).where(FaceCollection.name == name))
    if row is None:
        raise ResourceNotFoundError(f"The collection id: {name} does not exist")
    return row


def add_collection(s: Session, row: FaceCollection) -> FaceCollection:
    if s.scalar(select(FaceCollection.id).where(FaceCollection.name == row.name)) is not None:
        raise ResourceAlreadyExistsError(f"The collection id: {row.name} already exists")
    s.add(row)
    try:
        s.flush()
    except IntegrityError as exc:  # created concurrently by another request
        raise ResourceAlreadyExistsError(f"The collection id: {row.name} already exists") from exc
    return row


def list_collections(s: Session, after: str | None, limit: int) -> list[FaceCollection]:
    q = select(FaceCollection).order_by(FaceCollection.name).limit(limit)
    if after is not None:
        q = q.where(FaceCollection.name > after)
    return list(s.scalars(q))


def bump_generation(s: Session, pk: int) -> int:
    """Advance the collection's generation; also takes its row lock for the transaction."""
    s.execute(
        update(FaceCollection)
        .where(FaceCollection.id == pk)
        .values(generation=FaceCollection.generation + 1)
    )
    generation = s.scalar(select(FaceCollection.generation).where(FaceCollection.id == pk))
    if generation is None:
        raise ResourceNotFoundError("The collection was deleted during the request")
    return int(generation)


def read_generation(s: Session, pk: int) -> int | None:
    value = s.scalar(select(FaceCollection.generation).where(FaceCollection.id == pk))
    return None if value is None else int(value)


def count_faces(s: Session, pk: int) -> int:
    return int(s.scalar(select(func.count()).where(StoredFace.collection_pk == pk)) or 0)


def count_users(s: Session, pk: int) -> int:
    return int(s.scalar(select(func.count()).where(FaceUser.collection_pk == pk)) or 0)


# --- faces -------------------------------------------------------------------------


def to_record(row: StoredFace, user_id: str | None, face_model_version: str) -> FaceRecord:
    return FaceRecord(
        face_id=row.face_id,
        image_id=row.image_id,
        box=Box(row.x0, row.y0, row.x1, row.y1),
        image_width=row.image_width,
        image_height=row.image_height,
        confidence=row.confidence,
        face_model_version=face_model_version,
        external_image_id=row.external_image_id,
        user_id=user_id,
    )


def embedding_of(row: StoredFace, dim: int) -> NDArray[np.float32]:
    return np.frombuffer(row.embedding, dtype="<f4", count=dim).astype(np.float32)


def _with_users(pk: int) -> Select[StoredFace, str]:
    return (
        select(StoredFace, FaceUser.user_id)
        .outerjoin(FaceUser, StoredFace.user_pk == FaceUser.id)
        .where(StoredFace.collection_pk == pk)
    )


def faces_by_keys(
    s: Session, pk: int, keys: Sequence[int]
) -> dict[int, tuple[StoredFace, str | None]]:
    """Rows for index keys (those still present), with each face's UserId."""
    out: dict[int, tuple[StoredFace, str | None]] = {}
    for chunk in _chunks(list(keys), 500):
        q = _with_users(pk).where(StoredFace.id.in_(chunk))
        for face, user_id in s.execute(q):
            out[face.id] = (face, user_id)
    return out


def faces_by_face_ids(
    s: Session, pk: int, face_ids: Sequence[str]
) -> dict[str, tuple[StoredFace, str | None]]:
    out: dict[str, tuple[StoredFace, str | None]] = {}
    for chunk in _chunks(list(face_ids), 500):
        q = _with_users(pk).where(StoredFace.face_id.in_(chunk))
        for face, user_id in s.execute(q):
            out[face.face_id] = (face, user_id)
    return out


def faces_of_image(
    s: Session, pk: int, image_sha256: str, external_image_id: str | None
) -> list[StoredFace]:
    """Faces already indexed from the same bytes with the same ExternalImageId."""
    q = select(StoredFace).where(
        StoredFace.collection_pk == pk, StoredFace.image_sha256 == image_sha256
    )
    q = q.where(
        StoredFace.external_image_id.is_(None)
        if external_image_id is None
        else StoredFace.external_image_id == external_image_id
    )
    return list(s.scalars(q.order_by(StoredFace.id)))


def list_faces(
    s: Session,
    pk: int,
    *,
    after: int | None,
    limit: int,
    user_pk: int | None = None,
    face_ids: Sequence[str] | None = None,
) -> list[tuple[StoredFace, str | None]]:
    q = _with_users(pk).order_by(StoredFace.id).limit(limit)
    if after is not None:
        q = q.where(StoredFace.id > after)
    if user_pk is not None:
        q = q.where(StoredFace.user_pk == user_pk)
    if face_ids is not None:
        q = q.where(StoredFace.face_id.in_(list(face_ids)))
    return [(face, user_id) for face, user_id in s.execute(q)]


def face_keys(s: Session, pk: int) -> NDArray[np.int64]:
    """Every face's index key in the collection."""
    ids = s.scalars(select(StoredFace.id).where(StoredFace.collection_pk == pk)).all()
    return np.fromiter(ids, dtype=np.int64, count=len(ids))


def iter_embeddings(
    s: Session, pk: int, dim: int, keys: Sequence[int] | None = None, chunk: int = 20_000
) -> Iterator[tuple[NDArray[np.int64], NDArray[np.float32]]]:
    """(keys, vectors) in chunks: the whole collection, or only ``keys``."""

    def rows(q: Select[int, bytes]) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        got = s.execute(q).all()
        ids = np.fromiter((r[0] for r in got), dtype=np.int64, count=len(got))
        blob = b"".join(r[1] for r in got)
        return ids, np.frombuffer(blob, dtype="<f4").astype(np.float32).reshape(len(got), dim)

    base = select(StoredFace.id, StoredFace.embedding).where(StoredFace.collection_pk == pk)
    if keys is not None:
        for part in _chunks(list(keys), 500):
            yield rows(base.where(StoredFace.id.in_(part)))
        return
    after = 0
    while True:
        ids, vectors = rows(base.where(StoredFace.id > after).order_by(StoredFace.id).limit(chunk))
        if not len(ids):
            return
        yield ids, vectors
        after = int(ids[-1])


def delete_face_rows(s: Session, keys: Sequence[int]) -> None:
    for chunk in _chunks(list(keys), 500):
        s.execute(delete(StoredFace).where(StoredFace.id.in_(chunk)))


# --- users -------------------------------------------------------------------------


def get_user(s: Session, pk: int, user_id: str) -> FaceUser:
    row = find_user(s, pk, user_id)
    if row is None:
        raise ResourceNotFoundError(f"The user id: {user_id} does not exist")
    return row


def find_user(s: Session, pk: int, user_id: str) -> FaceUser | None:
    return s.scalar(
        select(FaceUser).where(FaceUser.collection_pk == pk, FaceUser.user_id == user_id)
    )


def user_face_counts(s: Session, user_pks: Sequence[int]) -> dict[int, int]:
    if not user_pks:
        return {}
    q = (
        select(StoredFace.user_pk, func.count())
        .where(StoredFace.user_pk.in_(list(user_pks)))
        .group_by(StoredFace.user_pk)
    )
    return {int(k): int(n) for k, n in s.execute(q) if k is not None}


def list_users(s: Session, pk: int, after: str | None, limit: int) -> list[FaceUser]:
    q = select(FaceUser).where(FaceUser.collection_pk == pk).order_by(FaceUser.user_id)
    if after is not None:
        q = q.where(FaceUser.user_id > after)
    return list(s.scalars(q.limit(limit)))


# --- persons -----------------------------------------------------------------------


def to_person(row: Person, user_id: str | None) -> PersonRecord:
    return PersonRecord(
        person_id=row.person_id,
        name=row.name,
        notes=row.notes,
        attributes=dict(row.attributes or {}),
        user_id=user_id,
        external_image_id=row.external_image_id,
    )


def persons_for(
    s: Session, pk: int, user_ids: Sequence[str], external_ids: Sequence[str]
) -> tuple[dict[str, PersonRecord], dict[str, PersonRecord]]:
    """Person records attached to these UserIds and ExternalImageIds."""
    by_user: dict[str, PersonRecord] = {}
    by_external: dict[str, PersonRecord] = {}
    if not user_ids and not external_ids:
        return by_user, by_external
    q = (
        select(Person, FaceUser.user_id)
        .outerjoin(FaceUser, Person.user_pk == FaceUser.id)
        .where(Person.collection_pk == pk)
    )
    conditions = []
    if user_ids:
        conditions.append(FaceUser.user_id.in_(list(user_ids)))
    if external_ids:
        conditions.append(Person.external_image_id.in_(list(external_ids)))
    for row, user_id in s.execute(q.where(or_(*conditions))):
        record = to_person(row, user_id)
        if user_id is not None:
            by_user[user_id] = record
        if row.external_image_id is not None:
            by_external[row.external_image_id] = record
    return by_user, by_external


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
