"""Face collections, faces, users and CompareFaces as Rekognition's output shapes.

One ``<operation>_response`` function per operation of
:class:`sightline.faces.service.FaceService`, taking that method's result. Boxes
become ratios of the source image, confidences 0-100; similarities are already 0-100.
Timestamps are epoch seconds (what the JSON 1.1 protocol carries). Members without a
value are omitted, never sent as null.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sightline.analyzers.types import Face
from sightline.api.rekognition.shapes.common import bounding_box, drop_none, percent
from sightline.api.rekognition.shapes.faces import face_detail
from sightline.faces.types import (
    AssociateFacesResult,
    CollectionInfo,
    CompareFacesResult,
    DeleteFacesResult,
    DisassociateFacesResult,
    FaceMatch,
    FaceRecord,
    FailedFace,
    ImageSearchResult,
    IndexFacesResult,
    Page,
    SearchFacesResult,
    SearchUsersByImageResult,
    SearchUsersResult,
    UserInfo,
    UserMatch,
)

# ComparedFace carries a subset of FaceDetail's members.
COMPARED_FACE_MEMBERS = (
    "BoundingBox",
    "Confidence",
    "Landmarks",
    "Pose",
    "Quality",
    "Emotions",
    "Smile",
)


# --- collections -------------------------------------------------------------------


def create_collection_response(info: CollectionInfo) -> dict[str, Any]:
    return {
        "StatusCode": 200,
        "CollectionArn": info.arn,
        "FaceModelVersion": info.face_model_version,
    }


def describe_collection_response(info: CollectionInfo) -> dict[str, Any]:
    return {
        "FaceCount": info.face_count,
        "FaceModelVersion": info.face_model_version,
        "CollectionARN": info.arn,
        "CreationTimestamp": epoch(info.created_at),
        "UserCount": info.user_count,
    }


def list_collections_response(page: Page[CollectionInfo]) -> dict[str, Any]:
    return drop_none(
        {
            "CollectionIds": [c.collection_id for c in page.items],
            "NextToken": page.next_token,
            "FaceModelVersions": [c.face_model_version for c in page.items],
        }
    )


def delete_collection_response() -> dict[str, Any]:
    return {"StatusCode": 200}


# --- faces -------------------------------------------------------------------------


def face(record: FaceRecord) -> dict[str, Any]:
    """A stored face: Rekognition's ``Face``."""
    return drop_none(
        {
            "FaceId": record.face_id,
            "BoundingBox": bounding_box(record.box, record.image_width, record.image_height),
            "ImageId": record.image_id,
            "ExternalImageId": record.external_image_id,
            "Confidence": percent(record.confidence),
            "IndexFacesModelVersion": record.face_model_version,
            "UserId": record.user_id,
        }
    )


def index_faces_response(result: IndexFacesResult) -> dict[str, Any]:
    w, h = result.image.width, result.image.height
    attributes = list(result.attributes)
    return drop_none(
        {
            "FaceRecords": [
                {"Face": face(f.record), "FaceDetail": face_detail(f.detection, w, h, attributes)}
                for f in result.indexed
            ],
            "OrientationCorrection": result.image.info.orientation_correction,
            "FaceModelVersion": result.face_model_version,
            "UnindexedFaces": [
                {
                    "Reasons": list(u.reasons),
                    "FaceDetail": face_detail(u.detection, w, h, attributes),
                }
                for u in result.unindexed
            ],
        }
    )


def list_faces_response(page: Page[FaceRecord], face_model_version: str) -> dict[str, Any]:
    return drop_none(
        {
            "Faces": [face(r) for r in page.items],
            "NextToken": page.next_token,
            "FaceModelVersion": face_model_version,
        }
    )


def delete_faces_response(result: DeleteFacesResult) -> dict[str, Any]:
    return {
        "DeletedFaces": list(result.deleted),
        "UnsuccessfulFaceDeletions": [_failed(f) for f in result.unsuccessful],
    }


def face_matches(matches: tuple[FaceMatch, ...]) -> list[dict[str, Any]]:
    return [{"Similarity": m.similarity, "Face": face(m.face)} for m in matches]


def search_faces_response(result: SearchFacesResult) -> dict[str, Any]:
    return {
        "SearchedFaceId": result.searched_face_id,
        "FaceMatches": face_matches(result.matches),
        "FaceModelVersion": result.face_model_version,
    }


def search_faces_by_image_response(result: ImageSearchResult) -> dict[str, Any]:
    w, h = result.image.width, result.image.height
    return {
        "SearchedFaceBoundingBox": bounding_box(result.searched.box, w, h),
        "SearchedFaceConfidence": percent(result.searched.confidence),
        "FaceMatches": face_matches(result.matches),
        "FaceModelVersion": result.face_model_version,
    }


# --- CompareFaces ------------------------------------------------------------------


def compared_face(detection: Face, width: int, height: int) -> dict[str, Any]:
    detail = face_detail(detection, width, height)
    return {k: detail[k] for k in COMPARED_FACE_MEMBERS if k in detail}


def compare_faces_response(result: CompareFacesResult) -> dict[str, Any]:
    sw, sh = result.source.width, result.source.height
    tw, th = result.target.width, result.target.height
    return drop_none(
        {
            "SourceImageFace": {
                "BoundingBox": bounding_box(result.source_face.box, sw, sh),
                "Confidence": percent(result.source_face.confidence),
            },
            "FaceMatches": [
                {"Similarity": m.similarity, "Face": compared_face(m.face, tw, th)}
                for m in result.matches
            ],
            "UnmatchedFaces": [compared_face(f, tw, th) for f in result.unmatched],
            "SourceImageOrientationCorrection": result.source.info.orientation_correction,
            "TargetImageOrientationCorrection": result.target.info.orientation_correction,
        }
    )


# --- users -------------------------------------------------------------------------


def empty_response() -> dict[str, Any]:
    """CreateUser and DeleteUser answer an empty object."""
    return {}


def associate_faces_response(result: AssociateFacesResult) -> dict[str, Any]:
    return {
        "AssociatedFaces": [{"FaceId": f} for f in result.associated],
        "UnsuccessfulFaceAssociations": [_failed(f) for f in result.unsuccessful],
        "UserStatus": result.user_status,
    }


def disassociate_faces_response(result: DisassociateFacesResult) -> dict[str, Any]:
    return {
        "DisassociatedFaces": [{"FaceId": f} for f in result.disassociated],
        "UnsuccessfulFaceDisassociations": [_failed(f) for f in result.unsuccessful],
        "UserStatus": result.user_status,
    }


def list_users_response(page: Page[UserInfo]) -> dict[str, Any]:
    return drop_none(
        {
            "Users": [{"UserId": u.user_id, "UserStatus": u.status} for u in page.items],
            "NextToken": page.next_token,
        }
    )


def user_matches(matches: tuple[UserMatch, ...]) -> list[dict[str, Any]]:
    return [
        {
            "Similarity": m.similarity,
            "User": {"UserId": m.user.user_id, "UserStatus": m.user.status},
        }
        for m in matches
    ]


def search_users_response(result: SearchUsersResult) -> dict[str, Any]:
    return drop_none(
        {
            "UserMatches": user_matches(result.matches),
            "FaceModelVersion": result.face_model_version,
            "SearchedFace": None
            if result.searched_face_id is None
            else {"FaceId": result.searched_face_id},
            "SearchedUser": None
            if result.searched_user_id is None
            else {"UserId": result.searched_user_id},
        }
    )


def search_users_by_image_response(result: SearchUsersByImageResult) -> dict[str, Any]:
    w, h = result.image.width, result.image.height
    return drop_none(
        {
            "UserMatches": user_matches(result.matches),
            "FaceModelVersion": result.face_model_version,
            "SearchedFace": None
            if result.searched is None
            else {"FaceDetail": face_detail(result.searched, w, h)},
            "UnsearchedFaces": [
                {"FaceDetails": face_detail(u.detection, w, h), "Reasons": list(u.reasons)}
                for u in result.unsearched
            ],
        }
    )


# --- helpers -----------------------------------------------------------------------


def epoch(value: dt.datetime) -> float:
    """Epoch seconds; a naive datetime (SQLite drops the zone) is UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.timestamp()


def _failed(f: FailedFace) -> dict[str, Any]:
    return drop_none(
        {
            "FaceId": f.face_id,
            "UserId": f.user_id,
            "Confidence": f.confidence,
            "Reasons": list(f.reasons),
        }
    )
