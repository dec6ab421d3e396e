"""People pages: register people (webcam or photo), their faces, and face search.

- ``/people``: everyone registered (name, notes, a face, how many faces) and the
  registration form; ``/people/{id}``: a person's faces, another face, delete.
- ``/people/search``: who is in a photo (webcam or upload), largest face or every
  face, the matches over the image.

Forms post a photo as ``multipart/form-data``; the camera (``static/camera.js``)
only fills the form's file input with its capture, so every form also works with a
chosen file and without JavaScript. Refused input re-renders the form with the
message next to the field that caused it.
"""

from __future__ import annotations

import base64
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from PIL import Image as PILImage
from starlette.responses import Response

from sightline.accounts.actor import Actor
from sightline.api.errors import rest_status
from sightline.api.web.auth import PageActor, csrf
from sightline.api.web.context import WebContext
from sightline.api.web.render import page_router, renderer, see_other
from sightline.errors import InvalidParameterError, RequestTooLargeError, SightlineError
from sightline.faces.similarity import DEFAULT_THRESHOLD
from sightline.media.image import Image
from sightline.people.registry import check_name, check_notes
from sightline.people.search import search_people

PersonId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[a-zA-Z0-9_.\-:]+$")]
FaceId = Annotated[str, Path(min_length=36, max_length=36, pattern=r"^[0-9a-f-]{36}$")]
Name = Annotated[str, Form(max_length=1000)]
Notes = Annotated[str, Form(max_length=10_000)]
Photo = Annotated[UploadFile | None, File()]
PREVIEW_SIDE = 960  # the query image shown with the search results
changes = [Depends(csrf)]


def read_upload(file: UploadFile | None, limit: int) -> bytes:
    """The uploaded file's bytes (empty when none was chosen).

    Raises:
        RequestTooLargeError: over ``limit`` bytes.
    """
    if file is None or not file.filename:
        return b""
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise RequestTooLargeError(
            f"The photo is larger than {limit // (1024 * 1024)} MB; use a smaller one."
        )
    return data


def preview_data_url(image: Image) -> str:
    """The image, shrunk to :data:`PREVIEW_SIDE`, as a ``data:`` URL (no copy of a
    query photo is stored: it is shown once, with its results)."""
    picture = PILImage.fromarray(image.pixels)
    picture.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), PILImage.Resampling.LANCZOS)
    buf = io.BytesIO()
    picture.save(buf, "JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def people_pages(ctx: WebContext) -> APIRouter:
    router = page_router()
    people = ctx.people
    limit = ctx.services.settings.limits.max_object_bytes

    def list_page(
        request: Request,
        actor: Actor,
        errors: dict[str, str] | None = None,
        status: int = 400,
        **form: Any,
    ) -> Response:
        everyone = people.everyone()
        return renderer(request).page(
            request,
            "people.html",
            {
                "people": everyone,
                "editable": {p.id for p in everyone if people.can_edit(actor, p)},
                "errors": errors or {},
                "form": form,
            },
            status=status if errors else 200,
        )

    def person_page(
        request: Request,
        actor: Actor,
        person_id: str,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        person = people.get(person_id)
        return renderer(request).page(
            request,
            "person.html",
            {
                "person": person,
                "can_edit": people.can_edit(actor, person),
                "errors": errors or {},
            },
            status=status if errors else 200,
        )

    def search_page(request: Request, context: dict[str, Any], status: int = 200) -> Response:
        return renderer(request).page(
            request,
            "face_search.html",
            {
                "registered": len(people.everyone()),
                "errors": {},
                "result": None,
                "every_face": False,
                "threshold": DEFAULT_THRESHOLD,
                **context,
            },
            status=status,
        )

    @router.get("/people")
    def people_list(request: Request, actor: PageActor) -> Response:
        return list_page(request, actor)

    @router.post("/people", dependencies=changes)
    def register(
        request: Request,
        actor: PageActor,
        name: Name = "",
        notes: Notes = "",
        photo: Photo = None,
    ) -> Response:
        errors: dict[str, str] = {}
        for field, check, value in (("name", check_name, name), ("notes", check_notes, notes)):
            try:
                check(value)
            except InvalidParameterError as exc:
                errors[field] = exc.message
        status = 400
        try:
            data = read_upload(photo, limit)
            if not data:
                raise InvalidParameterError(
                    "Choose a photo of the person, or capture one with the camera."
                )
            if not errors:
                person = people.register(actor, name, notes, data)
                return see_other(f"/people/{person.id}?registered=1")
        except SightlineError as exc:
            status = rest_status(exc)
            if status in (401, 403, 404):
                raise
            errors["photo"] = exc.message
        return list_page(request, actor, errors, status, name=name, notes=notes)

    @router.get("/people/search")
    def search_form(request: Request, actor: PageActor) -> Response:
        return search_page(request, {})

    @router.post("/people/search", dependencies=changes)
    def search(
        request: Request,
        actor: PageActor,
        photo: Photo = None,
        every_face: Annotated[str, Form(max_length=10)] = "",
        threshold: Annotated[float, Form(ge=0, le=100)] = DEFAULT_THRESHOLD,
    ) -> Response:
        every = every_face in ("1", "on", "true")
        form = {"every_face": every, "threshold": threshold}
        try:
            image = people.decode(read_upload(photo, limit))
            result = search_people(people, image, every_face=every, threshold=threshold)
        except SightlineError as exc:
            status = rest_status(exc)
            if status in (401, 403):
                raise
            # Nobody registered yet (no collection) is a message on the form, not a 404.
            return search_page(
                request,
                {**form, "errors": {"photo": exc.message}},
                400 if status == 404 else status,
            )
        return search_page(request, {**form, "result": result, "preview": preview_data_url(image)})

    @router.get("/people/{person_id}")
    def person(request: Request, actor: PageActor, person_id: PersonId) -> Response:
        return person_page(request, actor, person_id)

    @router.post("/people/{person_id}/faces", dependencies=changes)
    def add_face(
        request: Request, actor: PageActor, person_id: PersonId, photo: Photo = None
    ) -> Response:
        try:
            people.add_face(actor, person_id, read_upload(photo, limit))
        except SightlineError as exc:
            status = rest_status(exc)
            if status in (401, 403, 404):
                raise
            return person_page(request, actor, person_id, {"photo": exc.message}, status)
        return see_other(f"/people/{person_id}?added=1")

    @router.post("/people/{person_id}/delete", dependencies=changes)
    def delete(request: Request, actor: PageActor, person_id: PersonId) -> Response:
        people.delete(actor, person_id)
        return see_other("/people?deleted=1")

    @router.get("/people/{person_id}/faces/{face_id}.jpg")
    def face_picture(
        request: Request, actor: PageActor, person_id: PersonId, face_id: FaceId
    ) -> Response:
        with people.crop(person_id, face_id) as stream:
            data = stream.read()
        return Response(
            data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
        )

    return router
