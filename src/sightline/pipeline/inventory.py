"""Reading inventories: the reference pipeline's CSV and S3 Inventory reports.

- **Reference CSV**: rows ``bucketName,objectName`` (an optional header row with those
  names is skipped). Keys are taken as written.
- **S3 Inventory**: a ``manifest.json`` whose ``fileSchema`` names the columns and whose
  ``files`` list the (gzip) CSV data files, found beside the manifest (by their key's
  path or base name). Keys in these files are URL-encoded (``+`` for a space). When the
  report carries ``Size``, ``ETag`` and ``LastModifiedDate`` the row's version is known
  without reading the object; delete markers and non-latest versions are skipped.

Rows come out numbered (1-based line numbers across the whole inventory, so a
backfill can resume after the last row it recorded) with either the object's
reference or the reason the row is malformed.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote_plus

from sightline.errors import InvalidKeyError, InvalidManifestError
from sightline.storage.base import ObjectInfo, check_bucket, check_key


@dataclass(frozen=True)
class InventoryRow:
    line: int
    bucket: str = ""
    key: str = ""
    info: ObjectInfo | None = None  # the object's facts, when the inventory has them
    error: str | None = None  # why the row is malformed
    skip: bool = False  # a delete marker or an old version: nothing to do


def read_inventory(path: Path) -> Iterator[InventoryRow]:
    """Rows of the inventory at ``path`` (a CSV file or an S3 Inventory manifest)."""
    if path.name.endswith(".json"):
        yield from _manifest_rows(path)
        return
    with _open_text(path) as fh:
        yield from _reference_rows(fh)


def count_rows(path: Path) -> int | None:
    """The number of data rows, for a progress bar (None when costly to know)."""
    if path.name.endswith(".json"):
        return None
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def _open_text(path: Path) -> IO[str]:
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _reference_rows(fh: IO[str]) -> Iterator[InventoryRow]:
    for n, cells in enumerate(csv.reader(fh), 1):
        if n == 1 and [c.strip().lower() for c in cells[:2]] == ["bucketname", "objectname"]:
            continue
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != 2:
            yield InventoryRow(
                n, error=f"expected 2 columns (bucketName,objectName), got {len(cells)}"
            )
            continue
        yield _checked(n, cells[0].strip(), cells[1])


def _checked(line: int, bucket: str, key: str, info: ObjectInfo | None = None) -> InventoryRow:
    try:
        check_bucket(bucket)
        check_key(key)
    except InvalidKeyError as exc:
        return InventoryRow(line, bucket, key, error=exc.message)
    return InventoryRow(line, bucket, key, info)


def _manifest_rows(manifest: Path) -> Iterator[InventoryRow]:
    try:
        doc: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
        schema = [c.strip() for c in str(doc["fileSchema"]).split(",")]
        files = [str(f["key"]) for f in doc["files"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidManifestError(
            f"{manifest} is not an S3 Inventory manifest (fileSchema and files): {exc}"
        ) from exc
    if str(doc.get("fileFormat", "CSV")).upper() != "CSV":
        raise InvalidManifestError(
            f"{manifest}: only CSV inventories are supported, not {doc.get('fileFormat')}."
        )
    if "Bucket" not in schema or "Key" not in schema:
        raise InvalidManifestError(f"{manifest}: fileSchema lacks Bucket or Key: {schema}")
    col = {name: i for i, name in enumerate(schema)}
    parse = _row_parser(col)
    width = len(schema)
    line = 0
    for key in files:
        data = _data_file(manifest, key)
        with _open_text(data) as fh:
            for cells in csv.reader(fh):
                line += 1
                if len(cells) != width:
                    yield InventoryRow(
                        line, error=f"expected {width} columns ({data.name}), got {len(cells)}"
                    )
                    continue
                yield parse(line, cells)


def _data_file(manifest: Path, key: str) -> Path:
    # S3 writes <prefix>/<bucket>/<config>/<date>/manifest.json and the data files under
    # <prefix>/<bucket>/<config>/data/; a downloaded copy keeps that shape, or flattens it.
    name = Path(key).name
    here = manifest.parent
    for candidate in (here / key, here / name, here / "data" / name, here.parent / "data" / name):
        if candidate.is_file():
            return candidate
    raise InvalidManifestError(
        f"The inventory data file {key!r} named by {manifest} was not found beside it "
        f"(as {name} or data/{name})."
    )


def _row_parser(col: dict[str, int]) -> Callable[[int, list[str]], InventoryRow]:
    """A parser for rows of this schema (column positions resolved once, not per row)."""
    i_bucket, i_key = col["Bucket"], col["Key"]
    i_size, i_etag, i_modified = col.get("Size"), col.get("ETag"), col.get("LastModifiedDate")
    i_version, i_latest, i_marker = (
        col.get("VersionId"),
        col.get("IsLatest"),
        col.get("IsDeleteMarker"),
    )

    def parse(line: int, cells: list[str]) -> InventoryRow:
        bucket = cells[i_bucket].strip()
        key = unquote_plus(cells[i_key])
        if (i_marker is not None and cells[i_marker].strip().lower() == "true") or (
            i_latest is not None and cells[i_latest].strip().lower() == "false"
        ):
            return InventoryRow(line, bucket, key, skip=True)
        info = None
        size = cells[i_size].strip() if i_size is not None else ""
        etag = cells[i_etag].strip() if i_etag is not None else ""
        if size and etag:
            modified = cells[i_modified].strip() if i_modified is not None else ""
            try:
                mtime = dt.datetime.fromisoformat(modified.replace("Z", "+00:00")).timestamp()
            except ValueError:
                mtime = 0.0
            version = cells[i_version].strip() if i_version is not None else ""
            try:
                info = ObjectInfo(bucket, key, int(size), etag.strip('"'), mtime, version or None)
            except ValueError:
                return InventoryRow(line, bucket, key, error=f"Size {size!r} is not a number")
        return _checked(line, bucket, key, info)

    return parse
