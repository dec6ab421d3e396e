"""Stored-video responses: ``VideoMetadata`` and the Get* documents.

The same document is the answer to a Get* page and, whole and unpaged, the job's
``async/{key}-analysis/{JobTag}/response.json``. Members without a value (no status
message, no tag, metadata not probed yet) are omitted, never sent as null.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from sightline.api.rekognition.shapes.common import drop_none

if TYPE_CHECKING:
    from sightline.media.video import VideoMetadata
    from sightline.video.apis import VideoApi


class JobFacts(Protocol):
    """What a Get* document says about its job (a stored job, or a one-off run)."""

    @property
    def job_id(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def status_message(self) -> str | None: ...
    @property
    def job_tag(self) -> str | None: ...
    @property
    def bucket(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def video_metadata(self) -> dict[str, Any] | None: ...
    @property
    def audio_metadata(self) -> list[Any] | None: ...
    @property
    def details(self) -> dict[str, Any] | None: ...


def video_metadata(meta: VideoMetadata) -> dict[str, Any]:
    """Rekognition's ``VideoMetadata`` (upright frame size, rotation applied)."""
    return {
        "Codec": meta.codec,
        "DurationMillis": meta.duration_ms,
        "Format": meta.format,
        "FrameRate": float(meta.frame_rate),
        "FrameHeight": meta.height,
        "FrameWidth": meta.width,
        "ColorRange": meta.color_range,
    }


def get_response(
    api: VideoApi,
    job: JobFacts,
    records: Sequence[Mapping[str, Any]],
    *,
    next_token: str | None = None,
    sort_by: str | None = None,
    aggregate_by: str | None = None,
) -> dict[str, Any]:
    """The ``Get{api}`` response for ``job`` with ``records`` as its result list."""
    details = job.details or {}
    response: dict[str, Any] = {
        "JobId": job.job_id,
        "JobStatus": job.status,
        "StatusMessage": job.status_message,
        "JobTag": job.job_tag,
        "Video": {"S3Object": {"Bucket": job.bucket, "Name": job.name}} if job.bucket else None,
        api.results: [dict(r) for r in records],
        "NextToken": next_token,
    }
    if api.name == "SegmentDetection":
        response["VideoMetadata"] = [job.video_metadata] if job.video_metadata else None
        response["AudioMetadata"] = job.audio_metadata if job.video_metadata else None
        response["SelectedSegmentTypes"] = details.get("SelectedSegmentTypes")
    else:
        response["VideoMetadata"] = job.video_metadata
    if api.model_member is not None:
        response[api.model_member] = details.get("ModelVersion")
    if api.aggregates:
        response["GetRequestMetadata"] = {
            "SortBy": sort_by or api.sorts[0],
            "AggregateBy": aggregate_by or "TIMESTAMPS",
        }
    return drop_none(response)
