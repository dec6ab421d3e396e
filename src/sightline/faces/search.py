"""SearchFaces and SearchFacesByImage (largest face, or every face of the image).

A search asks the collection's index for candidates within the distance that the
similarity threshold allows, then re-reads the candidates' rows: that drops faces
deleted since the index was read, and the distances are recomputed from the stored
float32 embeddings, so the reported similarity is exact whatever the index backend.
A face nobody in the collection resembles returns no match, never its nearest face.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from sightline.db.models.faces import FaceCollection
from sightline.errors import InvalidParameterError, ResourceNotFoundError
from sightline.faces import quality, store
from sightline.faces.context import FaceContext
from sightline.faces.models import FaceModelSpec
from sightline.faces.requests import COLLECTION_ID, FACE_ID, QUALITY_FILTERS, Members
from sightline.faces.similarity import DEFAULT_THRESHOLD
from sightline.faces.types import FaceMatch, ImageSearchResult, SearchFacesResult

MAX_FACES = 4096  # Rekognition's MaxFaces upper bound, also our default
FIRST_K = 64  # candidates asked first; doubled while every one passes the threshold


def search_vector(
    ctx: FaceContext,
    s: Session,
    row: FaceCollection,
    spec: FaceModelSpec,
    vector: NDArray[np.float32],
    *,
    max_faces: int,
    threshold: float,
    exclude: Sequence[int] = (),
) -> list[FaceMatch]:
    """Stored faces with similarity >= ``threshold`` to ``vector``, most similar first."""
    index = ctx.indexes.get(ctx.key(row), row.generation)
    limit = spec.scale.max_distance(threshold)
    # The HNSW backend reports distances from f16 vectors: widen its cut a little and
    # let the exact re-rank below decide.
    cut = limit if index.backend == "exact" else limit * 1.01 + 1e-3
    k = min(max_faces, FIRST_K) + len(exclude) + 8  # slack for rows deleted meanwhile
    while True:
        hits = index.search(vector, k=k, threshold=cut)
        if len(hits) < k or k >= len(index) or k >= max_faces + len(exclude) + 8:
            break
        k = min(k * 2, max_faces + len(exclude) + 8)
    skip = set(exclude)
    keys = [int(i) for i in hits.ids if int(i) not in skip]
    rows = store.faces_by_keys(s, row.id, keys)
    matches: list[tuple[float, int]] = []
    for key in keys:
        found = rows.get(key)
        if found is None:
            continue
        distance = float(np.linalg.norm(store.embedding_of(found[0], row.dim) - vector))
        similarity = spec.scale.similarity(distance)
        if similarity >= threshold:
            matches.append((similarity, key))
    matches.sort(key=lambda m: (-m[0], m[1]))
    chosen = matches[:max_faces]
    records = [
        (store.to_record(rows[k][0], rows[k][1], row.face_model_version), sim) for sim, k in chosen
    ]
    by_user, by_external = store.persons_for(
        s,
        row.id,
        [r.user_id for r, _ in records if r.user_id],
        [r.external_image_id for r, _ in records if r.external_image_id],
    )
    return [
        FaceMatch(
            face=r,
            similarity=sim,
            person=(by_user.get(r.user_id) if r.user_id else None)
            or (by_external.get(r.external_image_id) if r.external_image_id else None),
        )
        for r, sim in records
    ]


def search_faces(
    ctx: FaceContext, request: Mapping[str, Any], *, source_collection: str | None = None
) -> SearchFacesResult:
    """SearchFaces: faces like a stored face (which is not among its own matches).

    ``source_collection`` (a Sightline extension) names another collection holding
    ``FaceId``: its stored embedding is searched in ``CollectionId``. Both collections
    must use the same face model (embeddings of different models are not comparable).
    """
    m = Members(
        "SearchFaces", request, ("CollectionId", "FaceId", "MaxFaces", "FaceMatchThreshold")
    )
    name = m.required_string("CollectionId", COLLECTION_ID)
    face_id = m.required_string("FaceId", FACE_ID)
    max_faces = m.integer("MaxFaces", default=MAX_FACES, low=1, high=MAX_FACES)
    threshold = m.percent("FaceMatchThreshold", default=DEFAULT_THRESHOLD)
    with ctx.read() as s:
        row = store.get_collection(s, name)
        spec = ctx.collection_model(row)[0]
        source = row if source_collection is None else store.get_collection(s, source_collection)
        if source.embedding_version != row.embedding_version:
            raise InvalidParameterError(
                f"The collections {source.name} and {name} use different face models "
                f"({source.embedding_version}, {row.embedding_version}): their faces "
                "cannot be compared."
            )
        found = store.faces_by_face_ids(s, source.id, [face_id]).get(face_id)
        if found is None:
            raise ResourceNotFoundError(f"The face id: {face_id} does not exist in {source.name}")
        vector = store.embedding_of(found[0], source.dim)
        matches = search_vector(
            ctx,
            s,
            row,
            spec,
            vector,
            max_faces=max_faces,
            threshold=threshold,
            exclude=[found[0].id] if source is row else [],
        )
    return SearchFacesResult(face_id, tuple(matches), row.face_model_version)


SEARCH_BY_IMAGE_MEMBERS = (
    "CollectionId",
    "Image",
    "MaxFaces",
    "FaceMatchThreshold",
    "QualityFilter",
)


def search_faces_by_image(
    ctx: FaceContext, request: Mapping[str, Any], *, every_face: bool = False
) -> list[ImageSearchResult]:
    """SearchFacesByImage: the largest face passing QualityFilter (or each of them).

    Raises:
        InvalidParameterError: no face (that passes the filter) in the image, as
            Rekognition answers.
    """
    m = Members("SearchFacesByImage", request, SEARCH_BY_IMAGE_MEMBERS)
    name = m.required_string("CollectionId", COLLECTION_ID)
    if not m.has("Image"):
        raise InvalidParameterError("SearchFacesByImage: Image is required.")
    max_faces = m.integer("MaxFaces", default=MAX_FACES, low=1, high=MAX_FACES)
    threshold = m.percent("FaceMatchThreshold", default=DEFAULT_THRESHOLD)
    quality_filter = m.choice("QualityFilter", QUALITY_FILTERS, default="NONE")
    with ctx.read() as s:
        row = store.get_collection(s, name)
        spec, embedder = ctx.collection_model(row)
    image = ctx.load_image(m.raw("Image"), "Image")
    faces = ctx.detect(image)
    chosen = quality.select(faces, quality_filter, max_faces=len(faces) if every_face else 1)
    if not chosen.kept:
        raise InvalidParameterError(
            "There are no faces in the image. Should be at least 1."
            if not faces
            else f"No face in the image passes QualityFilter {quality_filter}."
        )
    selected = [faces[i] for i in chosen.kept]
    vectors = ctx.embed(spec, embedder, image, selected)
    results: list[ImageSearchResult] = []
    with ctx.read() as s:
        row = store.get_collection(s, name)  # current generation for the index
        for face, vector in zip(selected, vectors, strict=True):
            matches = search_vector(
                ctx, s, row, spec, vector, max_faces=max_faces, threshold=threshold
            )
            results.append(
                ImageSearchResult(
                    face, tuple(matches), row.face_model_version, ctx.image_faces(image)
                )
            )
    return results
