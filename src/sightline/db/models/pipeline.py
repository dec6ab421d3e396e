"""The pipeline's tables: the catalog, the queue, results, and their bookkeeping.

- ``items``: one row per object version seen (the catalog); its status is what a user
  asks about.
- ``tasks``: the queue itself. Queue times are epoch seconds (``DOUBLE``), not
  timestamps: every claim compares them, and SQLite has no timestamp type, so numbers
  keep the comparison cheap and identical on both databases.
- ``queue_limits``: per-kind token buckets and concurrency caps, read and updated inside
  each claim transaction so they hold across every worker and machine.
- ``results``: one row per (item, analysis, model version); the unique key makes a task
  that runs twice store its result once.
- ``cursors``: named resumable positions (listing cursors, backfill progress).
- ``workers``: heartbeats of worker processes, for ``sightline status``.
- ``delivery_outbox``: result records waiting for a delivery stream (JSON Lines files).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime, TypeDecorator

from sightline.db.base import Base, utcnow

# SQLite's INTEGER PRIMARY KEY is the rowid (auto-increment); PostgreSQL wants BIGINT.
BigId = BigInteger().with_variant(Integer, "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        result: dt.datetime = value
        return result


class ItemStatus(str, enum.Enum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    REJECTED = "REJECTED"


class TaskState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class Item(Base):
    """One version of one object, and what became of it."""

    __tablename__ = "items"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(1024))
    # The version identity: "v:<versionId>", "e:<etag>" or "s:<size>:<mtime>".
    version: Mapped[str] = mapped_column(String(300))
    etag: Mapped[str | None] = mapped_column(String(128))
    version_id: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    mtime: Mapped[float] = mapped_column(Double)
    media_type: Mapped[str | None] = mapped_column(String(64))
    workflow: Mapped[str | None] = mapped_column(String(64))
    analyses: Mapped[list[str]] = mapped_column(Json)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(64))  # the error's class name
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("bucket", "key", "version", name="uq_items_bucket_key_version"),
        Index("ix_items_status_updated", "status", "updated_at"),
    )


class Task(Base):
    """One unit of work in the queue."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(512))  # idempotency: one task per key, ever
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16))
    not_before: Mapped[float] = mapped_column(Double)
    lease_until: Mapped[float | None] = mapped_column(Double)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)
    started_at: Mapped[float | None] = mapped_column(Double)
    finished_at: Mapped[float | None] = mapped_column(Double)

    __table_args__ = (
        UniqueConstraint("key", name="uq_tasks_key"),
        # The claim scans only queued rows, in priority order, whatever the history size.
        Index(
            "ix_tasks_claim",
            "kind",
            text("priority DESC"),
            "id",
            sqlite_where=text("state = 'queued'"),
            postgresql_where=text("state = 'queued'"),
        ),
        Index(
            "ix_tasks_running",
            "kind",
            "lease_until",
            sqlite_where=text("state = 'running'"),
            postgresql_where=text("state = 'running'"),
        ),
        Index("ix_tasks_state_finished", "state", "finished_at", "kind"),
    )


class QueueLimit(Base):
    """A kind's token bucket (``rate`` per second, up to ``burst``) and running cap."""

    __tablename__ = "queue_limits"

    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    rate: Mapped[float | None] = mapped_column(Double)
    burst: Mapped[float] = mapped_column(Double)
    max_running: Mapped[int | None] = mapped_column(Integer)
    tokens: Mapped[float] = mapped_column(Double)
    refilled_at: Mapped[float] = mapped_column(Double)


class Result(Base):
    """An analysis of an item: its Rekognition-shaped response and where it was written."""

    __tablename__ = "results"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("items.id", ondelete="CASCADE", name="fk_results_item_id_items")
    )
    analysis: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str | None] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(255))
    output_bucket: Mapped[str] = mapped_column(String(255))
    output_key: Mapped[str] = mapped_column(String(1200))
    # None when the response is larger than the inline limit: read output_key instead.
    response: Mapped[dict[str, Any] | None] = mapped_column(Json)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint(
            "item_id", "analysis", "model_version", name="uq_results_item_analysis_model"
        ),
    )


class Cursor(Base):
    """A named, resumable position: a listing's last key, a backfill's last row."""

    __tablename__ = "cursors"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(Json)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class Worker(Base):
    """A worker process's latest heartbeat."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    kinds: Mapped[list[str]] = mapped_column(Json)
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[float] = mapped_column(Double)
    heartbeat_at: Mapped[float] = mapped_column(Double)
    processed: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)
    current: Mapped[int] = mapped_column(Integer, default=0)


class DeliveryRecord(Base):
    """A result waiting to be written to a delivery stream."""

    __tablename__ = "delivery_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    stream: Mapped[str] = mapped_column(String(64))
    result_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("results.id", ondelete="CASCADE", name="fk_delivery_outbox_result_id_results"),
    )
    created_at: Mapped[float] = mapped_column(Double)

    __table_args__ = (Index("ix_delivery_outbox_stream_id", "stream", "id"),)
