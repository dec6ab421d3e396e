"""IndexFaces, ListFaces and DeleteFaces.

IndexFaces detects and embeds outside any transaction, then writes the faces and bumps
the collection's generation in one short write transaction, then mirrors the change in
the in-memory index, so the next search sees it. Indexing the same bytes with the same
ExternalImageId again returns the faces already stored (matched by box) instead of
storing duplicates, as Rekognition does; that also makes retried pipeline tasks safe.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sightline.analyzers.types import Box, Face
from sightline.db.models.faces import FaceUser, StoredFace
from sightline.errors import InvalidParameterError
from sightline.faces import quality, store
from sightline.faces.context import FaceContext
from sightline.faces.requests import (
    COLLECTION_ID,
    EXTERNAL_IMAGE_ID,
    FACE_ID,
    QUALITY_FILTERS,
    USER_ID,
    Members,
    decode_token,
    encode_token,
)
from sightline.faces.types import (
    DeleteFacesResult,
    FaceRecord,
    FailedFace,
    IndexedFace,
    IndexFacesResult,
    Page,
    RejectedFace,
)

ATTRIBUTES = (
    "DEFAULT",
    "ALL",
    "AGE_RANGE",
    "BEARD",
    "EMOTIONS",
    "EYE_DIRECTION",
    "EYEGLASSES",
    "EYES_OPEN",
    "GENDER",
    "MOUTH_OPEN",
    "MUSTACHE",
    "FACE_OCCLUDED",
    "SMILE",
    "SUNGLASSES",
)
SAME_FACE_IOU = 0.8  # a re-indexed image's face is the stored one when boxes overlap this much


def index_faces(ctx: FaceContext, request: Mapping[str, Any]) -> IndexFacesResult:
    """IndexFaces: detect, filter (QualityFilter, MaxFaces), embed and store faces."""
    m = Members(
        "IndexFaces",
        request,
        (
            "CollectionId",
            "Image",
            "ExternalImageId",
            "DetectionAttributes",
            "MaxFaces",
            "QualityFilter",
        ),
    )
    name = m.required_string("CollectionId", COLLECTION_ID)
    if not m.has("Image"):
        raise InvalidParameterError("IndexFaces: Image is required.")
    external_id = m.string("ExternalImageId", EXTERNAL_IMAGE_ID)
    attributes = _attributes(m.raw("DetectionAttributes"))
    max_faces = m.integer("MaxFaces", default=quality.MAX_FACES_PER_IMAGE, low=1)
    quality_filter = m.choice("QualityFilter", QUALITY_FILTERS, default="AUTO")

    with ctx.read() as s:
        row = store.get_collection(s, name)
        spec, embedder = ctx.collection_model(row)
    image = ctx.load_image(m.raw("Image"), "Image")
    faces = ctx.detect(image, attributes)
    chosen = quality.select(faces, quality_filter, max_faces)
    kept = [faces[i] for i in chosen.kept]
    vectors = ctx.embed(spec, embedder, image, kept)
    sha = ctx.fingerprint(image)
    image_id = str(uuid.uuid4())

    records: list[FaceRecord] = []
    new_rows: list[StoredFace] = []
    new_positions: list[int] = []
    with ctx.write() as s:
        row = store.get_collection(s, name)
        previous = store.faces_of_image(s, row.id, sha, external_id)
        if previous:
            image_id = previous[0].image_id
        slots: list[StoredFace] = []
        for position, (face, vector) in enumerate(zip(kept, vectors, strict=True)):
            same = _same_face(face, previous)
            if same is None:
                same = StoredFace(
                    face_id=str(uuid.uuid4()),
                    collection_pk=row.id,
                    image_id=image_id,
                    image_sha256=sha,
                    external_image_id=external_id,
                    x0=face.box.x0,
                    y0=face.box.y0,
                    x1=face.box.x1,
                    y1=face.box.y1,
                    image_width=image.info.width,
                    image_height=image.info.height,
                    confidence=float(face.confidence),
                    embedding=vector.astype("<f4").tobytes(),
                    embedding_version=row.embedding_version,
                )
                s.add(same)
                new_rows.append(same)
                new_positions.append(position)
            slots.append(same)
        generation = row.generation
        if new_rows:
            s.flush()  # assigns the integer keys the index uses
            generation = store.bump_generation(s, row.id)
        users = _user_ids(s, slots)
        records = [
            store.to_record(r, users.get(r.user_pk or -1), row.face_model_version) for r in slots
        ]
        key = ctx.key(row)
        face_model_version = row.face_model_version
    if new_rows:
        ctx.indexes.applied(
            key,
            generation,
            add_ids=[r.id for r in new_rows],
            add_vectors=vectors[new_positions],
        )
    return IndexFacesResult(
        indexed=tuple(IndexedFace(r, f) for r, f in zip(records, kept, strict=True)),
        unindexed=tuple(RejectedFace(faces[i], why) for i, why in chosen.rejected),
        face_model_version=face_model_version,
        image=ctx.image_faces(image),
        attributes=attributes,
        notes=_notes(len(faces), len(records), len(records) - len(new_rows), quality_filter),
    )


def _notes(detected: int, indexed: int, already: int, quality_filter: str) -> tuple[str, ...]:
    notes = []
    if detected == 0:
        notes.append("No face was detected in the image.")
    elif indexed == 0:
        notes.append(
            f"{detected} face(s) detected; none passed QualityFilter {quality_filter} "
            "and MaxFaces (see UnindexedFaces for the reasons)."
        )
    if already:
        notes.append(f"{already} face(s) were already indexed from this image and ExternalImageId.")
    return tuple(notes)


def _attributes(value: Any) -> tuple[str, ...]:
    if value is None:
        return ("DEFAULT",)
    if not isinstance(value, (list, tuple)):
        raise InvalidParameterError("DetectionAttributes must be a list.")
    for item in value:
        if item not in ATTRIBUTES:
            raise InvalidParameterError(
                f"DetectionAttributes holds {item!r}; choose from {', '.join(ATTRIBUTES)}."
            )
    return tuple(value) or ("DEFAULT",)


def _same_face(face: Face, previous: list[StoredFace]) -> StoredFace | None:
    best, best_iou = None, SAME_FACE_IOU
    for row in previous:
        iou = face.box.iou(Box(row.x0, row.y0, row.x1, row.y1))
        if iou >= best_iou:
            best, best_iou = row, iou
    return best


def _user_ids(s: Session, rows: list[StoredFace]) -> dict[int, str]:
    pks = {r.user_pk for r in rows if r.user_pk is not None}
    if not pks:
        return {}
    found = s.execute(select(FaceUser.id, FaceUser.user_id).where(FaceUser.id.in_(pks)))
    return {int(pk): str(uid) for pk, uid in found}


# --- ListFaces ---------------------------------------------------------------------

DEFAULT_PAGE = 1000


def list_faces(ctx: FaceContext, request: Mapping[str, Any]) -> tuple[Page[FaceRecord], str]:
    """ListFaces: a page of stored faces (in indexing order) and the FaceModelVersion."""
    m = Members(
        "ListFaces", request, ("CollectionId", "NextToken", "MaxResults", "UserId", "FaceIds")
    )
    name = m.required_string("CollectionId", COLLECTION_ID)
    limit = m.integer("MaxResults", default=DEFAULT_PAGE, low=0, high=4096) or DEFAULT_PAGE
    user_id = m.string("UserId", USER_ID)
    face_ids = m.string_list("FaceIds", FACE_ID, max_items=4096) if m.has("FaceIds") else None
    with ctx.read() as s:
        row = store.get_collection(s, name)
        after = None
        if m.has("NextToken"):
            after = int(decode_token(m.raw("NextToken"), "faces", row.id))
        user_pk = store.get_user(s, row.id, user_id).id if user_id is not None else None
        rows = store.list_faces(
            s, row.id, after=after, limit=limit + 1, user_pk=user_pk, face_ids=face_ids
        )
        items = tuple(store.to_record(f, u, row.face_model_version) for f, u in rows[:limit])
        token = encode_token("faces", row.id, rows[limit - 1][0].id) if len(rows) > limit else None
        return Page(items, token), row.face_model_version


# --- DeleteFaces -------------------------------------------------------------------


def delete_faces(ctx: FaceContext, request: Mapping[str, Any]) -> DeleteFacesResult:
    """DeleteFaces: faces associated with a user are refused, as Rekognition does."""
    m = Members("DeleteFaces", request, ("CollectionId", "FaceIds"))
    name = m.required_string("CollectionId", COLLECTION_ID)
    face_ids = list(dict.fromkeys(m.string_list("FaceIds", FACE_ID, max_items=4096)))
    deleted: list[str] = []
    failed: list[FailedFace] = []
    keys: list[int] = []
    with ctx.write() as s:
        row = store.get_collection(s, name)
        found = store.faces_by_face_ids(s, row.id, face_ids)
        for face_id in face_ids:
            hit = found.get(face_id)
            if hit is None:
                failed.append(FailedFace(face_id, ("FACE_NOT_FOUND",)))
            elif hit[1] is not None:
                failed.append(FailedFace(face_id, ("ASSOCIATED_TO_AN_EXISTING_USER",), hit[1]))
            else:
                deleted.append(face_id)
                keys.append(hit[0].id)
        generation = row.generation
        if keys:
            store.delete_face_rows(s, keys)
            generation = store.bump_generation(s, row.id)
        key = ctx.key(row)
    if keys:
        ctx.indexes.applied(key, generation, remove_ids=keys)
    return DeleteFacesResult(tuple(deleted), tuple(failed))
