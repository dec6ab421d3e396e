"""Stored-video jobs (Rekognition's Start*/Get* operations) and their result records.

- ``video_jobs``: one row per job: what was asked (the Start* request), of which video,
  its status and progress, and where its results were written. Times are epoch seconds,
  as in the queue.
- ``video_records``: the job's results, one row per record of the Get* response list
  (a ``LabelDetection``, a ``PersonMatch``, a ``SegmentDetection``, ...), already in
  Rekognition's shape. ``aggregation`` separates the per-sample records (TIMESTAMPS)
  from the merged ones (SEGMENTS) of the operations that offer ``AggregateBy``. The
  sort columns let Get* page in any ``SortBy`` order with an index, not in memory.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sightline.db.base import Base
from sightline.db.models.pipeline import Json


class VideoJob(Base):
    __tablename__ = "video_jobs"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    api: Mapped[str] = mapped_column(String(32))  # "LabelDetection", "FaceSearch", ...
    status: Mapped[str] = mapped_column(String(16))  # IN_PROGRESS | SUCCEEDED | FAILED
    status_message: Mapped[str | None] = mapped_column(Text)
    # Idempotency: Start* with the same token (and API) returns the same JobId.
    client_token: Mapped[str | None] = mapped_column(String(64))
    job_tag: Mapped[str | None] = mapped_column(String(256))
    request: Mapped[dict[str, Any]] = mapped_column(Json)
    bucket: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(1024))
    version: Mapped[str | None] = mapped_column(String(1024))
    item_id: Mapped[str | None] = mapped_column(String(32))  # when the pipeline started it
    owner: Mapped[str | None] = mapped_column(String(128))  # the caller's access key
    topic_arn: Mapped[str | None] = mapped_column(String(1024))
    video_metadata: Mapped[dict[str, Any] | None] = mapped_column(Json)
    audio_metadata: Mapped[list[Any] | None] = mapped_column(Json)
    # Model versions, person-filter counts: facts about how the results were made.
    details: Mapped[dict[str, Any] | None] = mapped_column(Json)
    frames_done: Mapped[int] = mapped_column(Integer, default=0)
    frames_total: Mapped[int | None] = mapped_column(Integer)
    partial: Mapped[bool] = mapped_column(Boolean, default=False)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    output_bucket: Mapped[str | None] = mapped_column(String(255))
    output_key: Mapped[str | None] = mapped_column(String(1400))
    created_at: Mapped[float] = mapped_column(Double)
    started_at: Mapped[float | None] = mapped_column(Double)
    finished_at: Mapped[float | None] = mapped_column(Double)

    __table_args__ = (
        # NULL tokens are distinct on both databases: only real tokens are unique.
        UniqueConstraint("api", "client_token", name="uq_video_jobs_api"),
        Index("ix_video_jobs_status_created", "status", "created_at"),
        Index("ix_video_jobs_item", "item_id"),
    )


class VideoRecord(Base):
    __tablename__ = "video_records"

    job_id: Mapped[str] = mapped_column(
        String(64),
        ForeignKey("video_jobs.job_id", ondelete="CASCADE", name="fk_video_records_job_id"),
        primary_key=True,
    )
    aggregation: Mapped[str] = mapped_column(String(16), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(255), default="")  # label name, for SortBy NAME
    person: Mapped[int] = mapped_column(Integer, default=-1)  # person index, for SortBy INDEX
    record: Mapped[dict[str, Any]] = mapped_column(Json)

    __table_args__ = (
        Index("ix_video_records_name", "job_id", "aggregation", "name", "timestamp_ms", "seq"),
        Index("ix_video_records_person", "job_id", "aggregation", "person", "timestamp_ms", "seq"),
    )
