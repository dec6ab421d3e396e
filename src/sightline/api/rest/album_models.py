"""Pydantic models of the albums JSON API (``/api/v1/albums``), and the conversions
from :mod:`sightline.albums` types. The live status stream sends :class:`PhotoModel`
too, so a script, the gallery page and the stream all see one shape."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from sightline.albums.photos import PhotoInfo
from sightline.albums.results import Box, PhotoAnalyses
from sightline.albums.store import AlbumInfo, AlbumSummary
from sightline.pipeline.workflows.executions import ExecutionDetail

PREFIX = "/api/v1/albums"


def album_page(album_id: str) -> str:
    return f"/albums/{album_id}"


def photo_page(album_id: str, photo_id: str) -> str:
    return f"/albums/{album_id}/photos/{photo_id}"


def photo_media(album_id: str, photo_id: str, what: str) -> str:
    """``image`` or ``thumbnail`` (add ``?size=large``)."""
    return f"{PREFIX}/{album_id}/photos/{photo_id}/{what}"


class AlbumCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    owner: str | None = Field(
        None, max_length=64, description="User name of the owner; default: you (admins only)"
    )


class AlbumUpdate(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class AlbumModel(BaseModel):
    id: str
    name: str
    owner: str
    created_at: dt.datetime
    shared_with: list[str] = Field(description="Users who may view it (read-only)")
    photo_count: int | None = Field(None, description="Set in listings")
    cover_url: str | None = Field(None, description="Thumbnail of the latest completed photo")
    can_edit: bool
    page_url: str


class PhotoStatusModel(BaseModel):
    state: str = Field(description="uploaded, processing, completed or failed")
    run_kind: str = Field(
        description="What processes the photo: 'execution' (a workflow execution, once "
        "started) or 'item' (the pipeline item)"
    )
    run_id: str = Field(description="The execution's id (see /api/v1/executions/{id}) or item's")
    error: str | None = Field(
        None, description="The error's name (e.g. NotSupportedImageType), when failed/retrying"
    )
    reason: str | None = None
    failed_step: str | None = Field(None, description="The workflow step that failed")
    attempts: int
    retrying: bool


class PhotoModel(BaseModel):
    id: str
    album_id: str
    file_name: str
    uploaded_by: str | None = Field(description="User name; null when uploaded with a token")
    uploaded_at: dt.datetime
    media_type: str | None = Field(description="Sniffed from the bytes")
    size: int
    item_id: str = Field(description="The pipeline item (see /api/v1/items/{id}/results)")
    status: PhotoStatusModel
    tags: list[str] = Field(description="Top labels (and Face when faces were found)")
    face_count: int | None = Field(
        None, description="Faces found (DetectFaces, else DetectLabels' Face); null until run"
    )
    page_url: str
    image_url: str
    thumbnail_url: str | None = Field(None, description="Null until the thumbnail exists")
    diagram_url: str | None = Field(
        None, description="The workflow execution drawn (SVG); null until one has started"
    )


class AlbumDetail(BaseModel):
    album: AlbumModel
    photos: list[PhotoModel]


class BoxModel(BaseModel):
    kind: str = Field(description="label, face or text")
    name: str
    confidence: float
    bounding_box: dict[str, float] = Field(description="Left, Top, Width, Height: ratios")


class StepModel(BaseModel):
    name: str
    type: str
    branch: str = Field(description="'' at the top level, 'step[i]' inside parallel branch i")
    state: str = Field(description="ENTERED, RETRYING, SUCCEEDED, FAILED or CAUGHT")
    attempts: int
    error: str | None
    cause: str | None


class ExecutionModel(BaseModel):
    id: str
    workflow: str
    status: str = Field(description="RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED")
    error: str | None
    cause: str | None
    steps: list[StepModel] = Field(description="Each step visit, in the order entered")


class PhotoDetail(BaseModel):
    photo: PhotoModel
    execution: ExecutionModel | None = Field(
        None, description="The photo's latest workflow execution, once one has started"
    )
    documents: dict[str, dict[str, Any]] = Field(
        description="Stored analysis documents by operation (DetectLabels, DetectFaces, ...) "
        "or analysis name (metadata, thumbnail), as the pipeline wrote them"
    )
    boxes: list[BoxModel] = Field(description="Label instances, faces, text lines to draw")


class UploadedPhotos(BaseModel):
    photos: list[PhotoModel]


def album_model(
    album: AlbumInfo, can_edit: bool, summary: AlbumSummary | None = None
) -> AlbumModel:
    cover = summary.cover_photo_id if summary is not None else None
    return AlbumModel(
        id=album.id,
        name=album.name,
        owner=album.owner,
        created_at=album.created_at,
        shared_with=list(album.shared_with),
        photo_count=summary.photos if summary is not None else None,
        cover_url=photo_media(album.id, cover, "thumbnail") if cover else None,
        can_edit=can_edit,
        page_url=album_page(album.id),
    )


def photo_model(photo: PhotoInfo, analyses: PhotoAnalyses | None) -> PhotoModel:
    has_thumb = analyses is not None and analyses.ran("thumbnail")
    return PhotoModel(
        id=photo.id,
        album_id=photo.album_id,
        file_name=photo.file_name,
        uploaded_by=photo.uploaded_by,
        uploaded_at=photo.uploaded_at,
        media_type=photo.media_type,
        size=photo.size,
        item_id=photo.item_id,
        status=PhotoStatusModel(**photo.status.to_json()),
        tags=analyses.tags() if analyses is not None else [],
        face_count=analyses.face_count if analyses is not None else None,
        page_url=photo_page(photo.album_id, photo.id),
        image_url=photo_media(photo.album_id, photo.id, "image"),
        thumbnail_url=photo_media(photo.album_id, photo.id, "thumbnail") if has_thumb else None,
        diagram_url=photo_media(photo.album_id, photo.id, "diagram.svg")
        if photo.status.run_kind == "execution"
        else None,
    )


def execution_model(detail: ExecutionDetail) -> ExecutionModel:
    x = detail.execution
    return ExecutionModel(
        id=x.id,
        workflow=x.workflow,
        status=x.status,
        error=x.error,
        cause=x.cause,
        steps=[
            StepModel(
                name=s.name,
                type=s.type,
                branch=s.branch,
                state=s.state,
                attempts=s.attempts,
                error=s.error,
                cause=s.cause,
            )
            for s in detail.steps
        ],
    )


def box_model(box: Box) -> BoxModel:
    return BoxModel(**box.to_json())
