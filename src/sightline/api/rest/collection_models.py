"""Request and response models of the REST face collections (they make the OpenAPI).

Bodies are snake_case; boxes and landmarks are ratios of the image's width and height,
confidences and similarities 0-100 (:mod:`sightline.api.rest.collection_results` makes
them from the face service's results). A value Sightline does not have is null, never
invented (a collection listing carries no face counts).
"""

from __future__ import annotations

import datetime as dt
import json
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

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
