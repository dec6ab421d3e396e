"""The ObjectStore contract, run against every backend: local folders, memory, S3 (moto)."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sightline.config import S3Settings
from sightline.errors import InvalidKeyError, ObjectNotFoundError
from sightline.storage import LocalStore, MemoryStore, ObjectStore
from sightline.storage.s3 import S3Store


@pytest.fixture(params=["local", "memory", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[ObjectStore, str]]:
    bucket = f"b-{uuid.uuid4().hex[:12]}"
    if request.param == "local":
        s: ObjectStore = LocalStore(tmp_path / "storage")
    elif request.param == "memory":
        s = MemoryStore()
    else:
        s = S3Store(S3Settings(**request.getfixturevalue("s3_settings")))
    s.ensure_bucket(bucket)
    yield s, bucket


def test_put_get_head_roundtrip(store: tuple[ObjectStore, str]) -> None:
    s, bucket = store
    data = b"\xff\xd8\xff" + bytes(range(256)) * 10
    info = s.put(bucket, "labels/a b+c.jpg", data, content_type="image/jpeg")
    assert info.size == len(data)
    # The ETag is the content's MD5 on every backend, so equal bytes are one version.
    assert info.etag == hashlib.md5(data).hexdigest()
    assert s.get(bucket, "labels/a b+c.jpg") == data
    head = s.head(bucket, "labels/a b+c.jpg")
    assert (head.size, head.etag) == (len(data), info.etag)
    assert head.mtime > 0
    assert s.get(bucket, "labels/a b+c.jpg", byte_range=(1, 3)) == data[1:4]
    with s.open(bucket, "labels/a b+c.jpg") as fh:
        assert fh.read() == data


def test_put_from_stream_and_probe(store: tuple[ObjectStore, str]) -> None:
    s, bucket = store
    data = b"\x89PNG\r\n\x1a\n" + b"x" * 5000
    s.put(bucket, "p.png", io.BytesIO(data))
    info, head = s.probe(bucket, "p.png")
    assert head == data[:64]
    assert info.size == len(data)
    assert info.etag == hashlib.md5(data).hexdigest()
    # a file shorter than the probe returns what there is
    s.put(bucket, "tiny", b"abc")
    assert s.probe(bucket, "tiny")[1] == b"abc"


def test_overwrite_changes_etag(store: tuple[ObjectStore, str]) -> None:
    s, bucket = store
    first = s.put(bucket, "k", b"one")
    second = s.put(bucket, "k", b"two")
    assert first.etag != second.etag
    assert s.get(bucket, "k") == b"two"


def test_list_order_prefix_and_start_after(store: tuple[ObjectStore, str]) -> None:
    s, bucket = store
    keys = ["a/b", "a-c", "a0", "ab", "b/c/d", "b/e", "z"]
    for k in keys:
        s.put(bucket, k, k.encode())
    # S3 orders by UTF-8 bytes: '-' < '/' < '0' < 'b'
    assert [o.key for o in s.list(bucket)] == sorted(keys)
    assert [o.key for o in s.list(bucket, prefix="b/")] == ["b/c/d", "b/e"]
    assert [o.key for o in s.list(bucket, start_after="a0")] == ["ab", "b/c/d", "b/e", "z"]
    assert [o.key for o in s.list(bucket, start_after="b/c")] == ["b/c/d", "b/e", "z"]
    assert [o.key for o in s.list(bucket, prefix="b", start_after="b/c/d")] == ["b/e"]
    assert next(iter(s.list(bucket, prefix="a/"))).size == 3


def test_missing_objects_and_buckets(store: tuple[ObjectStore, str]) -> None:
    s, bucket = store
    with pytest.raises(ObjectNotFoundError, match=r"'nope\.jpg'"):
        s.get(bucket, "nope.jpg")
    with pytest.raises(ObjectNotFoundError):
        s.head(bucket, "nope.jpg")
    with pytest.raises(ObjectNotFoundError):
        s.probe(bucket, "nope.jpg")
    with pytest.raises(ObjectNotFoundError, match="bucket"):
        s.head("no-such-bucket-here", "k")
    s.delete(bucket, "nope.jpg")  # deleting nothing is fine


def test_delete(store: tuple[ObjectStore, str]) -> None:
    s, bucket = store
    s.put(bucket, "x/y/z.txt", b"1")
    s.delete(bucket, "x/y/z.txt")
    with pytest.raises(ObjectNotFoundError):
        s.get(bucket, "x/y/z.txt")
    assert list(s.list(bucket)) == []


def test_url_names_the_object(store: tuple[ObjectStore, str]) -> None:
    s, bucket = store
    s.put(bucket, "dir/file.jpg", b"1")
    url = s.url(bucket, "dir/file.jpg")
    assert bucket in url and "file.jpg" in url


@pytest.mark.parametrize(
    "key",
    [
        "",  # empty
        "a\x00b",  # NUL
        "x" * 1025,  # over S3's 1024-byte limit
    ],
)
def test_keys_every_store_refuses(store: tuple[ObjectStore, str], key: str) -> None:
    s, bucket = store
    with pytest.raises(InvalidKeyError):
        s.put(bucket, key, b"1")


@pytest.mark.parametrize("bucket", ["A", "ab", "bad/bucket", "..", "-ab"])
def test_invalid_bucket_names(store: tuple[ObjectStore, str], bucket: str) -> None:
    s, _ = store
    with pytest.raises(InvalidKeyError, match="bucket"):
        s.put(bucket, "k", b"1")
