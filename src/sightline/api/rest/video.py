"""Video jobs over REST: ``/api/v1/video/jobs`` (progress, status, where results are).

Jobs are started with the Rekognition operations (Start*) or by the pipeline; this is
their dashboard view: newest first, frames done of frames expected, and for finished
jobs the stored response document. The records themselves page through Get*.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from sightline.api.services import ApiServices
from sightline.video.jobs import JobRow, jobs_of


class JobStatusName(str, Enum):
    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class VideoJobModel(BaseModel):
    job_id: str
    api: str = Field(description="LabelDetection, FaceDetection, FaceSearch, ...")
    status: JobStatusName
    status_message: str | None
    job_tag: str | None
    bucket: str
    name: str
    item_id: str | None = Field(description="The pipeline item that started it, if any")
    frames_done: int
    frames_total: int | None = Field(description="Sampled frames expected, once known")
    partial: bool = Field(description="The video broke part-way; results stop there")
    record_count: int
    output_bucket: str | None
    output_key: str | None = Field(description="The stored Get* document, once finished")
    video_metadata: dict[str, Any] | None
    created_at: float
    started_at: float | None
    finished_at: float | None


class VideoJobPage(BaseModel):
    jobs: list[VideoJobModel]


JobId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9-_]+$")]


def _model(job: JobRow) -> VideoJobModel:
    return VideoJobModel.model_validate(
        {name: getattr(job, name) for name in VideoJobModel.model_fields}
    )


def video_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/video/jobs", tags=["video"])

    @router.get("", response_model=VideoJobPage, summary="List video jobs")
    def list_jobs(
        status: Annotated[JobStatusName | None, Query()] = None,
        item_id: Annotated[str | None, Query(max_length=32)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> VideoJobPage:
        """Newest first, with their progress."""
        rows = jobs_of(services.runtime).list(
            status=status.value if status else None, item_id=item_id, limit=limit
        )
        return VideoJobPage(jobs=[_model(r) for r in rows])

    @router.get("/{job_id}", response_model=VideoJobModel, summary="One video job")
    def get_job(job_id: JobId) -> VideoJobModel:
        return _model(jobs_of(services.runtime).get(job_id))

    return router
