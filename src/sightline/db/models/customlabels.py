"""Custom labels: projects, datasets and their entries, versions, batches and their runs.

- ``cl_projects``: one row per project (``CreateProject``).
- ``cl_datasets``: a project's TRAIN and TEST datasets; ``cl_dataset_entries`` holds
  their manifest lines, one row per image, with the entry's label and any validation
  error found (unreadable image, several labels).
- ``cl_versions``: trained (or training) model versions: status, what they were trained
  on, the evaluation, the ONNX model itself (a few hundred kB, kept in the database so
  every worker on every machine can load it), and the desired/actual running state.
- ``cl_batches``: named scheduled batches; ``cl_batch_runs``: one row per run.

Times are epoch seconds (``DOUBLE``), identical on SQLite and PostgreSQL; ARNs carry a
creation time in milliseconds (``created_ms``), as Rekognition's do.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

from sightline.db.base import Base

BigId = BigInteger().with_variant(Integer, "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")


class ClProject(Base):
    __tablename__ = "cl_projects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    feature: Mapped[str] = mapped_column(String(32))
    auto_update: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    tags: Mapped[dict[str, str]] = mapped_column(Json)
    created_at: Mapped[float] = mapped_column(Double)


class ClDataset(Base):
    __tablename__ = "cl_datasets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("cl_projects.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(8))  # TRAIN | TEST
    created_ms: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(32))
    status_message: Mapped[str | None] = mapped_column(Text)
    status_code: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[dict[str, Any]] = mapped_column(Json)  # where the entries came from
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)

    __table_args__ = (UniqueConstraint("project_id", "type", name="uq_cl_datasets_project_type"),)


class ClDatasetEntry(Base):
    __tablename__ = "cl_dataset_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("cl_datasets.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)  # position in the dataset's manifest, from 1
    source_ref: Mapped[str] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(String(255))
    document: Mapped[str] = mapped_column(Text)  # the JSON line
    error_code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("dataset_id", "line", name="uq_cl_dataset_entries_dataset_line"),
        Index("ix_cl_dataset_entries_label", "dataset_id", "label"),
    )


class ClVersion(Base):
    __tablename__ = "cl_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("cl_projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    status_message: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[float] = mapped_column(Double, default=0.0)  # 0-1 while training
    output_bucket: Mapped[str] = mapped_column(String(255))
    output_prefix: Mapped[str] = mapped_column(String(1024))
    training_input: Mapped[dict[str, Any]] = mapped_column(Json)
    testing_input: Mapped[dict[str, Any]] = mapped_column(Json)
    files: Mapped[dict[str, Any]] = mapped_column(Json)  # summary, manifests: object keys
    tags: Mapped[dict[str, str]] = mapped_column(Json)
    training_started_at: Mapped[float | None] = mapped_column(Double)
    training_ended_at: Mapped[float | None] = mapped_column(Double)
    extractor: Mapped[str | None] = mapped_column(String(128))
    classifier: Mapped[str | None] = mapped_column(String(32))
    labels: Mapped[list[str] | None] = mapped_column(Json)
    f1: Mapped[float | None] = mapped_column(Double)
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(Json)
    model: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    model_sha256: Mapped[str | None] = mapped_column(String(64))
    # Running state: what was asked (units), who hosts it, when it was last used.
    min_units: Mapped[int | None] = mapped_column(Integer)
    max_units: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(128))
    host_seen_at: Mapped[float | None] = mapped_column(Double)
    last_used_at: Mapped[float | None] = mapped_column(Double)
    memory: Mapped[dict[str, Any] | None] = mapped_column(Json)  # RSS measurements
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)

    __table_args__ = (
        UniqueConstraint("project_id", "name", name="uq_cl_versions_project_name"),
        Index("ix_cl_versions_status", "status"),
    )


class ClBatch(Base):
    __tablename__ = "cl_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(56), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("cl_versions.id", ondelete="CASCADE"))
    source_bucket: Mapped[str] = mapped_column(String(255))
    source_prefix: Mapped[str] = mapped_column(String(1024))
    final_bucket: Mapped[str] = mapped_column(String(255))
    final_prefix: Mapped[str] = mapped_column(String(1024))
    schedule: Mapped[str] = mapped_column(String(128))
    units: Mapped[int] = mapped_column(Integer)
    min_confidence: Mapped[float | None] = mapped_column(Double)
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[float] = mapped_column(Double)
    next_run_at: Mapped[float | None] = mapped_column(Double)


class ClBatchRun(Base):
    __tablename__ = "cl_batch_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("cl_batches.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | manual
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[float] = mapped_column(Double)
    ended_at: Mapped[float | None] = mapped_column(Double)
    queued: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    model_loads: Mapped[int] = mapped_column(Integer, default=0)  # unit processes started
    host: Mapped[str] = mapped_column(String(128))  # the process running it
    heartbeat_at: Mapped[float] = mapped_column(Double)
    model_started_at: Mapped[float | None] = mapped_column(Double)
    model_stopped_at: Mapped[float | None] = mapped_column(Double)
    failures: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_cl_batch_runs_batch", "batch_id", "started_at"),)
