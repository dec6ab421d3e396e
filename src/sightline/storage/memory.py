"""An in-process object store: the package's own fake, for tests and one-off runs.

Same contract and errors as the real stores (including local-store key rules when
``strict_keys`` is set), so code tested against it behaves the same against them.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote

from sightline.errors import ObjectNotFoundError
from sightline.storage.base import PROBE_BYTES, ObjectInfo, check_bucket, check_key
from sightline.storage.local import key_segments


@dataclass(frozen=True)
class _Stored:
    data: bytes
    info: ObjectInfo


class MemoryStore:
    """Buckets of bytes in a dict, safe to share between threads."""

    def __init__(self, *, strict_keys: bool = True) -> None:
        self._buckets: dict[str, dict[str, _Stored]] = {}
        self._lock = threading.Lock()
        self._strict = strict_keys

    def _check(self, bucket: str, key: str) -> None:
        check_bucket(bucket)
        if self._strict:
            key_segments(key)
        else:
            check_key(key)

    def _stored(self, bucket: str, key: str) -> _Stored:
        self._check(bucket, key)
        with self._lock:
            objects = self._buckets.get(bucket)
            if objects is None:
                raise ObjectNotFoundError(f"The bucket {bucket!r} does not exist.")
            found = objects.get(key)
        if found is None:
            raise ObjectNotFoundError(f"The object {key!r} does not exist in bucket {bucket!r}.")
        return found

    def get(self, bucket: str, key: str, *, byte_range: tuple[int, int] | None = None) -> bytes:
        data = self._stored(bucket, key).data
        if byte_range is None:
            return data
        return data[byte_range[0] : byte_range[1] + 1]

    def open(self, bucket: str, key: str) -> BinaryIO:
        return io.BytesIO(self._stored(bucket, key).data)

    def put(
        self, bucket: str, key: str, data: bytes | BinaryIO, *, content_type: str | None = None
    ) -> ObjectInfo:
        self._check(bucket, key)
        body = bytes(data) if isinstance(data, (bytes, bytearray)) else data.read()
        info = ObjectInfo(
            bucket=bucket,
            key=key,
            size=len(body),
            etag=hashlib.md5(body, usedforsecurity=False).hexdigest(),
            mtime=time.time(),
            content_type=content_type,
        )
        with self._lock:
            self._buckets.setdefault(bucket, {})[key] = _Stored(body, info)
        return info

    def head(self, bucket: str, key: str) -> ObjectInfo:
        return self._stored(bucket, key).info

    def probe(self, bucket: str, key: str, size: int = PROBE_BYTES) -> tuple[ObjectInfo, bytes]:
        stored = self._stored(bucket, key)
        return stored.info, stored.data[:size]

    def list(self, bucket: str, prefix: str = "", start_after: str = "") -> Iterator[ObjectInfo]:
        check_bucket(bucket)
        with self._lock:
            objects = self._buckets.get(bucket)
            if objects is None:
                raise ObjectNotFoundError(f"The bucket {bucket!r} does not exist.")
            infos = [s.info for k, s in objects.items() if k.startswith(prefix) and k > start_after]
        yield from sorted(infos, key=lambda i: i.key)

    def delete(self, bucket: str, key: str) -> None:
        self._check(bucket, key)
        with self._lock:
            self._buckets.get(bucket, {}).pop(key, None)

    def url(self, bucket: str, key: str) -> str:
        self._check(bucket, key)
        return f"memory://{bucket}/{quote(key)}"

    def ensure_bucket(self, bucket: str) -> None:
        check_bucket(bucket)
        with self._lock:
            self._buckets.setdefault(bucket, {})
