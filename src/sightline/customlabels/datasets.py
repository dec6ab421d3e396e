"""Datasets: a project's TRAIN and TEST image lists, with labels and validation errors.

Entries come from a Ground Truth manifest in the object store (``CreateDataset``), from
another dataset, from files (:mod:`.dataset_import`: a folder per label), from
``UpdateDatasetEntries``, or by splitting the training dataset
(``DistributeDatasetEntries``). Each entry keeps its JSON line and its validation error
(unreadable image, several labels), so ``DescribeDataset``'s ``ErrorEntries`` and the
statistics say what is wrong before or after a training.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sightline.customlabels.arns import Arns, parse_dataset
from sightline.customlabels.db import now_ms, reading, writing
from sightline.customlabels.manifest import (
    EntryError,
    ManifestEntry,
    parse_manifest,
    parse_source_ref,
    source_ref,
)
from sightline.customlabels.projects import find_project
from sightline.customlabels.split import stratified_split
from sightline.db.models.customlabels import ClDataset, ClDatasetEntry, ClProject
from sightline.errors import (
    InvalidPaginationTokenError,
    InvalidParameterError,
    InvalidS3ObjectError,
    ResourceInUseError,
    ResourceNotFoundError,
)
from sightline.runtime import Runtime
from sightline.storage import ObjectStore

TYPES = ("TRAIN", "TEST")


@dataclass(frozen=True)
class DatasetStats:
    total: int
    labeled: int
    labels: int
    errors: int


@dataclass(frozen=True)
class DatasetDescription:
    arn: str
    type: str
    created_at: float
    updated_at: float
    status: str
    status_message: str | None
    status_code: str | None
    stats: DatasetStats
    label_counts: dict[str, int]


def read_ref(store: ObjectStore, ref: str) -> bytes:
    """The bytes of an ``s3://bucket/key`` source-ref (InvalidS3ObjectError if unreadable)."""
    try:
        bucket, key = parse_source_ref(ref)
    except ValueError as e:
        raise InvalidS3ObjectError(str(e)) from e
    return store.get(bucket, key)


def find_dataset(session: Session, arn: str) -> tuple[ClProject, ClDataset]:
    ref = parse_dataset(arn)
    project = session.scalar(select(ClProject).where(ClProject.name == ref.project))
    dataset = (
        session.scalar(
            select(ClDataset).where(ClDataset.project_id == project.id, ClDataset.type == ref.type)
        )
        if project is not None
        else None
    )
    if project is None or dataset is None or dataset.created_ms != ref.created_ms:
        raise ResourceNotFoundError(f"The dataset {arn} does not exist.")
    return project, dataset


def dataset_arn(runtime: Runtime, project: ClProject, dataset: ClDataset) -> str:
    return Arns.of(runtime.settings.customlabels).dataset(
        project.name, dataset.type, dataset.created_ms
    )


def create_dataset(
    runtime: Runtime,
    project_arn: str,
    dataset_type: str,
    *,
    manifest: tuple[str, str] | None = None,
    copy_from: str | None = None,
    entries: Sequence[ManifestEntry] = (),
    source: dict[str, str] | None = None,
) -> str:
    """Create the project's ``dataset_type`` dataset; its ARN.

    ``manifest`` is ``(bucket, key)`` of a Ground Truth manifest, ``copy_from`` the ARN of
    a dataset to copy; otherwise ``entries`` (possibly none: an empty dataset).

    Raises:
        InvalidManifestError: a manifest line is malformed (its number is named).
        ResourceAlreadyExistsError: the project already has a dataset of that type.
    """
    if dataset_type not in TYPES:
        raise InvalidParameterError(f"DatasetType must be TRAIN or TEST, not {dataset_type!r}.")
    origin: dict[str, str] = dict(source or {})
    if manifest is not None:
        bucket, key = manifest
        name = source_ref(bucket, key)
        entries = parse_manifest(runtime.store.get(bucket, key), name=name)
        origin = {"manifest": name}
    elif copy_from is not None:
        with reading(runtime.engine) as s:
            _, other = find_dataset(s, copy_from)
            entries = [_entry(e) for e in _entries(s, other.id)]
        origin = {"dataset": copy_from}
    with writing(runtime.engine) as s:
        project = find_project(s, project_arn)
        existing = s.scalar(
            select(ClDataset).where(
                ClDataset.project_id == project.id, ClDataset.type == dataset_type
            )
        )
        if existing is not None:
            raise ResourceInUseError(
                f"The project already has a {dataset_type} dataset "
                f"({dataset_arn(runtime, project, existing)}); delete it first."
            )
        now = time.time()
        row = ClDataset(
            project_id=project.id,
            type=dataset_type,
            created_ms=now_ms(),
            status="CREATE_COMPLETE",
            status_message="The dataset was created.",
            status_code="SUCCESS",
            source=origin,
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        s.flush()
        _add_entries(s, row.id, entries, start=1)
        return dataset_arn(runtime, project, row)


def record_errors(runtime: Runtime, errors: dict[int, EntryError | None]) -> None:
    """Set (or clear, for None) the validation error of entries by id."""
    if not errors:
        return
    with writing(runtime.engine) as s:
        for entry in s.scalars(select(ClDatasetEntry).where(ClDatasetEntry.id.in_(list(errors)))):
            err = errors[entry.id]
            entry.error_code = err.code if err else None
            entry.error = err.message if err else None


def describe_dataset(runtime: Runtime, arn: str) -> DatasetDescription:
    with reading(runtime.engine) as s:
        project, d = find_dataset(s, arn)
        total, labeled, errors = s.execute(
            select(
                func.count(),
                func.count(ClDatasetEntry.label),
                func.count(ClDatasetEntry.error_code),
            ).where(ClDatasetEntry.dataset_id == d.id)
        ).one()
        counts = {
            str(label): int(n)
            for label, n in s.execute(
                select(ClDatasetEntry.label, func.count())
                .where(ClDatasetEntry.dataset_id == d.id, ClDatasetEntry.label.is_not(None))
                .group_by(ClDatasetEntry.label)
            )
        }
        return DatasetDescription(
            arn=dataset_arn(runtime, project, d),
            type=d.type,
            created_at=d.created_at,
            updated_at=d.updated_at,
            status=d.status,
            status_message=d.status_message,
            status_code=d.status_code,
            stats=DatasetStats(int(total), int(labeled), len(counts), int(errors)),
            label_counts=dict(sorted(counts.items())),
        )


def list_entries(
    runtime: Runtime,
    arn: str,
    *,
    labels: Sequence[str] | None = None,
    labeled: bool | None = None,
    source_contains: str | None = None,
    has_errors: bool | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> tuple[list[str], str | None]:
    """The dataset's JSON lines matching the filters, a page at a time."""
    limit = max_results or 100
    after = _token(next_token)
    with reading(runtime.engine) as s:
        _, d = find_dataset(s, arn)
        q = select(ClDatasetEntry).where(
            ClDatasetEntry.dataset_id == d.id, ClDatasetEntry.line > after
        )
        if labels:
            q = q.where(ClDatasetEntry.label.in_(list(labels)))
        if labeled is not None:
            q = q.where(
                ClDatasetEntry.label.is_not(None) if labeled else ClDatasetEntry.label.is_(None)
            )
        if source_contains:
            q = q.where(ClDatasetEntry.source_ref.contains(source_contains, autoescape=True))
        if has_errors is not None:
            q = q.where(
                ClDatasetEntry.error_code.is_not(None)
                if has_errors
                else ClDatasetEntry.error_code.is_(None)
            )
        rows = list(s.scalars(q.order_by(ClDatasetEntry.line).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return [r.document for r in rows], (str(rows[-1].line) if more and rows else None)


def dataset_entries(runtime: Runtime, dataset_id: int) -> list[tuple[int, ManifestEntry]]:
    """``(entry id, entry)`` of every entry of a dataset, in line order."""
    with reading(runtime.engine) as s:
        return [(e.id, _entry(e)) for e in _entries(s, dataset_id)]


def distribute(runtime: Runtime, train_arn: str, test_arn: str) -> None:
    """Move a stratified ``test_fraction`` of the training entries to the (empty) test set.

    Raises:
        InvalidParameterError: the ARNs are not one project's TRAIN and TEST datasets.
        ResourceInUseError: the test dataset is not empty.
    """
    cfg = runtime.settings.customlabels
    with writing(runtime.engine) as s:
        p1, train_ds = find_dataset(s, train_arn)
        p2, test_ds = find_dataset(s, test_arn)
        if p1.id != p2.id or train_ds.type != "TRAIN" or test_ds.type != "TEST":
            raise InvalidParameterError(
                "DistributeDatasetEntries needs one project's TRAIN and TEST dataset ARNs."
            )
        if _entries(s, test_ds.id):
            raise ResourceInUseError(f"The test dataset {test_arn} is not empty.")
        entries = [e for e in _entries(s, train_ds.id) if e.label is not None]
        _, moving = stratified_split(
            [(e.id, e.label or "") for e in entries], cfg.test_fraction, cfg.split_seed
        )
        chosen = set(moving)
        for n, e in enumerate((e for e in entries if e.id in chosen), 1):
            e.dataset_id = test_ds.id
            e.line = n
        now = time.time()
        train_ds.updated_at = test_ds.updated_at = now
        train_ds.status = test_ds.status = "UPDATE_COMPLETE"


def update_entries(runtime: Runtime, arn: str, manifest: bytes) -> None:
    """Add manifest lines to a dataset; a line whose source-ref is already there
    replaces that entry (as UpdateDatasetEntries does)."""
    with writing(runtime.engine) as s:
        _, d = find_dataset(s, arn)
        entries = parse_manifest(manifest, name="Changes.GroundTruth")
        current = {e.source_ref: e for e in _entries(s, d.id)}
        line = max((e.line for e in current.values()), default=0)
        for new in entries:
            old = current.get(new.source_ref)
            if old is not None:
                old.label, old.document = new.label, new.json_line
                old.error_code = new.error.code if new.error else None
                old.error = new.error.message if new.error else None
            else:
                line += 1
                s.add(_row(d.id, line, new))
        d.status, d.updated_at = "UPDATE_COMPLETE", time.time()


def delete_dataset(runtime: Runtime, arn: str) -> None:
    with writing(runtime.engine) as s:
        _, d = find_dataset(s, arn)
        s.execute(delete(ClDatasetEntry).where(ClDatasetEntry.dataset_id == d.id))
        s.delete(d)


def _entries(s: Session, dataset_id: int) -> list[ClDatasetEntry]:
    return list(
        s.scalars(
            select(ClDatasetEntry)
            .where(ClDatasetEntry.dataset_id == dataset_id)
            .order_by(ClDatasetEntry.line)
        )
    )


def _entry(row: ClDatasetEntry) -> ManifestEntry:
    error = EntryError(row.error_code, row.error or "") if row.error_code else None
    return ManifestEntry(row.line, row.source_ref, row.label, json.loads(row.document), error)


def _row(dataset_id: int, line: int, e: ManifestEntry) -> ClDatasetEntry:
    return ClDatasetEntry(
        dataset_id=dataset_id,
        line=line,
        source_ref=e.source_ref,
        label=e.label,
        document=e.json_line,
        error_code=e.error.code if e.error else None,
        error=e.error.message if e.error else None,
    )


def _add_entries(s: Session, dataset_id: int, entries: Iterable[ManifestEntry], start: int) -> None:
    for n, e in enumerate(entries, start):
        s.add(_row(dataset_id, n, e))


def _token(token: str | None) -> int:
    if not token:
        return 0
    if not token.isdigit():
        raise InvalidPaginationTokenError(f"NextToken {token!r} was not issued by this server.")
    return int(token)
