"""Project versions: create (queue a training), describe, delete, and the running states.

Status moves ``TRAINING_IN_PROGRESS -> TRAINING_COMPLETED | TRAINING_FAILED`` while the
training task runs (:mod:`sightline.customlabels.trainer`), then ``STARTING -> RUNNING
-> STOPPING -> STOPPED`` as :func:`request_start` / :func:`request_stop` record what is
wanted and the host (:mod:`sightline.customlabels.host`) makes it so. Every transition
is a conditional update of the version's row, so two callers never both win.

``CreateProjectVersion`` snapshots what it trains on: the training and testing entries
(the project's datasets, or the manifests given as assets) are written as manifests
under the version's output folder, and the training reads those files. Changing a
dataset afterwards does not change a version.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from sightline.customlabels.arns import Arns, check_name, parse_version
from sightline.customlabels.datasets import dataset_entries
from sightline.customlabels.db import now_ms, reading, writing
from sightline.customlabels.manifest import dump_manifest, parse_manifest, source_ref
from sightline.customlabels.projects import find_project
from sightline.db.models.customlabels import ClBatch, ClDataset, ClProject, ClVersion
from sightline.errors import (
    InvalidPaginationTokenError,
    InvalidParameterError,
    LimitExceededError,
    ResourceInUseError,
    ResourceNotFoundError,
    ResourceNotReadyError,
)
from sightline.pipeline.queue import DEAD
from sightline.runtime import Runtime

TRAIN_KIND = "customlabels-train"
TRAINING_IN_PROGRESS = "TRAINING_IN_PROGRESS"
TRAINING_COMPLETED = "TRAINING_COMPLETED"
TRAINING_FAILED = "TRAINING_FAILED"
STARTING, RUNNING, STOPPING, STOPPED = "STARTING", "RUNNING", "STOPPING", "STOPPED"
FAILED = "FAILED"
STARTABLE = (TRAINING_COMPLETED, STOPPED, FAILED)
ACTIVE = (STARTING, RUNNING, STOPPING)


@dataclass(frozen=True)
class VersionDescription:
    """A version as DescribeProjectVersions reports it (times in epoch seconds)."""

    arn: str
    project: str
    name: str
    created_at: float
    status: str
    status_message: str | None
    progress: float
    description: str | None
    output_bucket: str
    output_prefix: str
    training_input: dict[str, Any]
    testing_input: dict[str, Any]
    files: dict[str, Any]
    training_started_at: float | None
    training_ended_at: float | None
    f1: float | None
    evaluation: dict[str, Any] | None
    labels: list[str] | None
    extractor: str | None
    classifier: str | None
    min_units: int | None
    max_units: int | None
    memory: dict[str, Any] | None


def train_task_key(version_id: int) -> str:
    return f"cltrain:{version_id}"


def version_dir(prefix: str, project: str, version: str) -> str:
    """The folder of a version's training outputs inside its output bucket."""
    return f"{prefix}{project}/{version}/"


def find_version(session: Any, arn: str) -> tuple[ClProject, ClVersion]:
    ref = parse_version(arn)
    project = session.scalar(select(ClProject).where(ClProject.name == ref.project))
    version = (
        session.scalar(
            select(ClVersion).where(ClVersion.project_id == project.id, ClVersion.name == ref.name)
        )
        if project is not None
        else None
    )
    if project is None or version is None or version.created_ms != ref.created_ms:
        raise ResourceNotFoundError(f"The project version {arn} does not exist.")
    return project, version


def version_arn(runtime: Runtime, project: ClProject, version: ClVersion) -> str:
    return Arns.of(runtime.settings.customlabels).version(
        project.name, version.name, version.created_ms
    )


def create_version(
    runtime: Runtime,
    project_arn: str,
    version_name: str,
    *,
    output_bucket: str | None = None,
    output_prefix: str = "",
    training_assets: Sequence[tuple[str, str]] = (),
    testing_assets: Sequence[tuple[str, str]] = (),
    auto_test: bool = False,
    description: str | None = None,
    tags: dict[str, str] | None = None,
) -> str:
    """Create a version and queue its training; its ARN.

    Training data: the manifests in ``training_assets`` (``(bucket, key)`` pairs), else
    the project's TRAIN dataset. Testing data: a split of the training data when
    ``auto_test``; else ``testing_assets``; else the project's TEST dataset when it has
    entries; else a split (reported as ``AutoCreate``).

    Raises:
        ResourceInUseError: the project already has a version with that name.
        InvalidParameterError: there is nothing to train on.
        InvalidManifestError: a given manifest has a malformed line.
    """
    check_name(version_name, "VersionName")
    cfg = runtime.settings.customlabels
    bucket = output_bucket or cfg.bucket
    store = runtime.store
    store.ensure_bucket(bucket)
    for b, k in (*training_assets, *testing_assets):  # refuse bad manifests up front
        parse_manifest(store.get(b, k), name=source_ref(b, k))
    with reading(runtime.engine) as s:
        project = find_project(s, project_arn)
        if s.scalar(
            select(ClVersion.id).where(
                ClVersion.project_id == project.id, ClVersion.name == version_name
            )
        ):
            raise ResourceInUseError(
                f"The project {project.name} already has a version named {version_name!r}."
            )
        datasets = {
            d.type: d
            for d in s.scalars(select(ClDataset).where(ClDataset.project_id == project.id))
        }
    folder = version_dir(output_prefix, project.name, version_name)
    training = [_asset(b, k) for b, k in training_assets]
    if not training:
        train_ds = datasets.get("TRAIN")
        entries = dataset_entries(runtime, train_ds.id) if train_ds is not None else []
        if not entries:
            raise InvalidParameterError(
                f"The project {project.name} has no training data: create its TRAIN dataset "
                "(CreateDataset) or pass TrainingData.Assets."
            )
        key = f"{folder}input/training.manifest"
        store.put(bucket, key, dump_manifest(e.document for _, e in entries))
        training = [_asset(bucket, key)]
    testing: list[dict[str, Any]] = [] if auto_test else [_asset(b, k) for b, k in testing_assets]
    if not auto_test and not testing:
        test_ds = datasets.get("TEST")
        entries = dataset_entries(runtime, test_ds.id) if test_ds is not None else []
        if entries:
            key = f"{folder}input/testing.manifest"
            store.put(bucket, key, dump_manifest(e.document for _, e in entries))
            testing = [_asset(bucket, key)]
    now = time.time()
    with writing(runtime.engine) as s:
        project = find_project(s, project_arn)
        row = ClVersion(
            project_id=project.id,
            name=version_name,
            created_ms=now_ms(),
            description=description,
            status=TRAINING_IN_PROGRESS,
            status_message="The training is queued.",
            progress=0.0,
            output_bucket=bucket,
            output_prefix=output_prefix,
            training_input={"Assets": training},
            testing_input={"Assets": testing, "AutoCreate": not testing},
            files={},
            tags=dict(tags or {}),
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        s.flush()
        runtime.tasks.enqueue(
            TRAIN_KIND, train_task_key(row.id), {"version": row.id}, conn=s.connection()
        )
        return version_arn(runtime, project, row)


def describe_versions(
    runtime: Runtime,
    project_arn: str,
    *,
    names: Sequence[str] | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> tuple[list[VersionDescription], str | None]:
    """The project's versions, newest first, a page at a time."""
    limit = max_results or 100
    before = _token(next_token)
    with reading(runtime.engine) as s:
        project = find_project(s, project_arn)
        q = select(ClVersion).where(ClVersion.project_id == project.id)
        if names:
            q = q.where(ClVersion.name.in_(list(names)))
        if before:
            q = q.where(ClVersion.id < before)
        rows = list(s.scalars(q.order_by(ClVersion.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    _settle_dead_trainings(runtime, rows)
    out = [_describe(runtime, project, r) for r in rows]
    return out, (str(rows[-1].id) if more and rows else None)


def describe_version(runtime: Runtime, arn: str) -> VersionDescription:
    with reading(runtime.engine) as s:
        project, row = find_version(s, arn)
    _settle_dead_trainings(runtime, [row])
    return _describe(runtime, project, row)


def delete_version(runtime: Runtime, arn: str) -> str:
    """Delete a version that is neither training nor running; ``DELETING``."""
    with writing(runtime.engine) as s:
        _, row = find_version(s, arn)
        if row.status in (TRAINING_IN_PROGRESS, *ACTIVE):
            raise ResourceInUseError(
                f"The version {arn} is {row.status}; stop it (or let training end) first."
            )
        batches = list(s.scalars(select(ClBatch.name).where(ClBatch.version_id == row.id)))
        if batches:
            raise ResourceInUseError(
                f"The version {arn} is used by batch(es) {', '.join(batches)}; delete them first."
            )
        s.delete(row)
    return "DELETING"


def request_start(runtime: Runtime, arn: str, min_units: int, max_units: int | None = None) -> str:
    """Ask for the version to run on ``min_units`` worker processes; the new status.

    A version that is already starting or running with the same units is left as it is
    (its status is returned), so repeated calls are harmless.

    Raises:
        ResourceNotReadyError: the version has no trained model.
        ResourceInUseError: it is stopping, or running with other units.
        LimitExceededError: more units than ``customlabels.max_inference_units``.
    """
    cap = runtime.settings.customlabels.max_inference_units
    if min_units < 1:
        raise InvalidParameterError(f"MinInferenceUnits must be at least 1, got {min_units}.")
    if max_units is not None and max_units < min_units:
        raise InvalidParameterError(
            f"MaxInferenceUnits ({max_units}) is below MinInferenceUnits ({min_units})."
        )
    if min_units > cap:
        raise LimitExceededError(
            f"MinInferenceUnits {min_units} is over this server's limit of {cap} "
            "(customlabels.max_inference_units)."
        )
    with writing(runtime.engine) as s:
        _, row = find_version(s, arn)
        if row.status in (STARTING, RUNNING) and row.min_units == min_units:
            return row.status
        if row.status not in STARTABLE:
            if row.status in (TRAINING_IN_PROGRESS, TRAINING_FAILED):
                raise ResourceNotReadyError(
                    f"The version {arn} is {row.status}: it has no trained model to start."
                )
            raise ResourceInUseError(f"The version {arn} is {row.status}.")
        row.status, row.status_message = STARTING, f"Starting {min_units} inference unit(s)."
        row.min_units, row.max_units = min_units, max_units
        row.host = row.host_seen_at = None
        row.updated_at = time.time()
        return STARTING


def request_stop(runtime: Runtime, arn: str) -> str:
    """Ask for a running (or starting) version to stop; the new status."""
    with writing(runtime.engine) as s:
        _, row = find_version(s, arn)
        if row.status in (STARTING, RUNNING):
            row.status, row.status_message = STOPPING, "Stopping."
            row.updated_at = time.time()
            return STOPPING
        if row.status in (STOPPING, STOPPED, TRAINING_COMPLETED, FAILED):
            return row.status
        raise ResourceInUseError(f"The version {arn} is {row.status}; there is nothing to stop.")


def set_status(
    runtime: Runtime,
    version_id: int,
    status: str,
    message: str | None,
    *,
    expect: Sequence[str] | None = None,
    **values: Any,
) -> bool:
    """Move a version to ``status`` if it is in one of ``expect``; whether it moved."""
    stmt = update(ClVersion).where(ClVersion.id == version_id)
    if expect is not None:
        stmt = stmt.where(ClVersion.status.in_(list(expect)))
    with writing(runtime.engine) as s:
        result = s.execute(
            stmt.values(status=status, status_message=message, updated_at=time.time(), **values)
        )
        return bool(getattr(result, "rowcount", 0))


def _settle_dead_trainings(runtime: Runtime, rows: list[ClVersion]) -> None:
    """A training whose task died (its worker crashed on every attempt) has failed."""
    for row in rows:
        if row.status != TRAINING_IN_PROGRESS:
            continue
        task = runtime.tasks.by_key(train_task_key(row.id))
        if task is not None and task.state == DEAD:
            message = f"The training failed: {task.last_error or 'its worker stopped'}"
            if set_status(runtime, row.id, TRAINING_FAILED, message, expect=[TRAINING_IN_PROGRESS]):
                row.status, row.status_message = TRAINING_FAILED, message


def _describe(runtime: Runtime, project: ClProject, r: ClVersion) -> VersionDescription:
    return VersionDescription(
        arn=version_arn(runtime, project, r),
        project=project.name,
        name=r.name,
        created_at=r.created_at,
        status=r.status,
        status_message=r.status_message,
        progress=r.progress,
        description=r.description,
        output_bucket=r.output_bucket,
        output_prefix=r.output_prefix,
        training_input=r.training_input,
        testing_input=r.testing_input,
        files=r.files,
        training_started_at=r.training_started_at,
        training_ended_at=r.training_ended_at,
        f1=r.f1,
        evaluation=r.evaluation,
        labels=r.labels,
        extractor=r.extractor,
        classifier=r.classifier,
        min_units=r.min_units,
        max_units=r.max_units,
        memory=r.memory,
    )


def _asset(bucket: str, key: str) -> dict[str, Any]:
    return {"GroundTruthManifest": {"S3Object": {"Bucket": bucket, "Name": key}}}


def asset_location(asset: dict[str, Any]) -> tuple[str, str]:
    obj = asset["GroundTruthManifest"]["S3Object"]
    return str(obj["Bucket"]), str(obj["Name"])


def _token(token: str | None) -> int:
    if not token:
        return 0
    if not token.isdigit():
        raise InvalidPaginationTokenError(f"NextToken {token!r} was not issued by this server.")
    return int(token)


def version_arn_by_name(runtime: Runtime, project: str, version: str) -> str:
    """The ARN of ``project``'s version ``version`` (names), or ``version`` if an ARN."""
    with reading(runtime.engine) as s:
        if version.startswith("arn:"):
            found, row = find_version(s, version)
            return version_arn(runtime, found, row)
        p = s.scalar(select(ClProject).where(ClProject.name == project))
        v = (
            s.scalar(
                select(ClVersion).where(ClVersion.project_id == p.id, ClVersion.name == version)
            )
            if p is not None
            else None
        )
        if p is None or v is None:
            raise ResourceNotFoundError(f"Project {project!r} has no version {version!r}.")
        return version_arn(runtime, p, v)
