"""CompareFaces: the largest face of the source image against each face of the target.

Stateless (no collection): the embeddings come from the configured default face model
and its similarity scale, the same numbers a collection of that model would report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sightline.errors import InvalidParameterError
from sightline.faces import quality
from sightline.faces.context import FaceContext
from sightline.faces.models import face_model
from sightline.faces.requests import QUALITY_FILTERS, Members
from sightline.faces.similarity import DEFAULT_THRESHOLD
from sightline.faces.types import ComparedMatch, CompareFacesResult

MAX_TARGET_FACES = 100  # Rekognition compares with the 100 largest target faces


def compare_faces(
    ctx: FaceContext, request: Mapping[str, Any], *, face_model_key: str | None = None
) -> CompareFacesResult:
    """CompareFaces; ``face_model_key`` picks a model other than the default.

    Raises:
        InvalidParameterError: no face (passing QualityFilter) in the source or target.
    """
    m = Members(
        "CompareFaces",
        request,
        ("SourceImage", "TargetImage", "SimilarityThreshold", "QualityFilter"),
    )
    for member in ("SourceImage", "TargetImage"):
        if not m.has(member):
            raise InvalidParameterError(f"CompareFaces: {member} is required.")
    threshold = m.percent("SimilarityThreshold", default=DEFAULT_THRESHOLD)
    quality_filter = m.choice("QualityFilter", QUALITY_FILTERS, default="NONE")
    spec = face_model(face_model_key or ctx.settings.face_search.default_model)
    embedder = ctx.embedder(spec)

    source = ctx.load_image(m.raw("SourceImage"), "SourceImage")
    source_faces = ctx.detect(source)
    picked = quality.select(source_faces, quality_filter, max_faces=1).kept
    if not picked:
        raise InvalidParameterError("There are no faces in the source image that can be compared.")
    source_face = source_faces[picked[0]]
    target = ctx.load_image(m.raw("TargetImage"), "TargetImage")
    target_faces = ctx.detect(target)
    kept = quality.select(target_faces, quality_filter, max_faces=MAX_TARGET_FACES).kept
    if not kept:
        raise InvalidParameterError("There are no faces in the target image that can be compared.")
    candidates = [target_faces[i] for i in kept]

    query = ctx.embed(spec, embedder, source, [source_face])[0]
    vectors = ctx.embed(spec, embedder, target, candidates)
    distances = np.linalg.norm(vectors - query, axis=1)
    matches: list[ComparedMatch] = []
    unmatched = []
    for face, distance in zip(candidates, distances, strict=True):
        similarity = spec.scale.similarity(float(distance))
        if similarity >= threshold:
            matches.append(ComparedMatch(face, similarity))
        else:
            unmatched.append(face)
    matches.sort(key=lambda x: -x.similarity)
    return CompareFacesResult(
        source_face=source_face,
        matches=tuple(matches),
        unmatched=tuple(unmatched),
        source=ctx.image_faces(source),
        target=ctx.image_faces(target),
    )
