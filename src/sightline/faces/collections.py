"""CreateCollection, DescribeCollection, ListCollections, DeleteCollection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sightline.db.models.faces import FaceCollection
from sightline.errors import InvalidParameterError
from sightline.faces import store
from sightline.faces.context import FaceContext
from sightline.faces.models import face_model
from sightline.faces.requests import COLLECTION_ID, Members, decode_token, encode_token
from sightline.faces.types import CollectionInfo, Page

DEFAULT_PAGE = 1000


def create_collection(
    ctx: FaceContext, request: Mapping[str, Any], *, face_model_key: str | None = None
) -> CollectionInfo:
    """CreateCollection with the configured face model, or ``face_model_key``.

    Loading the model's embedder first means a collection is only ever created for a
    model that is installed, and records that build's exact version.
    """
    m = Members("CreateCollection", request, ("CollectionId", "Tags"))
    name = m.required_string("CollectionId", COLLECTION_ID)
    tags = m.raw("Tags")
    if tags is not None and not (
        isinstance(tags, Mapping)
        and len(tags) <= 200
        and all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items())
    ):
        raise InvalidParameterError("Tags must map at most 200 string keys to string values.")
    spec = face_model(face_model_key or ctx.settings.face_search.default_model)
    embedder = ctx.embedder(spec)
    with ctx.write() as s:
        row = store.add_collection(
            s,
            FaceCollection(
                name=name,
                face_model=spec.key,
                face_model_version=spec.face_model_version,
                embedding_version=embedder.embedding_model_version,
                dim=spec.dim,
                generation=0,
                tags=dict(tags) if tags else None,
            ),
        )
        info = _info(ctx, row, 0, 0)
    ctx.indexes.drop(name)  # files a deleted namesake may have left behind
    return info


def describe_collection(ctx: FaceContext, request: Mapping[str, Any]) -> CollectionInfo:
    m = Members("DescribeCollection", request, ("CollectionId",))
    name = m.required_string("CollectionId", COLLECTION_ID)
    with ctx.read() as s:
        row = store.get_collection(s, name)
        return _info(ctx, row, store.count_faces(s, row.id), store.count_users(s, row.id))


def list_collections(ctx: FaceContext, request: Mapping[str, Any]) -> Page[CollectionInfo]:
    """ListCollections, by CollectionId; counts are not filled (the shape has none)."""
    m = Members("ListCollections", request, ("NextToken", "MaxResults"))
    limit = m.integer("MaxResults", default=DEFAULT_PAGE, low=0, high=4096) or DEFAULT_PAGE
    with ctx.read() as s:
        after = (
            str(decode_token(m.raw("NextToken"), "collections", 0)) if m.has("NextToken") else None
        )
        rows = store.list_collections(s, after, limit + 1)
        items = tuple(_info(ctx, r, 0, 0) for r in rows[:limit])
    token = encode_token("collections", 0, rows[limit - 1].name) if len(rows) > limit else None
    return Page(items, token)


def delete_collection(ctx: FaceContext, request: Mapping[str, Any]) -> None:
    """DeleteCollection: its faces, users and person records go with it."""
    m = Members("DeleteCollection", request, ("CollectionId",))
    name = m.required_string("CollectionId", COLLECTION_ID)
    with ctx.write() as s:
        row = store.get_collection(s, name)
        s.delete(row)  # ON DELETE CASCADE removes faces, users, persons
    ctx.indexes.drop(name)


def _info(ctx: FaceContext, row: FaceCollection, faces: int, users: int) -> CollectionInfo:
    created = row.created_at
    if created.tzinfo is None:  # SQLite keeps no zone; we always store UTC
        created = created.replace(tzinfo=dt.timezone.utc)
    return CollectionInfo(
        collection_id=row.name,
        arn=ctx.arn(row.name),
        face_model=row.face_model,
        face_model_version=row.face_model_version,
        face_count=faces,
        user_count=users,
        created_at=created,
    )
