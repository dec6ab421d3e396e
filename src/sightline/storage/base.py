"""The object-store contract every backend implements, and the checks they share.

A store holds buckets of objects addressed by ``(bucket, key)``, as S3 does. Keys are
opaque strings to S3; the local store maps them onto paths, so it validates them more
strictly (:func:`sightline.storage.local.key_path`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable

from sightline.errors import InvalidKeyError

# S3's own limit on key length, in UTF-8 bytes.
MAX_KEY_BYTES = 1024
# Enough bytes of a file to tell its media type (see sightline.media.sniff).
PROBE_BYTES = 64
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class ObjectInfo:
    """Facts about one stored object.

    ``etag`` is a hex digest without quotes (the MD5 of the content for single-part
    uploads, as S3 computes it); ``mtime`` is seconds since the epoch; ``version_id``
    is set only by stores with versioning turned on.
    """

    bucket: str
    key: str
    size: int
    etag: str | None
    mtime: float
    version_id: str | None = None
    content_type: str | None = None


@runtime_checkable
class ObjectStore(Protocol):
    """Buckets of objects. Every method raises ``ObjectNotFoundError`` for a missing
    bucket or key (``delete`` excepted), ``InvalidKeyError`` for a key the store refuses,
    and ``StorageError`` when the backend fails in a way a retry may fix."""

    def get(self, bucket: str, key: str, *, byte_range: tuple[int, int] | None = None) -> bytes:
        """The object's bytes; ``byte_range`` is ``(first, last)``, inclusive, as HTTP."""
        ...

    def open(self, bucket: str, key: str) -> BinaryIO:
        """A readable binary stream of the object, for objects too large to hold."""
        ...

    def put(
        self, bucket: str, key: str, data: bytes | BinaryIO, *, content_type: str | None = None
    ) -> ObjectInfo:
        """Store ``data`` (bytes or a readable stream) atomically: readers see the old
        object or the new one, never a part."""
        ...

    def head(self, bucket: str, key: str) -> ObjectInfo:
        """Facts about the object without its content."""
        ...

    def probe(self, bucket: str, key: str, size: int = PROBE_BYTES) -> tuple[ObjectInfo, bytes]:
        """Facts about the object and its first ``size`` bytes, in one round trip where
        the backend allows (a ranged GET on S3)."""
        ...

    def list(self, bucket: str, prefix: str = "", start_after: str = "") -> Iterator[ObjectInfo]:
        """Objects whose key starts with ``prefix`` and sorts after ``start_after``, in
        key order (UTF-8 byte order, as S3 lists). Local stores may leave ``etag`` None
        here (it costs a read of the file); ``head`` always fills it."""
        ...

    def delete(self, bucket: str, key: str) -> None:
        """Remove the object; a missing object is not an error (as S3)."""
        ...

    def url(self, bucket: str, key: str) -> str:
        """A URL a client can read the object from (``file://``, presigned ``https://``)."""
        ...

    def ensure_bucket(self, bucket: str) -> None:
        """Create the bucket if it does not exist."""
        ...


@functools.lru_cache(maxsize=1024)
def _valid_bucket(bucket: str) -> bool:
    return bool(_BUCKET.match(bucket)) and ".." not in bucket


def check_bucket(bucket: str) -> str:
    """``bucket`` if it is a valid bucket name (S3's rules, relaxed to allow ``_``)."""
    if not _valid_bucket(bucket):
        raise InvalidKeyError(
            f"Invalid bucket name {bucket!r}: use 3-63 lower-case letters, digits, '.', '-' "
            "or '_', starting and ending with a letter or digit."
        )
    return bucket


def check_key(key: str) -> str:
    """``key`` if every store can hold it: not empty, no NUL, at most 1024 UTF-8 bytes."""
    if not key:
        raise InvalidKeyError("The object key is empty.")
    if "\x00" in key:
        raise InvalidKeyError(f"The object key {key!r} contains a NUL character.")
    size = len(key.encode("utf-8", "surrogatepass"))
    if size > MAX_KEY_BYTES:
        raise InvalidKeyError(
            f"The object key is {size} bytes long; the limit is {MAX_KEY_BYTES} bytes."
        )
    return key


def range_header(byte_range: tuple[int, int]) -> str:
    first, last = byte_range
    if first < 0 or last < first:
        raise ValueError(f"invalid byte range {byte_range}")
    return f"bytes={first}-{last}"
