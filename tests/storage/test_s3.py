"""S3Store specifics against moto's S3 server: multipart, path-style, presigned URLs."""

from __future__ import annotations

import io
import uuid

import httpx

from sightline.config import S3Settings, Settings
from sightline.storage import open_store
from sightline.storage.s3 import S3Store


def test_large_stream_goes_multipart(s3_settings: dict[str, object]) -> None:
    store = S3Store(S3Settings(**s3_settings))
    bucket = f"mp-{uuid.uuid4().hex[:10]}"
    store.ensure_bucket(bucket)
    store.ensure_bucket(bucket)  # idempotent
    data = bytes(range(256)) * (11 * 1024 * 1024 // 256)  # 11 MiB: three 5 MiB parts
    info = store.put(bucket, "big.bin", io.BytesIO(data))
    assert info.size == len(data)
    # A multipart ETag is "<md5 of part md5s>-<parts>", which says the upload was split.
    assert info.etag is not None and info.etag.endswith("-3")
    assert store.get(bucket, "big.bin", byte_range=(len(data) - 4, len(data) - 1)) == data[-4:]


def test_presigned_url_serves_the_object(s3_settings: dict[str, object]) -> None:
    store = S3Store(S3Settings(**s3_settings))
    bucket = f"url-{uuid.uuid4().hex[:10]}"
    store.ensure_bucket(bucket)
    store.put(bucket, "faces/a b.jpg", b"hello")
    url = store.url(bucket, "faces/a b.jpg")
    # path-style: the bucket is the first path segment, not a host name
    assert url.startswith(f"{s3_settings['endpoint_url']}/{bucket}/")
    assert httpx.get(url).content == b"hello"


def test_open_store_builds_s3(s3_settings: dict[str, object]) -> None:
    settings = Settings(storage={"backend": "s3", "s3": s3_settings})
    store = open_store(settings)
    assert isinstance(store, S3Store)
    bucket = f"os-{uuid.uuid4().hex[:10]}"
    store.ensure_bucket(bucket)
    store.put(bucket, "k", b"v")
    assert [o.key for o in store.list(bucket)] == ["k"]
