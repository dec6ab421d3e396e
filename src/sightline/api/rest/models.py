"""Pydantic request and response models of the REST API (they make the OpenAPI precise)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """Every REST error: the Rekognition-style code and a message naming what is wrong."""

    code: str = Field(examples=["ResourceNotFoundException"])
    message: str


class AnalysisPoolStatus(BaseModel):
    threads: int = Field(description="Analysis threads (settings.server.analysis_threads)")
    admitted: int = Field(description="Requests running or waiting for a thread now")
    max_pending: int = Field(description="Admitted requests beyond which callers are throttled")


class StatusResponse(BaseModel):
    version: str
    auth: bool = Field(description="Whether requests must be authenticated")
    analyzers_loaded: list[str] = Field(description="Analyzers whose models are in memory")
    rekognition_operations: list[str] = Field(description="Rekognition operations served at POST /")
    analysis: AnalysisPoolStatus


# Declared on every route so that clients (and the OpenAPI) know the error shape.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in [
        (400, "Invalid request"),
        (401, "Missing or unknown bearer token"),
        (404, "No such resource"),
        (413, "Body over the limit"),
        (429, "Too many requests"),
    ]
}


class ItemStatusName(str, Enum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    REJECTED = "REJECTED"


class ItemModel(BaseModel):
    """One catalog item: one version of one object, and where its processing stands."""

    id: str
    bucket: str
    key: str
    version: str = Field(description="v:<version id>, e:<etag> or s:<size>:<mtime>")
    etag: str | None
    version_id: str | None
    size: int
    mtime: float = Field(description="Seconds since the epoch")
    media_type: str | None
    workflow: str | None
    analyses: list[str]
    priority: int
    source: str
    status: ItemStatusName
    error: str | None = Field(description="The error's class when FAILED or REJECTED")
    reason: str | None
    attempts: int
    created_at: dt.datetime
    updated_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class ItemPage(BaseModel):
    items: list[ItemModel]
    next_after: str | None = Field(description="Pass as ?after= for the next page; null: done")


class ResultModel(BaseModel):
    """One analysis of an item: its Rekognition-shaped response and where it was written."""

    analysis: str
    operation: str | None = Field(description="The Rekognition operation the response matches")
    model_version: str
    output_bucket: str
    output_key: str
    response: dict[str, Any] | None = Field(
        description="The response; null when over the inline limit (read output_key)"
    )
    created_at: dt.datetime


class ItemResults(BaseModel):
    item: ItemModel
    results: list[ResultModel]


class UploadedItem(BaseModel):
    bucket: str
    key: str
    item_id: str | None
    new: bool = Field(description="False when this exact version was already in the catalog")
    status: ItemStatusName
    workflow: str | None
    reason: str | None = Field(description="Why the item was rejected, if it was")


class UploadResponse(BaseModel):
    items: list[UploadedItem]
