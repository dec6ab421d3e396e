"""Named batches: where images wait, which version labels them, where results go, when.

A batch's queue is the task kind ``clbatch:<name>`` (one kind per batch, so its depth is
one count and per-kind queue limits apply). Images get into it by
:func:`enqueue_source`, which lists ``source_bucket/source_prefix`` and enqueues each
object once per upload (the task key hashes bucket, key, ETag and modification time):
the listing is the
batch's arrival log, so an image that arrived while nothing ran is never missed, and an
image already processed (deleted from the source) or already queued is not queued
twice. Runs (:mod:`sightline.customlabels.batch_runner`) drain that queue.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from sightline.customlabels.batch_stage import batch_kind
from sightline.customlabels.db import reading, writing
from sightline.customlabels.versions import find_version, version_arn
from sightline.db.models.customlabels import ClBatch, ClBatchRun, ClProject, ClVersion
from sightline.errors import (
    InvalidParameterError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
)
from sightline.pipeline.queue import QUEUED, RUNNING, NewTask
from sightline.runtime import Runtime
from sightline.storage import check_bucket

HOURLY = "0 * * * *"
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,56}$")


@dataclass(frozen=True)
class Batch:
    id: int
    name: str
    version_arn: str
    source_bucket: str
    source_prefix: str
    final_bucket: str
    final_prefix: str
    schedule: str
    units: int
    min_confidence: float | None
    enabled: bool
    next_run_at: float | None

    @property
    def kind(self) -> str:
        return batch_kind(self.name)


@dataclass(frozen=True)
class BatchRun:
    id: int
    batch: str
    trigger: str
    status: str
    started_at: float
    ended_at: float | None
    queued: int
    processed: int
    failed: int
    model_loads: int
    model_started_at: float | None
    model_stopped_at: float | None
    failures: list[dict[str, Any]]
    error: str | None


def next_time(schedule: str, after: float) -> float:
    """The first time after ``after`` (epoch seconds) that the cron ``schedule`` names."""
    from croniter import croniter

    return float(croniter(schedule, after).get_next(float))


def create_batch(
    runtime: Runtime,
    name: str,
    version: str,
    *,
    source_bucket: str,
    source_prefix: str = "",
    final_bucket: str,
    final_prefix: str = "",
    schedule: str = HOURLY,
    units: int = 1,
    min_confidence: float | None = None,
    enabled: bool = True,
) -> Batch:
    """Define a batch.

    Raises:
        InvalidParameterError: a bad name, cron expression, bucket, unit count or
            confidence, or results that would land inside the source (they would be
            queued again).
        ResourceAlreadyExistsError: a batch with that name exists.
        ResourceNotFoundError: the version does not exist.
    """
    from croniter import croniter

    if not NAME_RE.match(name):
        raise InvalidParameterError(
            f"Batch name {name!r} is invalid: use 1-56 letters, digits, '_', '.' or '-'."
        )
    if not croniter.is_valid(schedule):
        raise InvalidParameterError(f"Schedule {schedule!r} is not a cron expression.")
    check_bucket(source_bucket)
    check_bucket(final_bucket)
    if source_bucket == final_bucket and (
        final_prefix.startswith(source_prefix) or source_prefix.startswith(final_prefix)
    ):
        raise InvalidParameterError(
            f"The results (s3://{final_bucket}/{final_prefix}) would land among the source "
            f"images (s3://{source_bucket}/{source_prefix}) and be queued again; use another "
            "bucket or non-overlapping prefixes."
        )
    cap = runtime.settings.customlabels.max_inference_units
    if not 1 <= units <= cap:
        raise InvalidParameterError(f"Units must be between 1 and {cap}, got {units}.")
    if min_confidence is not None and not 0 <= min_confidence <= 100:
        raise InvalidParameterError(f"MinConfidence must be 0-100, got {min_confidence}.")
    now = time.time()
    # Create both buckets now: with local storage the source is the folder to drop
    # images into.
    runtime.store.ensure_bucket(source_bucket)
    runtime.store.ensure_bucket(final_bucket)
    with writing(runtime.engine) as s:
        _, v = find_version(s, version)
        if s.scalar(select(ClBatch.id).where(ClBatch.name == name)) is not None:
            raise ResourceAlreadyExistsError(f"A batch named {name!r} already exists.")
        row = ClBatch(
            name=name,
            version_id=v.id,
            source_bucket=source_bucket,
            source_prefix=source_prefix,
            final_bucket=final_bucket,
            final_prefix=final_prefix,
            schedule=schedule,
            units=units,
            min_confidence=min_confidence,
            enabled=enabled,
            created_at=now,
            next_run_at=next_time(schedule, now),
        )
        s.add(row)
        s.flush()
        return _batch(runtime, s, row)


def get_batch(runtime: Runtime, name: str) -> Batch:
    with reading(runtime.engine) as s:
        row = s.scalar(select(ClBatch).where(ClBatch.name == name))
        if row is None:
            raise ResourceNotFoundError(f"There is no batch named {name!r}.")
        return _batch(runtime, s, row)


def list_batches(runtime: Runtime) -> list[Batch]:
    with reading(runtime.engine) as s:
        return [_batch(runtime, s, r) for r in s.scalars(select(ClBatch).order_by(ClBatch.name))]


def delete_batch(runtime: Runtime, name: str) -> None:
    with writing(runtime.engine) as s:
        row = s.scalar(select(ClBatch).where(ClBatch.name == name))
        if row is None:
            raise ResourceNotFoundError(f"There is no batch named {name!r}.")
        s.delete(row)


def set_enabled(runtime: Runtime, name: str, enabled: bool) -> None:
    with writing(runtime.engine) as s:
        row = s.scalar(select(ClBatch).where(ClBatch.name == name))
        if row is None:
            raise ResourceNotFoundError(f"There is no batch named {name!r}.")
        row.enabled = enabled
        row.next_run_at = next_time(row.schedule, time.time())


def list_runs(runtime: Runtime, name: str, *, limit: int = 20) -> list[BatchRun]:
    """A batch's runs, newest first."""
    with reading(runtime.engine) as s:
        batch = s.scalar(select(ClBatch).where(ClBatch.name == name))
        if batch is None:
            raise ResourceNotFoundError(f"There is no batch named {name!r}.")
        rows = s.scalars(
            select(ClBatchRun)
            .where(ClBatchRun.batch_id == batch.id)
            .order_by(ClBatchRun.id.desc())
            .limit(limit)
        )
        return [run_record(name, r) for r in rows]


def run_record(name: str, r: ClBatchRun) -> BatchRun:
    return BatchRun(
        id=r.id,
        batch=name,
        trigger=r.trigger,
        status=r.status,
        started_at=r.started_at,
        ended_at=r.ended_at,
        queued=r.queued,
        processed=r.processed,
        failed=r.failed,
        model_loads=r.model_loads,
        model_started_at=r.model_started_at,
        model_stopped_at=r.model_stopped_at,
        failures=list(r.failures),
        error=r.error,
    )


def task_key(batch: Batch, bucket: str, key: str, version: str) -> str:
    """One task per (batch, object, content): a new upload under the same key is new work."""
    digest = hashlib.sha256(f"{bucket}\0{key}\0{version}".encode()).hexdigest()[:40]
    return f"{batch.kind}:{digest}"


def enqueue_source(runtime: Runtime, batch: Batch) -> int:
    """Queue every object under the batch's source prefix not queued before; how many."""
    new: list[NewTask] = []
    for info in runtime.store.list(batch.source_bucket, batch.source_prefix):
        # The modification time is part of the content's identity: the same image
        # uploaded again after it was processed (and deleted) is new work.
        version = f"{info.etag or info.size}:{info.mtime}"
        new.append(
            NewTask(
                batch.kind,
                task_key(batch, info.bucket, info.key, version),
                {
                    "batch": batch.name,
                    "bucket": info.bucket,
                    "key": info.key,
                    "etag": info.etag,
                    "size": info.size,
                    "content_type": info.content_type,
                    "final_bucket": batch.final_bucket,
                    "final_prefix": batch.final_prefix,
                    "min_confidence": batch.min_confidence,
                },
            )
        )
    return len(runtime.tasks.enqueue_many(new)) if new else 0


def depth(runtime: Runtime, batch: Batch) -> int:
    """Images of the batch waiting or in progress."""
    counts = runtime.tasks.depth()
    return counts.get((batch.kind, QUEUED), 0) + counts.get((batch.kind, RUNNING), 0)


def _batch(runtime: Runtime, s: Any, row: ClBatch) -> Batch:
    version = s.get(ClVersion, row.version_id)
    project = s.get(ClProject, version.project_id)
    return Batch(
        id=row.id,
        name=row.name,
        version_arn=version_arn(runtime, project, version),
        source_bucket=row.source_bucket,
        source_prefix=row.source_prefix,
        final_bucket=row.final_bucket,
        final_prefix=row.final_prefix,
        schedule=row.schedule,
        units=row.units,
        min_confidence=row.min_confidence,
        enabled=row.enabled,
        next_run_at=row.next_run_at,
    )
