"""Request and response models of the REST face collections, and conversions to them.

Bodies are snake_case; boxes and landmarks are ratios of the image's width and height,
confidences and similarities 0-100, made by the same ``shapes.common`` helpers as the
Rekognition responses. A value Sightline does not have is null, never invented (a
collection listing carries no face counts).
"""

from __future__ import annotations

import datetime as dt
import json
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from sightline.analyzers.types import Box, Face
from sightline.api.rekognition.shapes.common import bounding_box, percent, point
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

# Rekognition's patterns (sightline.faces.requests), anchored for OpenAPI.
COLLECTION_ID = r"^[a-zA-Z0-9_.\-]+$"
USER_ID = r"^[a-zA-Z0-9_.\-:]+$"
EXTERNAL_IMAGE_ID = USER_ID
FACE_ID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# Free text may hold anything but NUL, which PostgreSQL text columns refuse.
TEXT = r"^[^\x00]*$"

CollectionIdStr = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=COLLECTION_ID)
]
UserIdStr = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=USER_ID)]
FaceIdStr = Annotated[str, StringConstraints(min_length=36, max_length=36, pattern=FACE_ID)]
ExternalIdStr = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=EXTERNAL_IMAGE_ID)
]
TagKey = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\w\s.:/=+\-@]+$")
]
TagValue = Annotated[str, StringConstraints(max_length=256, pattern=r"^[\w\s.:/=+\-@]*$")]
Percent = Annotated[float, Field(ge=0, le=100)]


class QualityFilter(str, Enum):
    """Rekognition's QualityFilter: how strict the face-quality bar is."""

    NONE = "NONE"
    AUTO = "AUTO"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests --------------------------------------------------------------------------


class CreateCollectionBody(Strict):
    collection_id: CollectionIdStr
    face_model: Literal["dlib", "sface"] | None = Field(
        None, description="Embedding model; default: settings.face_search.default_model"
    )
    tags: dict[TagKey, TagValue] = Field(default_factory=dict, max_length=200)


class S3ObjectRef(Strict):
    """An object in Sightline's object store (Rekognition's ``S3Object``)."""

    bucket: str = Field(min_length=3, max_length=255, pattern=r"^[0-9A-Za-z.\-_]+$")
    name: str = Field(min_length=1, max_length=1024, pattern=TEXT)
    version: str | None = Field(None, min_length=1, max_length=1024, pattern=TEXT)


class ImageRef(Strict):
    """An image: exactly one of ``bytes`` (the file, base64) or ``s3_object``."""

    data: str | None = Field(
        None, alias="bytes", description="The image file, base64-encoded", max_length=10**8
    )
    s3_object: S3ObjectRef | None = None


class IndexBody(Strict):
    image: ImageRef


class SearchBody(Strict):
    """Exactly one of ``image`` (SearchFacesByImage) or ``face_id`` (SearchFaces)."""

    image: ImageRef | None = None
    face_id: FaceIdStr | None = None


class UserSearchBody(Strict):
    """Exactly one of ``image``, ``face_id`` or ``user_id``."""

    image: ImageRef | None = None
    face_id: FaceIdStr | None = None
    user_id: UserIdStr | None = None


class CompareBody(Strict):
    source: ImageRef
    target: ImageRef


class DeleteFacesBody(Strict):
    face_ids: list[FaceIdStr] = Field(min_length=1, max_length=4096)


class CreateUserBody(Strict):
    user_id: UserIdStr


class AssociateBody(Strict):
    face_ids: list[FaceIdStr] = Field(min_length=1, max_length=100)
    threshold: Percent | None = Field(
        None, description="UserMatchThreshold: a new face must be this like the user's (75)"
    )


class PersonBody(Strict):
    """A person record, attached to at most one of ``user_id`` or ``external_image_id``."""

    name: str = Field(min_length=1, max_length=255, pattern=TEXT)
    notes: str = Field("", max_length=65536, pattern=TEXT)
    attributes: dict[str, Any] = Field(default_factory=dict, description="Any JSON object")
    user_id: UserIdStr | None = None
    external_image_id: ExternalIdStr | None = None

    @field_validator("attributes")
    @classmethod
    def _storable(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "\\u0000" in json.dumps(value) or len(json.dumps(value)) > 65536:
            raise ValueError("attributes must be at most 64 KiB of JSON without NUL characters")
        return value


# --- responses -------------------------------------------------------------------------


class BoundingBox(BaseModel):
    """Ratios of the image's width and height."""

    width: float
    height: float
    left: float
    top: float


class LandmarkModel(BaseModel):
    type: str = Field(examples=["eyeLeft"])
    x: float = Field(description="Ratio of the image width")
    y: float = Field(description="Ratio of the image height")


class PoseModel(BaseModel):
    roll: float
    yaw: float
    pitch: float


class FaceQualityModel(BaseModel):
    brightness: float
    sharpness: float


class DetectedFace(BaseModel):
    """A face found in the request's image."""

    bounding_box: BoundingBox
    confidence: float = Field(description="0-100")
    landmarks: list[LandmarkModel]
    pose: PoseModel | None
    quality: FaceQualityModel | None


class RejectedFaceModel(BaseModel):
    face: DetectedFace
    reasons: list[str] = Field(examples=[["LOW_SHARPNESS"]])


class CollectionModel(BaseModel):
    collection_id: str
    arn: str
    face_model: str = Field(examples=["dlib"])
    face_model_version: str = Field(examples=["1.0"])
    face_count: int | None = Field(description="Stored faces; null in listings")
    user_count: int | None = Field(description="Users; null in listings")
    created_at: dt.datetime


class CollectionPage(BaseModel):
    collections: list[CollectionModel]
    next_token: str | None = Field(description="Pass as ?next_token= for the next page")


class PersonModel(BaseModel):
    person_id: str
    name: str
    notes: str
    attributes: dict[str, Any]
    user_id: str | None
    external_image_id: str | None


class FaceModel(BaseModel):
    """A face stored in a collection."""

    face_id: str
    image_id: str
    external_image_id: str | None
    user_id: str | None
    bounding_box: BoundingBox = Field(description="In the image it was indexed from")
    confidence: float = Field(description="0-100")
    face_model_version: str


class FacePage(BaseModel):
    faces: list[FaceModel]
    next_token: str | None
    face_model_version: str


class IndexedFaceModel(BaseModel):
    face: FaceModel
    detection: DetectedFace


class IndexFacesResponse(BaseModel):
    indexed: list[IndexedFaceModel]
    unindexed: list[RejectedFaceModel]
    face_model_version: str
    orientation_correction: str | None = Field(description="Set for EXIF-rotated images")
    notes: list[str] = Field(description="Why nothing (or less) was indexed, in words")


class FailedFaceModel(BaseModel):
    face_id: str
    reasons: list[str]
    user_id: str | None
    confidence: float | None = Field(description="0-100, for LOW_MATCH_CONFIDENCE")


class DeleteFacesResponse(BaseModel):
    deleted: list[str]
    unsuccessful: list[FailedFaceModel]


class FaceMatchModel(BaseModel):
    similarity: float = Field(description="0-100")
    face: FaceModel
    person: PersonModel | None


class SearchResult(BaseModel):
    """The matches of one searched face: a face of the image, or a stored face."""

    searched_face: DetectedFace | None = Field(description="Image searches")
    searched_face_id: str | None = Field(description="Searches by face_id")
    matches: list[FaceMatchModel]


class SearchResponse(BaseModel):
    face_model_version: str
    results: list[SearchResult] = Field(description="Largest face first")


class ComparedMatchModel(BaseModel):
    similarity: float
    face: DetectedFace


class CompareResponse(BaseModel):
    source_face: DetectedFace
    matches: list[ComparedMatchModel]
    unmatched: list[DetectedFace]


class UserModel(BaseModel):
    user_id: str
    status: str = Field(description="CREATED (no faces) or ACTIVE")
    face_count: int
    person: PersonModel | None


class UserPage(BaseModel):
    users: list[UserModel]
    next_token: str | None


class AssociateResponse(BaseModel):
    associated: list[str]
    unsuccessful: list[FailedFaceModel]
    user_status: str


class DisassociateResponse(BaseModel):
    disassociated: list[str]
    unsuccessful: list[FailedFaceModel]
    user_status: str


class UserMatchModel(BaseModel):
    similarity: float
    user_id: str
    status: str


class UserSearchResponse(BaseModel):
    face_model_version: str
    matches: list[UserMatchModel]
    searched_face: DetectedFace | None = Field(description="Image searches")
    searched_face_id: str | None
    searched_user_id: str | None
    unsearched: list[RejectedFaceModel]


# --- conversions -----------------------------------------------------------------------


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
