"""Face collections over REST: ``/api/v1/collections`` and ``/api/v1/faces/compare``.

The routes call the server's one :class:`~sightline.faces.service.FaceService` (the
one the Rekognition operations call, so both APIs see the same collections) with
Rekognition requests built from the path, query and body, and answer snake_case
models (:mod:`sightline.api.rest.collection_models`). Routes that run models (index,
search, compare) run on the bounded analysis pool, like Rekognition requests, and take
their image as a multipart upload or JSON (:mod:`sightline.api.rest.image_body`).
Users and person records are in :mod:`sightline.api.rest.collection_users`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.requests import Request

from sightline.api.rekognition.shapes.common import drop_none
from sightline.api.rest import collection_models as m
from sightline.api.rest import collection_results as to
from sightline.api.rest.collection_users import users_router
from sightline.api.rest.image_body import openapi, read_image_body
from sightline.api.services import ApiServices
from sightline.errors import ConflictError, InvalidParameterError, ResourceNotFoundError

CollectionId = Annotated[
    str, Path(min_length=1, max_length=255, pattern=m.COLLECTION_ID, description="CollectionId")
]
FaceId = Annotated[str, Path(min_length=36, max_length=36, pattern=m.FACE_ID)]
Threshold = Annotated[
    float | None, Query(ge=0, le=100, description="Least similarity (0-100); default 80")
]
Quality = Annotated[
    m.QualityFilter | None, Query(description="Face-quality bar; default NONE (AUTO to index)")
]
NextToken = Annotated[
    str | None, Query(min_length=1, max_length=255, description="From the previous page")
]


def collections_router(services: ApiServices) -> APIRouter:
    router = APIRouter(tags=["face collections"])
    router.include_router(_collections(services))
    router.include_router(_faces(services))
    router.include_router(users_router(services))
    return router


def _collections(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/collections")

    @router.post(
        "", response_model=m.CollectionModel, status_code=201, summary="Create a collection"
    )
    def create_collection(body: m.CreateCollectionBody) -> m.CollectionModel:
        request = drop_none({"CollectionId": body.collection_id, "Tags": body.tags or None})
        info = services.faces().create_collection(request, face_model=body.face_model)
        return to.collection(info, counted=True)

    @router.get("", response_model=m.CollectionPage, summary="List collections")
    def list_collections(
        limit: Annotated[int, Query(ge=1, le=4096)] = 100, next_token: NextToken = None
    ) -> m.CollectionPage:
        """Collections by id, a page at a time (counts: see a collection's own route)."""
        page = services.faces().list_collections(
            drop_none({"MaxResults": limit, "NextToken": next_token})
        )
        return m.CollectionPage(
            collections=[to.collection(c, counted=False) for c in page.items],
            next_token=page.next_token,
        )

    @router.get("/{collection_id}", response_model=m.CollectionModel, summary="A collection")
    def describe_collection(collection_id: CollectionId) -> m.CollectionModel:
        info = services.faces().describe_collection({"CollectionId": collection_id})
        return to.collection(info, counted=True)

    @router.delete("/{collection_id}", status_code=204, summary="Delete a collection")
    def delete_collection(collection_id: CollectionId) -> None:
        """The collection with its faces, users and person records."""
        services.faces().delete_collection({"CollectionId": collection_id})

    return router


def _faces(services: ApiServices) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/collections/{collection_id}/faces",
        response_model=m.IndexFacesResponse,
        summary="Index the faces of an image",
        openapi_extra=openapi(m.IndexBody, ["image"]),
    )
    async def index_faces(
        request: Request,
        collection_id: CollectionId,
        external_image_id: Annotated[
            str | None, Query(min_length=1, max_length=255, pattern=m.EXTERNAL_IMAGE_ID)
        ] = None,
        max_faces: Annotated[int | None, Query(ge=1, le=100)] = None,
        quality_filter: Quality = None,
    ) -> m.IndexFacesResponse:
        """Detect, filter (quality_filter, default AUTO; max_faces) and store the faces.

        The image is a multipart file named ``image`` or JSON ``{"image": {"bytes":
        <base64>}}`` / ``{"image": {"s3_object": {"bucket", "name"}}}``. Indexing the
        same image with the same external_image_id again returns the stored faces.
        """
        body = await read_image_body(request, services, m.IndexBody, ["image"])
        rekognition = drop_none(
            {
                "CollectionId": collection_id,
                "Image": body.images["image"],
                "ExternalImageId": external_image_id,
                "MaxFaces": max_faces,
                "QualityFilter": _value(quality_filter),
            }
        )
        result = await services.analysis.run(lambda: services.faces().index_faces(rekognition))
        return to.index_response(result)

    @router.get(
        "/collections/{collection_id}/faces", response_model=m.FacePage, summary="List faces"
    )
    def list_faces(
        collection_id: CollectionId,
        limit: Annotated[int, Query(ge=1, le=4096)] = 100,
        next_token: NextToken = None,
        user_id: Annotated[
            str | None, Query(min_length=1, max_length=128, pattern=m.USER_ID)
        ] = None,
    ) -> m.FacePage:
        """Stored faces in indexing order, a page at a time; only a user's with user_id."""
        page, version = services.faces().list_faces(
            drop_none(
                {
                    "CollectionId": collection_id,
                    "MaxResults": limit,
                    "NextToken": next_token,
                    "UserId": user_id,
                }
            )
        )
        return m.FacePage(
            faces=[to.face(f) for f in page.items],
            next_token=page.next_token,
            face_model_version=version,
        )

    @router.delete(
        "/collections/{collection_id}/faces/{face_id}", status_code=204, summary="Delete a face"
    )
    def delete_face(collection_id: CollectionId, face_id: FaceId) -> None:
        """404 for an unknown face; a face associated with a user is refused."""
        result = services.faces().delete_faces(
            {"CollectionId": collection_id, "FaceIds": [face_id]}
        )
        for failure in result.unsuccessful:
            if "FACE_NOT_FOUND" in failure.reasons:
                raise ResourceNotFoundError(f"The face id: {face_id} does not exist")
            raise ConflictError(
                f"The face id: {face_id} is associated with user {failure.user_id}; "
                "disassociate it first."
            )

    @router.post(
        "/collections/{collection_id}/faces/delete",
        response_model=m.DeleteFacesResponse,
        summary="Delete several faces",
    )
    def delete_faces(collection_id: CollectionId, body: m.DeleteFacesBody) -> m.DeleteFacesResponse:
        """Each face is deleted or reported (FACE_NOT_FOUND, ASSOCIATED_TO_AN_EXISTING_USER)."""
        result = services.faces().delete_faces(
            {"CollectionId": collection_id, "FaceIds": body.face_ids}
        )
        return m.DeleteFacesResponse(
            deleted=list(result.deleted), unsuccessful=[to.failed(f) for f in result.unsuccessful]
        )

    @router.post(
        "/collections/{collection_id}/search",
        response_model=m.SearchResponse,
        summary="Search faces by image or by face id",
        openapi_extra=openapi(m.SearchBody, ["image"]),
    )
    async def search(
        request: Request,
        collection_id: CollectionId,
        every_face: Annotated[
            bool, Query(alias="all", description="Search every face of the image")
        ] = False,
        threshold: Threshold = None,
        max_faces: Annotated[int | None, Query(ge=1, le=4096)] = None,
        quality_filter: Quality = None,
    ) -> m.SearchResponse:
        """Stored faces like the image's largest face (every face with ``?all=true``), or
        like a stored face (JSON ``{"face_id": ...}``). A stranger gets no match."""
        body = await read_image_body(request, services, m.SearchBody, ["image"])
        face_id, image = body.fields.get("face_id"), body.images.get("image")
        if (face_id is None) == (image is None):
            raise InvalidParameterError("A search needs exactly one of image or face_id.")
        common = {
            "CollectionId": collection_id,
            "FaceMatchThreshold": threshold,
            "MaxFaces": max_faces,
        }
        if face_id is not None:
            if every_face or quality_filter is not None:
                raise InvalidParameterError("all and quality_filter apply to image searches.")
            by_id = drop_none({**common, "FaceId": face_id})
            found = await services.analysis.run(lambda: services.faces().search_faces(by_id))
            return to.face_search_response(found)
        by_image = drop_none({**common, "Image": image, "QualityFilter": _value(quality_filter)})

        def run() -> m.SearchResponse:
            service = services.faces()
            results = (
                service.search_all_faces_by_image(by_image)
                if every_face
                else [service.search_faces_by_image(by_image)]
            )
            return m.SearchResponse(
                face_model_version=results[0].face_model_version,
                results=[to.image_search_result(x) for x in results],
            )

        return await services.analysis.run(run)

    @router.post(
        "/faces/compare",
        response_model=m.CompareResponse,
        summary="Compare the faces of two images",
        openapi_extra=openapi(m.CompareBody, ["source", "target"]),
    )
    async def compare(
        request: Request, threshold: Threshold = None, quality_filter: Quality = None
    ) -> m.CompareResponse:
        """The largest face of ``source`` against each face of ``target`` (CompareFaces)."""
        body = await read_image_body(request, services, m.CompareBody, ["source", "target"])
        rekognition = drop_none(
            {
                "SourceImage": body.images["source"],
                "TargetImage": body.images["target"],
                "SimilarityThreshold": threshold,
                "QualityFilter": _value(quality_filter),
            }
        )
        result = await services.analysis.run(lambda: services.faces().compare_faces(rekognition))
        return to.compare_response(result)

    return router


def _value(choice: m.QualityFilter | None) -> str | None:
    return None if choice is None else choice.value
