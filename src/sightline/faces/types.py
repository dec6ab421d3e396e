"""Results of the face-collection operations: internal types, pixel coordinates.

Each operation of :class:`sightline.faces.service.FaceService` returns one of these;
``sightline.api.rekognition.shapes.collections`` turns them into Rekognition's output
shapes. Boxes are in pixels of the upright source image whose size travels with them
(``FaceRecord.image_width``/``image_height``, ``ImageFaces.width``/``height``);
confidences are 0-1, similarities 0-100 (Rekognition's own scale, calibrated in
:mod:`sightline.faces.similarity`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sightline.analyzers.types import Box, Face
from sightline.media.image import ImageInfo

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; ``next_token`` is None on the last page."""

    items: tuple[T, ...]
    next_token: str | None = None


@dataclass(frozen=True)
class CollectionInfo:
    collection_id: str
    arn: str
    face_model: str  # registry key, e.g. "dlib"
    face_model_version: str  # Rekognition's FaceModelVersion, e.g. "1.0"
    face_count: int
    user_count: int
    created_at: dt.datetime


@dataclass(frozen=True)
class PersonRecord:
    """Who a user or an ExternalImageId is (a Sightline extension)."""

    person_id: str
    name: str
    notes: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    user_id: str | None = None
    external_image_id: str | None = None


@dataclass(frozen=True)
class FaceRecord:
    """A face stored in a collection (Rekognition's ``Face``)."""

    face_id: str
    image_id: str
    box: Box
    image_width: int
    image_height: int
    confidence: float
    face_model_version: str
    external_image_id: str | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class FaceMatch:
    """A stored face and its similarity (0-100) to the searched face."""

    face: FaceRecord
    similarity: float
    person: PersonRecord | None = None


@dataclass(frozen=True)
class ImageFaces:
    """The decoded image an operation looked at: its size and orientation facts."""

    width: int
    height: int
    info: ImageInfo


@dataclass(frozen=True)
class IndexedFace:
    record: FaceRecord
    detection: Face


@dataclass(frozen=True)
class RejectedFace:
    """A detected face that was not indexed or searched, with Rekognition's reasons."""

    detection: Face
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class IndexFacesResult:
    indexed: tuple[IndexedFace, ...]
    unindexed: tuple[RejectedFace, ...]
    face_model_version: str
    image: ImageFaces
    attributes: tuple[str, ...]  # DetectionAttributes, for the FaceDetail shape
    # Why nothing (or less than asked) was indexed, in words, for people and logs:
    # Rekognition's shape has no member for "no face was found".
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FailedFace:
    """A FaceId an operation could not act on, with Rekognition's reasons."""

    face_id: str
    reasons: tuple[str, ...]
    user_id: str | None = None
    confidence: float | None = None  # 0-100, for LOW_MATCH_CONFIDENCE


@dataclass(frozen=True)
class DeleteFacesResult:
    deleted: tuple[str, ...]
    unsuccessful: tuple[FailedFace, ...]


@dataclass(frozen=True)
class SearchFacesResult:
    searched_face_id: str
    matches: tuple[FaceMatch, ...]
    face_model_version: str


@dataclass(frozen=True)
class ImageSearchResult:
    """SearchFacesByImage for one face of the image (the largest, unless all were asked)."""

    searched: Face
    matches: tuple[FaceMatch, ...]
    face_model_version: str
    image: ImageFaces


@dataclass(frozen=True)
class ComparedMatch:
    face: Face
    similarity: float


@dataclass(frozen=True)
class CompareFacesResult:
    source_face: Face
    matches: tuple[ComparedMatch, ...]
    unmatched: tuple[Face, ...]
    source: ImageFaces
    target: ImageFaces


@dataclass(frozen=True)
class UserInfo:
    user_id: str
    status: str  # Rekognition UserStatus: CREATED (no faces) or ACTIVE
    face_count: int = 0
    person: PersonRecord | None = None


@dataclass(frozen=True)
class AssociateFacesResult:
    associated: tuple[str, ...]
    unsuccessful: tuple[FailedFace, ...]
    user_status: str


@dataclass(frozen=True)
class DisassociateFacesResult:
    disassociated: tuple[str, ...]
    unsuccessful: tuple[FailedFace, ...]
    user_status: str


@dataclass(frozen=True)
class UserMatch:
    user: UserInfo
    similarity: float


@dataclass(frozen=True)
class SearchUsersResult:
    matches: tuple[UserMatch, ...]
    face_model_version: str
    searched_face_id: str | None = None
    searched_user_id: str | None = None


@dataclass(frozen=True)
class SearchUsersByImageResult:
    matches: tuple[UserMatch, ...]
    face_model_version: str
    image: ImageFaces
    searched: Face | None = None  # None when no usable face was found
    unsearched: tuple[RejectedFace, ...] = ()
