"""Datasets from files: a folder per label on disk, label folders in a bucket; and
validating a dataset's images before training.

Every file under a label folder is read once. Images are copied into the
``customlabels.bucket`` bucket (so a dataset is always a list of ``s3://`` references in
the object store, whatever its origin); one that does not decode (truncated, corrupt,
too small) is kept as an entry with its error, which counts in ``ErrorEntries`` and is
never trained on; files that are not images at all are skipped and listed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sightline.config import ImageLimits
from sightline.customlabels.datasets import (
    DatasetDescription,
    create_dataset,
    dataset_entries,
    describe_dataset,
    find_dataset,
    read_ref,
    record_errors,
)
from sightline.customlabels.db import reading
from sightline.customlabels.features import custom_label_limits, decode_for_features
from sightline.customlabels.manifest import (
    ERROR_INVALID_IMAGE,
    ERROR_MISSING_IMAGE,
    EntryError,
    ManifestEntry,
    classification_line,
    source_ref,
)
from sightline.customlabels.projects import find_project
from sightline.errors import (
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidImageFormatError,
    InvalidParameterError,
    InvalidS3ObjectError,
)
from sightline.media.sniff import sniff
from sightline.runtime import Runtime

Progress = Callable[[str, int, int], None]


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
    rows = [
        (entry_id, e.source_ref, e.error.code if e.error else None)
        for entry_id, e in dataset_entries(runtime, dataset.id)
    ]
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
        decode_for_features(data, limits)
    except (InvalidImageFormatError, ImageTooLargeError, ImageTooSmallError) as e:
        return EntryError(ERROR_INVALID_IMAGE, f"{ref}: {e}")
    return None


def _project_name(runtime: Runtime, project_arn: str) -> str:
    with reading(runtime.engine) as s:
        return find_project(s, project_arn).name
