"""Buckets as folders: ``<root>/<bucket>/<key>``.

Keys map onto relative paths, so they are checked before any file is touched: nothing
may escape its bucket folder (``..`` segments, absolute keys, NUL, symlinks pointing
outside). Writes go to a temporary file in the target folder and are renamed into
place, so a reader or the folder watcher never sees half a file. ETags are the MD5 of
the content, as S3 computes them for single-part uploads, so re-saving identical bytes
is recognised as the same object version.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sightline.errors import InvalidKeyError, ObjectNotFoundError, StorageError
from sightline.storage.base import PROBE_BYTES, ObjectInfo, check_bucket, check_key

# Temporary files carry this suffix; listings and the folder watcher skip them.
PART_SUFFIX = ".sightline-part"
_CHUNK = 1024 * 1024
_MAX_SEGMENT_BYTES = 255  # the longest file name ext4, APFS and NTFS accept
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")  # "C:\\..." would be absolute on Windows


def key_segments(key: str) -> list[str]:
    """The path segments of ``key``, or ``InvalidKeyError`` if it cannot be a safe
    relative path inside a bucket folder."""
    check_key(key)
    if key.startswith(("/", "\\")) or _DRIVE.match(key):
        raise InvalidKeyError(f"The object key {key!r} is absolute; keys are relative paths.")
    if key.endswith("/"):
        raise InvalidKeyError(f"The object key {key!r} ends with '/'; it names a folder.")
    segments = key.split("/")
    for seg in segments:
        if seg in ("", ".", ".."):
            raise InvalidKeyError(
                f"The object key {key!r} has an empty, '.' or '..' path segment; "
                "keys may not leave or skip folders."
            )
        if len(seg.encode("utf-8", "surrogatepass")) > _MAX_SEGMENT_BYTES:
            raise InvalidKeyError(
                f"The object key {key!r} has a path segment over {_MAX_SEGMENT_BYTES} bytes."
            )
    if segments[-1].endswith(PART_SUFFIX):
        raise InvalidKeyError(
            f"The object key {key!r} ends with {PART_SUFFIX!r}, reserved for partial writes."
        )
    return segments


class _EtagCache:
    """MD5s of files keyed by (path, inode, size, mtime), so that unchanged files are
    hashed once per process however often they are listed or probed."""

    def __init__(self, capacity: int = 50_000) -> None:
        self._items: OrderedDict[tuple[str, int, int, int], str] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, k: tuple[str, int, int, int]) -> str | None:
        with self._lock:
            found = self._items.get(k)
            if found is not None:
                self._items.move_to_end(k)
            return found

    def put(self, k: tuple[str, int, int, int], etag: str) -> None:
        with self._lock:
            self._items[k] = etag
            if len(self._items) > self._capacity:
                self._items.popitem(last=False)


class LocalStore:
    """An :class:`~sightline.storage.base.ObjectStore` over a folder per bucket."""

    def __init__(self, root: Path, *, fsync: bool = False, create: bool = True) -> None:
        self.root = Path(root).absolute()
        if create:
            self.root.mkdir(parents=True, exist_ok=True)
        self._real_root = os.path.realpath(self.root)
        self._fsync = fsync
        self._etags = _EtagCache()

    # --- paths ----------------------------------------------------------------------

    def bucket_path(self, bucket: str) -> Path:
        return self.root / check_bucket(bucket)

    def path(self, bucket: str, key: str) -> Path:
        """The file that holds ``key``; raises ``InvalidKeyError`` for unsafe keys."""
        return self.bucket_path(bucket).joinpath(*key_segments(key))

    def key_of(self, bucket: str, path: Path | str) -> str | None:
        """The key of a file under the bucket's folder, or None if it is not one of ours
        (outside the folder, a partial write)."""
        base = str(self.bucket_path(bucket)) + os.sep
        text = os.path.abspath(str(path))
        if not text.startswith(base) or text.endswith(PART_SUFFIX):
            return None
        key = text[len(base) :].replace(os.sep, "/")
        try:
            key_segments(key)
        except InvalidKeyError:
            return None
        return key

    def _existing(self, bucket: str, key: str) -> tuple[Path, os.stat_result]:
        path = self.path(bucket, key)
        try:
            st = path.stat()
        except FileNotFoundError:
            raise self._not_found(bucket, key) from None
        except NotADirectoryError:
            raise self._not_found(bucket, key) from None
        except OSError as exc:
            raise StorageError(f"Cannot read s3://{bucket}/{key}: {exc}") from exc
        if not path.is_file():
            raise self._not_found(bucket, key)
        self._check_inside(bucket, key, path)
        return path, st

    def _check_inside(self, bucket: str, key: str, path: Path) -> None:
        # A symlink inside the bucket folder must not lead reads outside the store.
        if not os.path.realpath(path).startswith(self._real_root + os.sep):
            raise InvalidKeyError(
                f"The object key {key!r} in bucket {bucket!r} is a link that leads "
                "outside the store."
            )

    def _not_found(self, bucket: str, key: str) -> ObjectNotFoundError:
        if not self.bucket_path(bucket).is_dir():
            return ObjectNotFoundError(f"The bucket {bucket!r} does not exist.")
        return ObjectNotFoundError(f"The object {key!r} does not exist in bucket {bucket!r}.")

    def _info(self, bucket: str, key: str, path: Path, st: os.stat_result) -> ObjectInfo:
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=st.st_size,
            etag=self._etag(path, st),
            mtime=st.st_mtime_ns / 1e9,
        )

    def _etag(self, path: Path, st: os.stat_result) -> str:
        cache_key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
        found = self._etags.get(cache_key)
        if found is None:
            digest = hashlib.md5(usedforsecurity=False)
            with open(path, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
            found = digest.hexdigest()
            self._etags.put(cache_key, found)
        return found

    # --- the ObjectStore protocol ---------------------------------------------------

    def get(self, bucket: str, key: str, *, byte_range: tuple[int, int] | None = None) -> bytes:
        path, _ = self._existing(bucket, key)
        with open(path, "rb") as fh:
            if byte_range is None:
                return fh.read()
            first, last = byte_range
            fh.seek(first)
            return fh.read(max(0, last - first + 1))

    def open(self, bucket: str, key: str) -> BinaryIO:
        path, _ = self._existing(bucket, key)
        return open(path, "rb")

    def put(
        self, bucket: str, key: str, data: bytes | BinaryIO, *, content_type: str | None = None
    ) -> ObjectInfo:
        path = self.path(bucket, key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise InvalidKeyError(
                f"The object key {key!r} needs a folder where bucket {bucket!r} holds a file."
            ) from exc
        tmp = path.parent / f".{uuid.uuid4().hex}{PART_SUFFIX}"
        digest = hashlib.md5(usedforsecurity=False)
        stream: BinaryIO = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
        try:
            with open(tmp, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                if self._fsync:
                    out.flush()
                    os.fsync(out.fileno())
            os.replace(tmp, path)
        except IsADirectoryError as exc:
            tmp.unlink(missing_ok=True)
            raise InvalidKeyError(
                f"The object key {key!r} names a folder in bucket {bucket!r}."
            ) from exc
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"Cannot write s3://{bucket}/{key}: {exc}") from exc
        st = path.stat()
        etag = digest.hexdigest()
        self._etags.put((str(path), st.st_ino, st.st_size, st.st_mtime_ns), etag)
        return ObjectInfo(bucket, key, st.st_size, etag, st.st_mtime_ns / 1e9, None, content_type)

    def head(self, bucket: str, key: str) -> ObjectInfo:
        path, st = self._existing(bucket, key)
        return self._info(bucket, key, path, st)

    def probe(self, bucket: str, key: str, size: int = PROBE_BYTES) -> tuple[ObjectInfo, bytes]:
        path, st = self._existing(bucket, key)
        with open(path, "rb") as fh:
            head = fh.read(size)
        return self._info(bucket, key, path, st), head

    def list(self, bucket: str, prefix: str = "", start_after: str = "") -> Iterator[ObjectInfo]:
        base = self.bucket_path(bucket)
        if not base.is_dir():
            raise ObjectNotFoundError(f"The bucket {bucket!r} does not exist.")
        yield from self._walk(bucket, base, "", prefix, start_after)

    def _walk(
        self, bucket: str, folder: Path, rel: str, prefix: str, start_after: str
    ) -> Iterator[ObjectInfo]:
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return  # removed while we walked
        # Sort folders as "name/" so the walk yields keys in S3's lexicographic order.
        named: list[tuple[str, os.DirEntry[str], bool]] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if not is_dir and entry.name.endswith(PART_SUFFIX):
                continue
            named.append((rel + entry.name + ("/" if is_dir else ""), entry, is_dir))
        named.sort(key=lambda t: t[0])
        for name, entry, is_dir in named:
            if is_dir:
                if not (name.startswith(prefix) or prefix.startswith(name)):
                    continue
                if start_after >= name and not start_after.startswith(name):
                    continue  # every key below sorts before start_after
                yield from self._walk(bucket, Path(entry.path), name, prefix, start_after)
                continue
            if not name.startswith(prefix) or name <= start_after:
                continue
            try:
                st = entry.stat(follow_symlinks=True)
            except OSError:
                continue
            if entry.is_symlink() and not os.path.realpath(entry.path).startswith(
                self._real_root + os.sep
            ):
                continue
            if not os.path.isfile(entry.path):
                continue
            yield ObjectInfo(bucket, name, st.st_size, None, st.st_mtime_ns / 1e9)

    def delete(self, bucket: str, key: str) -> None:
        path = self.path(bucket, key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return
        except IsADirectoryError:
            return
        # Folders exist only to hold keys; drop the ones this delete left empty.
        base = self.bucket_path(bucket)
        parent = path.parent
        while parent != base:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def url(self, bucket: str, key: str) -> str:
        return self.path(bucket, key).as_uri()

    def ensure_bucket(self, bucket: str) -> None:
        self.bucket_path(bucket).mkdir(parents=True, exist_ok=True)

    # --- local only -----------------------------------------------------------------

    def remove_bucket(self, bucket: str) -> None:
        """Delete a bucket folder and everything in it (tests, ``purge``)."""
        shutil.rmtree(self.bucket_path(bucket), ignore_errors=True)
