"""Albums over JSON: ``/api/v1/albums``, with the web app's permission rules.

The caller is a bearer token (the operator: an admin's rights), or a browser session
(its CSRF token required on every change); see :mod:`sightline.api.web.auth`. An
album the caller may not see answers 404, exactly as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, BinaryIO, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from sightline.albums.photos import IncomingFile
from sightline.api.rest.album_models import (
    PREFIX,
    AlbumCreate,
    AlbumDetail,
    AlbumModel,
    AlbumUpdate,
    PhotoDetail,
    UploadedPhotos,
    album_model,
    box_model,
    execution_model,
    photo_model,
)
from sightline.api.rest.models import ERROR_RESPONSES
from sightline.api.rest.uploads import check_upload_files
from sightline.api.web.auth import ApiActor, api_csrf
from sightline.api.web.context import WebContext
from sightline.api.web.events import TILE_DOCUMENTS, photo_events
from sightline.errors import ResourceNotFoundError

AlbumId = Annotated[str, Path(min_length=1, max_length=32, description="The album's id")]
PhotoId = Annotated[str, Path(min_length=1, max_length=32, description="The photo's id")]
UserName = Annotated[str, Path(min_length=1, max_length=64, description="A user name")]
# Image types a browser may display inline; anything else is sent as an attachment.
INLINE_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/avif"}
)
_CHUNK = 256 * 1024


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(_CHUNK):
            yield chunk


def albums_api(ctx: WebContext) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["albums"], responses=ERROR_RESPONSES)
    albums = ctx.albums
    changes = [Depends(api_csrf)]

    @router.get("", response_model=list[AlbumModel], summary="Albums you may see")
    def list_albums(actor: ApiActor) -> list[AlbumModel]:
        return [album_model(s.album, s.can_edit, s) for s in albums.visible(actor)]

    @router.post(
        "", response_model=AlbumModel, status_code=201, dependencies=changes, summary="Create"
    )
    def create_album(actor: ApiActor, body: AlbumCreate) -> AlbumModel:
        return album_model(albums.create(actor, body.name, body.owner), True)

    @router.get("/{album_id}", response_model=AlbumDetail, summary="An album and its photos")
    def get_album(actor: ApiActor, album_id: AlbumId) -> AlbumDetail:
        album, photos = albums.photos_of(actor, album_id)
        analyses = albums.analyses(photos, TILE_DOCUMENTS)
        return AlbumDetail(
            album=album_model(album, albums.can_edit(actor, album)),
            photos=[photo_model(p, analyses[p.id]) for p in photos],
        )

    @router.patch("/{album_id}", response_model=AlbumModel, dependencies=changes, summary="Rename")
    def rename_album(actor: ApiActor, album_id: AlbumId, body: AlbumUpdate) -> AlbumModel:
        return album_model(albums.rename(actor, album_id, body.name), True)

    @router.delete(
        "/{album_id}", status_code=204, dependencies=changes, summary="Delete with its photos"
    )
    def delete_album(actor: ApiActor, album_id: AlbumId) -> Response:
        albums.delete(actor, album_id)
        return Response(status_code=204)

    @router.put(
        "/{album_id}/shares/{username}",
        response_model=AlbumModel,
        dependencies=changes,
        summary="Share read-only with a user",
    )
    def share(actor: ApiActor, album_id: AlbumId, username: UserName) -> AlbumModel:
        return album_model(albums.share(actor, album_id, username), True)

    @router.delete(
        "/{album_id}/shares/{username}",
        response_model=AlbumModel,
        dependencies=changes,
        summary="Stop sharing with a user",
    )
    def unshare(actor: ApiActor, album_id: AlbumId, username: UserName) -> AlbumModel:
        return album_model(albums.unshare(actor, album_id, username), True)

    @router.post(
        "/{album_id}/photos",
        response_model=UploadedPhotos,
        status_code=201,
        dependencies=changes,
        summary="Upload photos",
    )
    def upload(
        actor: ApiActor,
        album_id: AlbumId,
        files: Annotated[list[UploadFile] | None, File(description="One or more images")] = None,
    ) -> UploadedPhotos:
        """Store each file (streamed from the request's spool to storage) and queue it;
        follow its status at ``GET /api/v1/albums/{id}/events`` or by polling."""
        check_upload_files(files or [], ctx.services.settings.api)
        added = albums.upload(actor, album_id, [incoming(f) for f in files or []])
        return UploadedPhotos(photos=[photo_model(p, None) for p in added])

    @router.get(
        "/{album_id}/photos/{photo_id}",
        response_model=PhotoDetail,
        summary="A photo, its stored analyses and the boxes to draw",
    )
    def get_photo(actor: ApiActor, album_id: AlbumId, photo_id: PhotoId) -> PhotoDetail:
        _, photo = albums.photo(actor, album_id, photo_id)
        analyses = albums.analyses([photo])[photo.id]
        execution = albums.execution(photo)
        return PhotoDetail(
            photo=photo_model(photo, analyses),
            execution=execution_model(execution) if execution is not None else None,
            documents={name: d.document for name, d in analyses.documents.items()},
            boxes=[box_model(b) for b in analyses.boxes()],
        )

    @router.delete(
        "/{album_id}/photos/{photo_id}",
        status_code=204,
        dependencies=changes,
        summary="Delete a photo with its thumbnails, results and face-index entries",
    )
    def delete_photo(actor: ApiActor, album_id: AlbumId, photo_id: PhotoId) -> Response:
        albums.delete_photo(actor, album_id, photo_id)
        return Response(status_code=204)

    @router.get(
        "/{album_id}/photos/{photo_id}/image",
        response_class=StreamingResponse,
        summary="The uploaded file",
    )
    def image(actor: ApiActor, album_id: AlbumId, photo_id: PhotoId) -> StreamingResponse:
        _, photo = albums.photo(actor, album_id, photo_id)
        stream = albums.open(photo.bucket, photo.key)
        inline = photo.media_type in INLINE_TYPES
        disposition = "inline" if inline else "attachment"
        return StreamingResponse(
            _chunks(stream),
            media_type=photo.media_type if inline else "application/octet-stream",
            headers={
                "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(photo.file_name)}",
                "Cache-Control": "private, max-age=3600",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @router.get(
        "/{album_id}/photos/{photo_id}/thumbnail",
        response_class=Response,
        summary="The photo's thumbnail (404 until it exists)",
    )
    def thumbnail(
        actor: ApiActor,
        album_id: AlbumId,
        photo_id: PhotoId,
        size: Annotated[Literal["small", "large"], Query()] = "small",
    ) -> Response:
        _, photo = albums.photo(actor, album_id, photo_id)
        thumb = albums.thumbnail(photo, large=size == "large")
        if thumb is None:
            raise ResourceNotFoundError(f"{photo.file_name} has no thumbnail (yet).")
        data = ctx.services.store.get(thumb.bucket, thumb.key)
        return Response(
            data,
            media_type=f"image/{thumb.format}",
            headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    @router.get(
        "/{album_id}/photos/{photo_id}/diagram.svg",
        response_class=Response,
        summary="The photo's workflow execution drawn (404 until one has started)",
    )
    def diagram(actor: ApiActor, album_id: AlbumId, photo_id: PhotoId) -> Response:
        """Each step coloured by its state; the failed step carries its error."""
        _, photo = albums.photo(actor, album_id, photo_id)
        svg = albums.diagram(photo)
        if svg is None:
            raise ResourceNotFoundError(f"{photo.file_name} has no workflow execution (yet).")
        return Response(
            svg,
            media_type="image/svg+xml",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    @router.get("/{album_id}/events", include_in_schema=False)
    async def events(actor: ApiActor, album_id: AlbumId) -> StreamingResponse:
        """Live photo status (Server-Sent Events); see :mod:`sightline.api.web.events`."""
        await run_in_threadpool(albums.view, actor, album_id)  # 404 before streaming
        return StreamingResponse(
            photo_events(albums, actor, album_id, ctx.settings),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return router


def incoming(f: UploadFile) -> IncomingFile:
    return IncomingFile(name=f.filename or "", stream=f.file, content_type=f.content_type)
