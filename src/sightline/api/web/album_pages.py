"""Album pages: the list, the gallery (upload, live status, sharing), the photo page.

Forms post here and redirect back (Post/Redirect/Get); a form whose input is refused is
shown again with the message next to the field that caused it. With JavaScript, the
gallery uploads through the JSON API and follows the live status stream instead
(``static/gallery.js``); without it, the upload form below works the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from starlette.responses import Response

from sightline.accounts.actor import Actor
from sightline.api.errors import rest_status
from sightline.api.rest.album_models import photo_model
from sightline.api.rest.albums import incoming
from sightline.api.rest.uploads import check_upload_files
from sightline.api.web import photo_view
from sightline.api.web.auth import PageActor, csrf
from sightline.api.web.context import WebContext
from sightline.api.web.events import TILE_DOCUMENTS
from sightline.api.web.render import page_router, renderer, see_other
from sightline.errors import SightlineError

AlbumId = Annotated[str, Path(min_length=1, max_length=32)]
PhotoId = Annotated[str, Path(min_length=1, max_length=32)]
UserName = Annotated[str, Path(min_length=1, max_length=64)]
Text = Annotated[str, Form(max_length=300)]
changes = [Depends(csrf)]


def album_pages(ctx: WebContext) -> APIRouter:
    router = page_router()
    albums = ctx.albums

    def list_page(
        request: Request, actor: Actor, errors: dict[str, str] | None = None, **extra: Any
    ) -> Response:
        summaries = albums.visible(actor)
        return renderer(request).page(
            request,
            "albums.html",
            {"albums": summaries, "errors": errors or {}, **extra},
            status=400 if errors else 200,
        )

    def gallery_page(
        request: Request,
        actor: Actor,
        album_id: str,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        album, photos = albums.photos_of(actor, album_id)
        analyses = albums.analyses(photos, TILE_DOCUMENTS)
        return renderer(request).page(
            request,
            "album.html",
            {
                "album": album,
                "can_edit": albums.can_edit(actor, album),
                "photos": [photo_model(p, analyses[p.id]) for p in photos],
                "errors": errors or {},
                "limits": ctx.services.settings.api,
            },
            status=status,
        )

    def photo_page(
        request: Request,
        actor: Actor,
        album_id: str,
        photo_id: str,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        album, photo = albums.photo(actor, album_id, photo_id)
        analyses = albums.analyses([photo])[photo.id]
        metadata = analyses.metadata
        return renderer(request).page(
            request,
            "photo.html",
            {
                "album": album,
                "can_edit": albums.can_edit(actor, album),
                "photo": photo,
                "model": photo_model(photo, analyses),
                "analyses": analyses,
                "done": analyses.analyses_done(),
                "execution": albums.execution(photo),
                "overlay": photo_view.overlay(analyses),
                "file_facts": photo_view.file_facts(photo, metadata),
                "camera_facts": photo_view.camera_facts(metadata),
                "gps": photo_view.gps_facts(metadata),
                "errors": errors or {},
            },
            status=status,
        )

    # --- albums -------------------------------------------------------------------

    @router.get("/albums")
    def album_list(request: Request, actor: PageActor) -> Response:
        return list_page(request, actor)

    @router.post("/albums", dependencies=changes)
    def create_album(request: Request, actor: PageActor, name: Text = "") -> Response:
        try:
            album = albums.create(actor, name)
        except SightlineError as exc:
            return list_page(request, actor, {"name": exc.message}, name=name)
        return see_other(f"/albums/{album.id}")

    @router.get("/albums/{album_id}")
    def gallery(request: Request, actor: PageActor, album_id: AlbumId) -> Response:
        return gallery_page(request, actor, album_id)

    @router.post("/albums/{album_id}/photos", dependencies=changes)
    def upload(
        request: Request,
        actor: PageActor,
        album_id: AlbumId,
        files: Annotated[list[UploadFile] | None, File()] = None,
    ) -> Response:
        # Browsers send one empty part when no file was chosen.
        chosen = [f for f in files or [] if f.filename]
        try:
            check_upload_files(chosen, ctx.services.settings.api)
            albums.upload(actor, album_id, [incoming(f) for f in chosen])
        except SightlineError as exc:
            return _refused(
                exc, "upload", lambda e, s: gallery_page(request, actor, album_id, e, s)
            )
        return see_other(f"/albums/{album_id}")

    @router.post("/albums/{album_id}/rename", dependencies=changes)
    def rename(request: Request, actor: PageActor, album_id: AlbumId, name: Text = "") -> Response:
        try:
            albums.rename(actor, album_id, name)
        except SightlineError as exc:
            return _refused(
                exc, "rename", lambda e, s: gallery_page(request, actor, album_id, e, s)
            )
        return see_other(f"/albums/{album_id}")

    @router.post("/albums/{album_id}/shares", dependencies=changes)
    def share(
        request: Request, actor: PageActor, album_id: AlbumId, username: Text = ""
    ) -> Response:
        try:
            albums.share(actor, album_id, username)
        except SightlineError as exc:
            return _refused(exc, "share", lambda e, s: gallery_page(request, actor, album_id, e, s))
        return see_other(f"/albums/{album_id}#sharing")

    @router.post("/albums/{album_id}/shares/{username}/remove", dependencies=changes)
    def unshare(
        request: Request, actor: PageActor, album_id: AlbumId, username: UserName
    ) -> Response:
        albums.unshare(actor, album_id, username)
        return see_other(f"/albums/{album_id}#sharing")

    @router.post("/albums/{album_id}/delete", dependencies=changes)
    def delete_album(request: Request, actor: PageActor, album_id: AlbumId) -> Response:
        try:
            albums.delete(actor, album_id)
        except SightlineError as exc:
            return _refused(
                exc, "delete", lambda e, s: gallery_page(request, actor, album_id, e, s)
            )
        return see_other("/albums")

    # --- photos -------------------------------------------------------------------

    @router.get("/albums/{album_id}/photos/{photo_id}")
    def photo(request: Request, actor: PageActor, album_id: AlbumId, photo_id: PhotoId) -> Response:
        return photo_page(request, actor, album_id, photo_id)

    @router.post("/albums/{album_id}/photos/{photo_id}/delete", dependencies=changes)
    def delete_photo(
        request: Request, actor: PageActor, album_id: AlbumId, photo_id: PhotoId
    ) -> Response:
        try:
            albums.delete_photo(actor, album_id, photo_id)
        except SightlineError as exc:
            return _refused(
                exc, "delete", lambda e, s: photo_page(request, actor, album_id, photo_id, e, s)
            )
        return see_other(f"/albums/{album_id}")

    return router


def _refused(
    exc: SightlineError, field: str, again: Callable[[dict[str, str], int], Response]
) -> Response:
    """The page again with the error next to ``field``, the form that caused it; an
    album or photo that is not there (or not the caller's to see or change) is the
    error page."""
    status = rest_status(exc)
    if status in (401, 403, 404):
        raise exc
    return again({field: exc.message}, status)
