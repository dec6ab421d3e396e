"""Users: CreateUser, DeleteUser, AssociateFaces, DisassociateFaces, ListUsers,
SearchUsers and SearchUsersByImage.

A user is a named group of up to 100 faces of one person. A user's similarity to a
query face is the best similarity between the query and any of the user's faces: it
needs no separate user vector to keep in step, and one good photo of a person is
enough to recognise them. Users do not change the vector index (it holds faces), so
associations do not bump the collection's generation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import delete
from sqlalchemy.orm import Session

from sightline.db.models.faces import FaceCollection, FaceUser
from sightline.errors import (
    ConflictError,
    InvalidParameterError,
    ResourceNotFoundError,
    ServiceQuotaExceededError,
)
from sightline.faces import quality, store
from sightline.faces.context import FaceContext
from sightline.faces.models import FaceModelSpec
from sightline.faces.requests import (
    CLIENT_TOKEN,
    COLLECTION_ID,
    FACE_ID,
    QUALITY_FILTERS,
    USER_ID,
    Members,
    decode_token,
    encode_token,
)
from sightline.faces.search import search_vector
from sightline.faces.similarity import DEFAULT_THRESHOLD
from sightline.faces.types import (
    AssociateFacesResult,
    DisassociateFacesResult,
    FailedFace,
    Page,
    RejectedFace,
    SearchUsersByImageResult,
    SearchUsersResult,
    UserInfo,
    UserMatch,
)

MAX_FACES_PER_USER = 100
ASSOCIATE_THRESHOLD = 75.0  # Rekognition's default UserMatchThreshold for AssociateFaces
MAX_USERS = 500


def status(face_count: int) -> str:
    """Operations are synchronous here, so a user is never CREATING or UPDATING."""
    return "ACTIVE" if face_count else "CREATED"


def create_user(ctx: FaceContext, request: Mapping[str, Any]) -> None:
    """CreateUser; repeating a request with the same ClientRequestToken succeeds."""
    m = Members("CreateUser", request, ("CollectionId", "UserId", "ClientRequestToken"))
    name = m.required_string("CollectionId", COLLECTION_ID)
    user_id = m.required_string("UserId", USER_ID)
    token = m.string("ClientRequestToken", CLIENT_TOKEN)
    with ctx.write() as s:
        row = store.get_collection(s, name)
        existing = store.find_user(s, row.id, user_id)
        if existing is not None:
            if token is not None and existing.client_token == token:
                return
            raise ConflictError(f"The user id: {user_id} already exists in {name}")
        s.add(FaceUser(collection_pk=row.id, user_id=user_id, client_token=token))


def delete_user(ctx: FaceContext, request: Mapping[str, Any]) -> None:
    """DeleteUser: its faces stay in the collection, no longer associated."""
    m = Members("DeleteUser", request, ("CollectionId", "UserId", "ClientRequestToken"))
    name = m.required_string("CollectionId", COLLECTION_ID)
    user_id = m.required_string("UserId", USER_ID)
    m.string("ClientRequestToken", CLIENT_TOKEN)
    with ctx.write() as s:
        row = store.get_collection(s, name)
        user = store.get_user(s, row.id, user_id)
        s.execute(delete(FaceUser).where(FaceUser.id == user.id))  # faces: SET NULL


def list_users(ctx: FaceContext, request: Mapping[str, Any]) -> Page[UserInfo]:
    m = Members("ListUsers", request, ("CollectionId", "MaxResults", "NextToken"))
    name = m.required_string("CollectionId", COLLECTION_ID)
    limit = m.integer("MaxResults", default=MAX_USERS, low=1, high=MAX_USERS)
    with ctx.read() as s:
        row = store.get_collection(s, name)
        after = (
            str(decode_token(m.raw("NextToken"), "users", row.id)) if m.has("NextToken") else None
        )
        users = store.list_users(s, row.id, after, limit + 1)
        page = users[:limit]
        counts = store.user_face_counts(s, [u.id for u in page])
        by_user, _ = store.persons_for(s, row.id, [u.user_id for u in page], [])
        items = tuple(
            UserInfo(
                u.user_id, status(counts.get(u.id, 0)), counts.get(u.id, 0), by_user.get(u.user_id)
            )
            for u in page
        )
        token = encode_token("users", row.id, page[-1].user_id) if len(users) > limit else None
    return Page(items, token)


def associate_faces(ctx: FaceContext, request: Mapping[str, Any]) -> AssociateFacesResult:
    """AssociateFaces, with Rekognition's rules.

    A face already with this user is skipped silently; one with another user, or
    missing, is reported. When the user already has faces, a new face must reach
    ``UserMatchThreshold`` (default 75) against them, else LOW_MATCH_CONFIDENCE.
    """
    m = Members(
        "AssociateFaces",
        request,
        ("CollectionId", "UserId", "FaceIds", "UserMatchThreshold", "ClientRequestToken"),
    )
    name = m.required_string("CollectionId", COLLECTION_ID)
    user_id = m.required_string("UserId", USER_ID)
    face_ids = list(dict.fromkeys(m.string_list("FaceIds", FACE_ID, max_items=100)))
    threshold = m.percent("UserMatchThreshold", default=ASSOCIATE_THRESHOLD)
    m.string("ClientRequestToken", CLIENT_TOKEN)
    associated: list[str] = []
    failed: list[FailedFace] = []
    with ctx.write() as s:
        row = store.get_collection(s, name)
        spec = ctx.collection_model(row)[0]
        user = store.get_user(s, row.id, user_id)
        found = store.faces_by_face_ids(s, row.id, face_ids)
        members = [
            f for f, _ in store.list_faces(s, row.id, after=None, limit=1000, user_pk=user.id)
        ]
        vectors = [store.embedding_of(f, row.dim) for f in members]
        for face_id in face_ids:
            hit = found.get(face_id)
            if hit is None:
                failed.append(FailedFace(face_id, ("FACE_NOT_FOUND",)))
                continue
            face, owner = hit
            if owner == user_id:
                continue  # already associated: ignored, as Rekognition does
            if owner is not None:
                failed.append(FailedFace(face_id, ("ASSOCIATED_TO_A_DIFFERENT_USER",), owner))
                continue
            vector = store.embedding_of(face, row.dim)
            if vectors:
                confidence = _best_similarity(spec, vector, vectors)
                if confidence < threshold:
                    failed.append(
                        FailedFace(face_id, ("LOW_MATCH_CONFIDENCE",), user_id, confidence)
                    )
                    continue
            if len(vectors) >= MAX_FACES_PER_USER:
                raise ServiceQuotaExceededError(
                    f"The user id: {user_id} already has {MAX_FACES_PER_USER} faces."
                )
            face.user_pk = user.id
            vectors.append(vector)
            associated.append(face_id)
        user_status = status(len(vectors))
    return AssociateFacesResult(tuple(associated), tuple(failed), user_status)


def disassociate_faces(ctx: FaceContext, request: Mapping[str, Any]) -> DisassociateFacesResult:
    m = Members(
        "DisassociateFaces",
        request,
        ("CollectionId", "UserId", "FaceIds", "ClientRequestToken"),
    )
    name = m.required_string("CollectionId", COLLECTION_ID)
    user_id = m.required_string("UserId", USER_ID)
    face_ids = list(dict.fromkeys(m.string_list("FaceIds", FACE_ID, max_items=100)))
    m.string("ClientRequestToken", CLIENT_TOKEN)
    done: list[str] = []
    failed: list[FailedFace] = []
    with ctx.write() as s:
        row = store.get_collection(s, name)
        user = store.get_user(s, row.id, user_id)
        found = store.faces_by_face_ids(s, row.id, face_ids)
        for face_id in face_ids:
            hit = found.get(face_id)
            if hit is None:
                failed.append(FailedFace(face_id, ("FACE_NOT_FOUND",)))
            elif hit[1] is None:
                continue  # not associated: ignored, as Rekognition does
            elif hit[1] != user_id:
                failed.append(FailedFace(face_id, ("ASSOCIATED_TO_A_DIFFERENT_USER",), hit[1]))
            else:
                hit[0].user_pk = None
                done.append(face_id)
        s.flush()
        remaining = store.user_face_counts(s, [user.id]).get(user.id, 0)
    return DisassociateFacesResult(tuple(done), tuple(failed), status(remaining))


# --- searching users -----------------------------------------------------------------


def _best_similarity(
    spec: FaceModelSpec, vector: NDArray[np.float32], others: Sequence[NDArray[np.float32]]
) -> float:
    distances = np.linalg.norm(np.stack(others) - vector, axis=1)
    return spec.scale.similarity(float(distances.min()))


def _users_like(
    ctx: FaceContext,
    s: Session,
    row: FaceCollection,
    spec: FaceModelSpec,
    vectors: Sequence[NDArray[np.float32]],
    *,
    threshold: float,
    max_users: int,
) -> list[UserMatch]:
    """Users ranked by their best face's similarity to any of ``vectors``."""
    best: dict[str, float] = {}
    for vector in vectors:
        # Enough candidate faces to fill max_users even when users hold many faces.
        for match in search_vector(
            ctx, s, row, spec, vector, max_faces=min(4096, max_users * 20), threshold=threshold
        ):
            uid = match.face.user_id
            if uid is not None and match.similarity > best.get(uid, -1.0):
                best[uid] = match.similarity
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:max_users]
    users = {
        u.user_id: u
        for u in (store.find_user(s, row.id, uid) for uid, _ in ranked)
        if u is not None
    }
    counts = store.user_face_counts(s, [u.id for u in users.values()])
    return [
        UserMatch(UserInfo(uid, status(counts.get(users[uid].id, 0))), sim)
        for uid, sim in ranked
        if uid in users
    ]


def search_users(ctx: FaceContext, request: Mapping[str, Any]) -> SearchUsersResult:
    """SearchUsers by FaceId or by UserId (then every face of that user is a query)."""
    m = Members(
        "SearchUsers",
        request,
        ("CollectionId", "UserId", "FaceId", "UserMatchThreshold", "MaxUsers"),
    )
    name = m.required_string("CollectionId", COLLECTION_ID)
    user_id = m.string("UserId", USER_ID)
    face_id = m.string("FaceId", FACE_ID)
    if (user_id is None) == (face_id is None):
        raise InvalidParameterError("SearchUsers needs exactly one of UserId or FaceId.")
    threshold = m.percent("UserMatchThreshold", default=DEFAULT_THRESHOLD)
    max_users = m.integer("MaxUsers", default=MAX_USERS, low=1, high=MAX_USERS)
    with ctx.read() as s:
        row = store.get_collection(s, name)
        spec = ctx.collection_model(row)[0]
        if face_id is not None:
            hit = store.faces_by_face_ids(s, row.id, [face_id]).get(face_id)
            if hit is None:
                raise ResourceNotFoundError(f"The face id: {face_id} does not exist in {name}")
            vectors = [store.embedding_of(hit[0], row.dim)]
        else:
            assert user_id is not None
            user = store.get_user(s, row.id, user_id)
            faces = store.list_faces(s, row.id, after=None, limit=1000, user_pk=user.id)
            vectors = [store.embedding_of(f, row.dim) for f, _ in faces]
        matches = _users_like(ctx, s, row, spec, vectors, threshold=threshold, max_users=max_users)
    return SearchUsersResult(tuple(matches), row.face_model_version, face_id, user_id)


def search_users_by_image(ctx: FaceContext, request: Mapping[str, Any]) -> SearchUsersByImageResult:
    """SearchUsersByImage: the largest face passing QualityFilter; no face, no matches."""
    m = Members(
        "SearchUsersByImage",
        request,
        ("CollectionId", "Image", "UserMatchThreshold", "MaxUsers", "QualityFilter"),
    )
    name = m.required_string("CollectionId", COLLECTION_ID)
    if not m.has("Image"):
        raise InvalidParameterError("SearchUsersByImage: Image is required.")
    threshold = m.percent("UserMatchThreshold", default=DEFAULT_THRESHOLD)
    max_users = m.integer("MaxUsers", default=MAX_USERS, low=1, high=MAX_USERS)
    quality_filter = m.choice("QualityFilter", QUALITY_FILTERS, default="NONE")
    with ctx.read() as s:
        row = store.get_collection(s, name)
        spec, embedder = ctx.collection_model(row)
    image = ctx.load_image(m.raw("Image"), "Image")
    faces = ctx.detect(image)
    chosen = quality.select(faces, quality_filter, max_faces=1)
    unsearched = [
        RejectedFace(faces[i], ("FACE_NOT_LARGEST",) if why == ("EXCEEDS_MAX_FACES",) else why)
        for i, why in chosen.rejected
    ]
    if not chosen.kept:
        return SearchUsersByImageResult(
            (), row.face_model_version, ctx.image_faces(image), None, tuple(unsearched)
        )
    face = faces[chosen.kept[0]]
    vector = ctx.embed(spec, embedder, image, [face])[0]
    with ctx.read() as s:
        row = store.get_collection(s, name)
        matches = _users_like(ctx, s, row, spec, [vector], threshold=threshold, max_users=max_users)
    return SearchUsersByImageResult(
        tuple(matches), row.face_model_version, ctx.image_faces(image), face, tuple(unsearched)
    )
