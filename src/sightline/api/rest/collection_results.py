"""The face service's results (pixels, 0-1) as the REST models (ratios, 0-100).

Boxes and landmarks go through the same ``shapes.common`` helpers as the Rekognition
responses, so both APIs report the same numbers for the same face.
"""

from __future__ import annotations

from sightline.analyzers.types import Box, Face
from sightline.api.rekognition.shapes.common import bounding_box, percent, point
from sightline.api.rest.collection_models import (
    BoundingBox,
    CollectionModel,
    ComparedMatchModel,
    CompareResponse,
    DetectedFace,
    FaceMatchModel,
    FaceModel,
    FaceQualityModel,
    FailedFaceModel,
    IndexedFaceModel,
    IndexFacesResponse,
    LandmarkModel,
    PersonModel,
    PoseModel,
    RejectedFaceModel,
    SearchResponse,
    SearchResult,
    UserMatchModel,
    UserModel,
    UserSearchResponse,
)
from sightline.faces.types import (
    CollectionInfo,
    CompareFacesResult,
    FaceMatch,
    FaceRecord,
    FailedFace,
    ImageFaces,
    ImageSearchResult,
    IndexFacesResult,
    PersonRecord,
    RejectedFace,
    SearchFacesResult,
    SearchUsersByImageResult,
    SearchUsersResult,
    UserInfo,
    UserMatch,
)


def box(b: Box, width: int, height: int) -> BoundingBox:
    r = bounding_box(b, width, height)
    return BoundingBox(width=r["Width"], height=r["Height"], left=r["Left"], top=r["Top"])


def detected(face: Face, image: ImageFaces) -> DetectedFace:
    w, h = image.width, image.height
    return DetectedFace(
        bounding_box=box(face.box, w, h),
        confidence=percent(face.confidence),
        landmarks=[
            # clipped to the image like BoundingBox (a chin below the frame reads 1.0)
            LandmarkModel(type=lm.type, **{k.lower(): min(max(v, 0.0), 1.0) for k, v in p.items()})
            for lm in face.landmarks
            for p in [point(lm.point, w, h)]
        ],
        pose=None
        if face.pose is None
        else PoseModel(roll=face.pose.roll, yaw=face.pose.yaw, pitch=face.pose.pitch),
        quality=None
        if face.quality is None
        else FaceQualityModel(brightness=face.quality.brightness, sharpness=face.quality.sharpness),
    )


def rejected(r: RejectedFace, image: ImageFaces) -> RejectedFaceModel:
    return RejectedFaceModel(face=detected(r.detection, image), reasons=list(r.reasons))


def collection(info: CollectionInfo, *, counted: bool) -> CollectionModel:
    return CollectionModel(
        collection_id=info.collection_id,
        arn=info.arn,
        face_model=info.face_model,
        face_model_version=info.face_model_version,
        face_count=info.face_count if counted else None,
        user_count=info.user_count if counted else None,
        created_at=info.created_at,
    )


def optional_person(p: PersonRecord | None) -> PersonModel | None:
    return None if p is None else person(p)


def person(p: PersonRecord) -> PersonModel:
    return PersonModel(
        person_id=p.person_id,
        name=p.name,
        notes=p.notes,
        attributes=p.attributes,
        user_id=p.user_id,
        external_image_id=p.external_image_id,
    )


def face(r: FaceRecord) -> FaceModel:
    return FaceModel(
        face_id=r.face_id,
        image_id=r.image_id,
        external_image_id=r.external_image_id,
        user_id=r.user_id,
        bounding_box=box(r.box, r.image_width, r.image_height),
        confidence=percent(r.confidence),
        face_model_version=r.face_model_version,
    )


def face_match(m: FaceMatch) -> FaceMatchModel:
    return FaceMatchModel(
        similarity=m.similarity, face=face(m.face), person=optional_person(m.person)
    )


def failed(f: FailedFace) -> FailedFaceModel:
    return FailedFaceModel(
        face_id=f.face_id, reasons=list(f.reasons), user_id=f.user_id, confidence=f.confidence
    )


def user(u: UserInfo) -> UserModel:
    return UserModel(
        user_id=u.user_id,
        status=u.status,
        face_count=u.face_count,
        person=optional_person(u.person),
    )


def user_match(m: UserMatch) -> UserMatchModel:
    return UserMatchModel(similarity=m.similarity, user_id=m.user.user_id, status=m.user.status)


def index_response(result: IndexFacesResult) -> IndexFacesResponse:
    return IndexFacesResponse(
        indexed=[
            IndexedFaceModel(face=face(f.record), detection=detected(f.detection, result.image))
            for f in result.indexed
        ],
        unindexed=[rejected(u, result.image) for u in result.unindexed],
        face_model_version=result.face_model_version,
        orientation_correction=result.image.info.orientation_correction,
        notes=list(result.notes),
    )


def image_search_result(result: ImageSearchResult) -> SearchResult:
    return SearchResult(
        searched_face=detected(result.searched, result.image),
        searched_face_id=None,
        matches=[face_match(m) for m in result.matches],
    )


def face_search_response(result: SearchFacesResult) -> SearchResponse:
    return SearchResponse(
        face_model_version=result.face_model_version,
        results=[
            SearchResult(
                searched_face=None,
                searched_face_id=result.searched_face_id,
                matches=[face_match(m) for m in result.matches],
            )
        ],
    )


def compare_response(result: CompareFacesResult) -> CompareResponse:
    return CompareResponse(
        source_face=detected(result.source_face, result.source),
        matches=[
            ComparedMatchModel(similarity=m.similarity, face=detected(m.face, result.target))
            for m in result.matches
        ],
        unmatched=[detected(f, result.target) for f in result.unmatched],
    )


def user_search_response(
    result: SearchUsersResult | SearchUsersByImageResult,
) -> UserSearchResponse:
    if isinstance(result, SearchUsersResult):
        return UserSearchResponse(
            face_model_version=result.face_model_version,
            matches=[user_match(m) for m in result.matches],
            searched_face=None,
            searched_face_id=result.searched_face_id,
            searched_user_id=result.searched_user_id,
            unsearched=[],
        )
    return UserSearchResponse(
        face_model_version=result.face_model_version,
        matches=[user_match(m) for m in result.matches],
        searched_face=None if result.searched is None else detected(result.searched, result.image),
        searched_face_id=None,
        searched_user_id=None,
        unsearched=[rejected(u, result.image) for u in result.unsearched],
    )
