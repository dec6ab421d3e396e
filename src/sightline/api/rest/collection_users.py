"""Users and person records of a face collection over REST.

``/api/v1/collections/{id}/users``: create, list, delete, associate and disassociate
faces, and search users (by image, face id or user id). ``.../persons``: who a user or
an ExternalImageId is (name, notes, attributes), a Sightline extension that search
matches and user listings carry.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.requests import Request

from sightline.api.rekognition.shapes.common import drop_none
from sightline.api.rest import collection_models as m
from sightline.api.rest import collection_results as to
from sightline.api.rest.image_body import openapi, read_image_body
from sightline.api.services import ApiServices
from sightline.errors import InvalidParameterError

CollectionId = Annotated[
    str, Path(min_length=1, max_length=255, pattern=m.COLLECTION_ID, description="CollectionId")
]
UserId = Annotated[str, Path(min_length=1, max_length=128, pattern=m.USER_ID)]
PersonId = Annotated[str, Path(min_length=1, max_length=128, pattern=m.USER_ID)]


def users_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/collections/{collection_id}")
    _users(router, services)
    _persons(router, services)
    return router


def _users(router: APIRouter, services: ApiServices) -> None:
    @router.post("/users", response_model=m.UserModel, status_code=201, summary="Create a user")
    def create_user(collection_id: CollectionId, body: m.CreateUserBody) -> m.UserModel:
        """A user groups one person's faces (up to 100); an existing user_id is refused."""
        services.faces().create_user({"CollectionId": collection_id, "UserId": body.user_id})
        return m.UserModel(user_id=body.user_id, status="CREATED", face_count=0, person=None)

    @router.get("/users", response_model=m.UserPage, summary="List users")
    def list_users(
        collection_id: CollectionId,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        next_token: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    ) -> m.UserPage:
        page = services.faces().list_users(
            drop_none({"CollectionId": collection_id, "MaxResults": limit, "NextToken": next_token})
        )
        return m.UserPage(users=[to.user(u) for u in page.items], next_token=page.next_token)

    @router.delete("/users/{user_id}", status_code=204, summary="Delete a user")
    def delete_user(collection_id: CollectionId, user_id: UserId) -> None:
        """The user's faces stay in the collection, no longer associated."""
        services.faces().delete_user({"CollectionId": collection_id, "UserId": user_id})

    @router.post(
        "/users/{user_id}/faces",
        response_model=m.AssociateResponse,
        summary="Associate faces with a user",
    )
    def associate_faces(
        collection_id: CollectionId, user_id: UserId, body: m.AssociateBody
    ) -> m.AssociateResponse:
        """Once a user has faces, a new one must be like them (threshold, default 75)."""
        result = services.faces().associate_faces(
            drop_none(
                {
                    "CollectionId": collection_id,
                    "UserId": user_id,
                    "FaceIds": body.face_ids,
                    "UserMatchThreshold": body.threshold,
                }
            )
        )
        return m.AssociateResponse(
            associated=list(result.associated),
            unsuccessful=[to.failed(f) for f in result.unsuccessful],
            user_status=result.user_status,
        )

    @router.delete(
        "/users/{user_id}/faces",
        response_model=m.DisassociateResponse,
        summary="Disassociate faces from a user",
    )
    def disassociate_faces(
        collection_id: CollectionId,
        user_id: UserId,
        face_id: Annotated[list[m.FaceIdStr], Query(min_length=1, max_length=100)],
    ) -> m.DisassociateResponse:
        """``?face_id=...&face_id=...``; the faces stay in the collection."""
        result = services.faces().disassociate_faces(
            {"CollectionId": collection_id, "UserId": user_id, "FaceIds": face_id}
        )
        return m.DisassociateResponse(
            disassociated=list(result.disassociated),
            unsuccessful=[to.failed(f) for f in result.unsuccessful],
            user_status=result.user_status,
        )

    @router.post(
        "/users/search",
        response_model=m.UserSearchResponse,
        summary="Search users by image, face id or user id",
        openapi_extra=openapi(m.UserSearchBody, ["image"]),
    )
    async def search_users(
        request: Request,
        collection_id: CollectionId,
        threshold: Annotated[float | None, Query(ge=0, le=100)] = None,
        max_users: Annotated[int | None, Query(ge=1, le=500)] = None,
        quality_filter: m.QualityFilter | None = None,
    ) -> m.UserSearchResponse:
        """Users whose best face is like the image's largest face, a stored face
        (``{"face_id"}``) or a user's faces (``{"user_id"}``). An image without a usable
        face answers no matches, with the faces it could not search."""
        body = await read_image_body(request, services, m.UserSearchBody, ["image"])
        given = {**body.fields, **body.images}
        if len(given) != 1:
            raise InvalidParameterError(
                "A user search needs exactly one of image, face_id or user_id."
            )
        common = {
            "CollectionId": collection_id,
            "UserMatchThreshold": threshold,
            "MaxUsers": max_users,
        }
        if "image" in given:
            by_image = drop_none(
                {
                    **common,
                    "Image": given["image"],
                    "QualityFilter": None if quality_filter is None else quality_filter.value,
                }
            )
            found = await services.analysis.run(
                lambda: services.faces().search_users_by_image(by_image)
            )
            return to.user_search_response(found)
        if quality_filter is not None:
            raise InvalidParameterError("quality_filter applies to image searches.")
        by_id = drop_none(
            {**common, "FaceId": given.get("face_id"), "UserId": given.get("user_id")}
        )
        result = await services.analysis.run(lambda: services.faces().search_users(by_id))
        return to.user_search_response(result)


def _persons(router: APIRouter, services: ApiServices) -> None:
    @router.get("/persons", response_model=list[m.PersonModel], summary="List person records")
    def list_persons(collection_id: CollectionId) -> list[m.PersonModel]:
        return [to.person(p) for p in services.faces().list_persons(collection_id)]

    @router.post(
        "/persons", response_model=m.PersonModel, status_code=201, summary="Create a person"
    )
    def create_person(collection_id: CollectionId, body: m.PersonBody) -> m.PersonModel:
        """A new record with a generated person_id."""
        return to.person(services.faces().put_person(collection_id, **body.model_dump()))

    @router.put(
        "/persons/{person_id}", response_model=m.PersonModel, summary="Create or replace a person"
    )
    def put_person(
        collection_id: CollectionId, person_id: PersonId, body: m.PersonBody
    ) -> m.PersonModel:
        """Attach it to at most one of user_id (which must exist) or external_image_id;
        a target that already has another record is refused."""
        record = services.faces().put_person(
            collection_id, person_id=person_id, **body.model_dump()
        )
        return to.person(record)

    @router.get("/persons/{person_id}", response_model=m.PersonModel, summary="A person")
    def get_person(collection_id: CollectionId, person_id: PersonId) -> m.PersonModel:
        return to.person(services.faces().get_person(collection_id, person_id))

    @router.delete("/persons/{person_id}", status_code=204, summary="Delete a person record")
    def delete_person(collection_id: CollectionId, person_id: PersonId) -> None:
        services.faces().delete_person(collection_id, person_id)
