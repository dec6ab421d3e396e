"""Datasets: a project's TRAIN and TEST image lists, with labels and validation errors.

Entries come from a Ground Truth manifest in the object store (``CreateDataset``), from
a folder per label on disk (copied into the ``customlabels.bucket`` bucket), from a
folder per label already in a bucket, or by splitting the training dataset
(``DistributeDatasetEntries``). Each entry keeps its JSON line; validation (decoding
every image) records unreadable images on their entries, so ``DescribeDataset``'s
``ErrorEntries`` and the statistics say what is wrong before a training does.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sightline.config import ImageLimits
from sightline.customlabels.arns import Arns, parse_dataset
from sightline.customlabels.db import now_ms, reading, writing
from sightline.customlabels.features import custom_label_limits, decode_for_features
from sightline.customlabels.manifest import (
    ERROR_INVALID_IMAGE,
    ERROR_MISSING_IMAGE,
    EntryError,
    ManifestEntry,
    classification_line,
    parse_manifest,
    parse_source_ref,
    source_ref,
)
from sightline.customlabels.projects import find_project
from sightline.customlabels.split import stratified_split
from sightline.db.models.customlabels import ClDataset, ClDatasetEntry, ClProject
from sightline.errors import (
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidImageFormatError,
    InvalidPaginationTokenError,
    InvalidParameterError,
    InvalidS3ObjectError,
    ResourceInUseError,
    ResourceNotFoundError,
)
from sightline.media.decode import probe_image
from sightline.media.sniff import sniff
from sightline.runtime import Runtime
from sightline.storage import ObjectStore

TYPES = ("TRAIN", "TEST")
Progress = Callable[[str, int, int], None]


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


@dataclass(frozen=True)
class FolderImport:
    """What :func:`import_folder` did: the dataset, and the files it did not take."""

    arn: str
    images: int
    errors: int  # images that do not decode (kept as entries with their error)
    skipped: tuple[str, ...]  # files that are not images at all


def import_folder(
    runtime: Runtime,
    project_arn: str,
    dataset_type: str,
    folder: Path,
    *,
    progress: Progress | None = None,
) -> FolderImport:
    """A dataset from ``folder/<label>/<image>`` on disk.

    Every file under a label folder is read once. Images are copied to
    ``customlabels.bucket`` under ``datasets/<project>/<type>/<label>/<file>``; one that
    does not decode (truncated, corrupt, too small) is kept as an entry with its error,
    which counts in ``ErrorEntries`` and is never trained on. Files that are not images
    at all (notes, ``.DS_Store``) are skipped and listed. Files directly in ``folder``
    have no label and are ignored.
    """
    if not folder.is_dir():
        raise InvalidParameterError(f"{folder} is not a folder.")
    files = sorted(
        p for d in sorted(folder.iterdir()) if d.is_dir() for p in d.rglob("*") if p.is_file()
    )
    project_name = _project_name(runtime, project_arn)
    bucket = runtime.settings.customlabels.bucket
    runtime.store.ensure_bucket(bucket)
    limits = custom_label_limits(runtime.settings)
    entries: list[ManifestEntry] = []
    skipped: list[str] = []
    for n, path in enumerate(files, 1):
        relative = path.relative_to(folder)
        data = path.read_bytes()
        if sniff(data[:64]) is None:
            skipped.append(relative.as_posix())
        else:
            label = relative.parts[0]
            key = f"datasets/{project_name}/{dataset_type.lower()}/{relative.as_posix()}"
            ref = source_ref(bucket, key)
            runtime.store.put(bucket, key, data)
            error = _check_image(data, limits, ref)
            entries.append(
                ManifestEntry(len(entries) + 1, ref, label, classification_line(ref, label), error)
            )
        if progress:
            progress("importing", n, len(files))
    if not entries:
        raise InvalidParameterError(f"{folder} has no images in label folders (<label>/<image>).")
    _label_indexes(entries)
    arn = create_dataset(
        runtime, project_arn, dataset_type, entries=entries, source={"folder": str(folder)}
    )
    return FolderImport(
        arn, len(entries), sum(e.error is not None for e in entries), tuple(skipped)
    )


def import_prefix(
    runtime: Runtime, project_arn: str, dataset_type: str, bucket: str, prefix: str
) -> str:
    """A dataset from ``bucket/prefix<label>/...`` in the object store (not copied)."""
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    entries: list[ManifestEntry] = []
    for info in runtime.store.list(bucket, prefix):
        rest = info.key[len(prefix) :]
        if "/" not in rest:
            continue
        label = rest.split("/", 1)[0]
        ref = source_ref(bucket, info.key)
        entries.append(ManifestEntry(len(entries) + 1, ref, label, classification_line(ref, label)))
    if not entries:
        raise InvalidParameterError(
            f"s3://{bucket}/{prefix} has no objects in label folders (<prefix><label>/<image>)."
        )
    _label_indexes(entries)
    return create_dataset(
        runtime,
        project_arn,
        dataset_type,
        entries=entries,
        source={"prefix": f"s3://{bucket}/{prefix}"},
    )


def validate_dataset(
    runtime: Runtime, arn: str, *, progress: Progress | None = None
) -> DatasetDescription:
    """Read every image of the dataset; record which cannot be used, clear the rest."""
    with reading(runtime.engine) as s:
        _, dataset = find_dataset(s, arn)
        rows = [(e.id, e.source_ref, e.error_code) for e in _entries(s, dataset.id)]
    limits = custom_label_limits(runtime.settings)
    found: dict[int, EntryError | None] = {}
    for n, (entry_id, ref, code) in enumerate(rows, 1):
        if code is None or code in (ERROR_INVALID_IMAGE, ERROR_MISSING_IMAGE):
            try:
                found[entry_id] = _check_image(read_ref(runtime.store, ref), limits, ref)
            except InvalidS3ObjectError as e:
                found[entry_id] = EntryError(ERROR_MISSING_IMAGE, f"{ref}: {e}")
        if progress:
            progress("validating", n, len(rows))
    record_errors(runtime, found)
    return describe_dataset(runtime, arn)


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


def _label_indexes(entries: list[ManifestEntry]) -> None:
    """Give each written line its class index among the dataset's sorted labels."""
    index = {
        label: i for i, label in enumerate(sorted(Counter(e.label for e in entries if e.label)))
    }
    for e in entries:
        if e.label is not None:
            for key, value in list(e.document.items()):
                if isinstance(value, int) and f"{key}-metadata" in e.document:
                    e.document[key] = index[e.label]


def _check_image(data: bytes, limits: ImageLimits, ref: str) -> EntryError | None:
    """Why an image cannot be used, or None. Decodes it fully: a truncated body only
    shows when the pixels are read."""
    if sniff(data[:64]) is None:
        return EntryError(ERROR_INVALID_IMAGE, f"{ref}: not an image file.")
    try:
        probe_image(data, limits, max_bytes=limits.max_object_bytes)
        decode_for_features(data, limits)
    except (InvalidImageFormatError, ImageTooLargeError, ImageTooSmallError) as e:
        return EntryError(ERROR_INVALID_IMAGE, f"{ref}: {e}")
    return None


def _project_name(runtime: Runtime, project_arn: str) -> str:
    with reading(runtime.engine) as s:
        return find_project(s, project_arn).name


def _token(token: str | None) -> int:
    if not token:
        return 0
    if not token.isdigit():
        raise InvalidPaginationTokenError(f"NextToken {token!r} was not issued by this server.")
    return int(token)
