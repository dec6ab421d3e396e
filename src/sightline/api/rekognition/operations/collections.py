"""Face collections over the wire: collections, faces, searches, CompareFaces and users.

Each handler passes the validated request (``Image.Bytes`` already base64-decoded by
:mod:`sightline.api.rekognition.validate`) to the server's one
:class:`~sightline.faces.service.FaceService` (:meth:`ApiServices.faces`), whose
``image_resolver`` reads ``Image.S3Object`` from the object store, and turns the result
into botocore's output shape (:mod:`sightline.api.rekognition.shapes.collections`).
The service checks the members the model cannot (threshold ranges, FaceId formats) and
raises :mod:`sightline.errors` classes naming them.
"""

from __future__ import annotations

from typing import Any

from sightline.api.rekognition.context import Handler, OperationContext
from sightline.api.rekognition.shapes import collections as shapes
from sightline.faces.service import FaceService


def _faces(ctx: OperationContext) -> FaceService:
    return ctx.services.faces()


# --- collections -------------------------------------------------------------------


def create_collection(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    return shapes.create_collection_response(_faces(ctx).create_collection(r))


def describe_collection(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    return shapes.describe_collection_response(_faces(ctx).describe_collection(r))


def list_collections(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    return shapes.list_collections_response(_faces(ctx).list_collections(r))


def delete_collection(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    _faces(ctx).delete_collection(r)
    return shapes.delete_collection_response()


# --- faces -------------------------------------------------------------------------


def index_faces(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    return shapes.index_faces_response(_faces(ctx).index_faces(r))


def list_faces(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    page, face_model_version = _faces(ctx).list_faces(r)
    return shapes.list_faces_response(page, face_model_version)


def delete_faces(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    return shapes.delete_faces_response(_faces(ctx).delete_faces(r))


def search_faces(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    return shapes.search_faces_response(_faces(ctx).search_faces(r))


def search_faces_by_image(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    return shapes.search_faces_by_image_response(_faces(ctx).search_faces_by_image(r))


def compare_faces(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    return shapes.compare_faces_response(_faces(ctx).compare_faces(r))


# --- users -------------------------------------------------------------------------


def create_user(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    _faces(ctx).create_user(r)
    return shapes.empty_response()


def delete_user(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    _faces(ctx).delete_user(r)
    return shapes.empty_response()


def list_users(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    return shapes.list_users_response(_faces(ctx).list_users(r))


def associate_faces(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    return shapes.associate_faces_response(_faces(ctx).associate_faces(r))


def disassociate_faces(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    return shapes.disassociate_faces_response(_faces(ctx).disassociate_faces(r))


def search_users(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    return shapes.search_users_response(_faces(ctx).search_users(r))


def search_users_by_image(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    return shapes.search_users_by_image_response(_faces(ctx).search_users_by_image(r))


OPERATIONS: dict[str, Handler] = {
    "CreateCollection": create_collection,
    "DescribeCollection": describe_collection,
    "ListCollections": list_collections,
    "DeleteCollection": delete_collection,
    "IndexFaces": index_faces,
    "ListFaces": list_faces,
    "DeleteFaces": delete_faces,
    "SearchFaces": search_faces,
    "SearchFacesByImage": search_faces_by_image,
    "CompareFaces": compare_faces,
    "CreateUser": create_user,
    "DeleteUser": delete_user,
    "ListUsers": list_users,
    "AssociateFaces": associate_faces,
    "DisassociateFaces": disassociate_faces,
    "SearchUsers": search_users,
    "SearchUsersByImage": search_users_by_image,
}
