"""Pydantic request and response models of the REST API (they make the OpenAPI precise)."""

from __future__ import annotations

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
