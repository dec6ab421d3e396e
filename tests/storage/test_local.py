"""LocalStore: keys never escape the bucket folder; writes are atomic."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from sightline.config import Settings
from sightline.errors import InvalidKeyError, ObjectNotFoundError
from sightline.storage import LocalStore, open_store
from sightline.storage.local import PART_SUFFIX


@pytest.fixture
def local(tmp_path: Path) -> LocalStore:
    s = LocalStore(tmp_path / "storage")
    s.ensure_bucket("content")
    return s


@pytest.mark.parametrize(
    "key",
    [
        "../escape.jpg",  # parent segment
        "a/../../escape.jpg",  # parent segment deeper in
        "a/./b.jpg",  # '.' segment
        "/etc/passwd",  # absolute
        "\\windows\\file",  # absolute, Windows style
        "C:\\file.jpg",  # drive letter
        "a//b.jpg",  # empty segment
        "folder/",  # a folder, not an object
        "a/b\x00.jpg",  # NUL
        "x.jpg" + PART_SUFFIX,  # reserved for partial writes
        "y" * 256,  # segment too long for a file name
    ],
)
def test_unsafe_keys_raise(local: LocalStore, key: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidKeyError):
        local.put("content", key, b"1")
    with pytest.raises(InvalidKeyError):
        local.get("content", key)
    assert not (tmp_path / "escape.jpg").exists()
    assert not (tmp_path / "storage" / "escape.jpg").exists()


def test_symlink_out_of_the_store_is_refused(local: LocalStore, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    os.symlink(secret, local.path("content", "link.txt"))
    with pytest.raises(InvalidKeyError, match="outside the store"):
        local.get("content", "link.txt")
    assert [o.key for o in local.list("content")] == []


def test_buckets_are_folders(local: LocalStore, tmp_path: Path) -> None:
    local.put("content", "labels/a.jpg", b"abc")
    assert (tmp_path / "storage" / "content" / "labels" / "a.jpg").read_bytes() == b"abc"
    assert local.key_of("content", tmp_path / "storage" / "content" / "labels" / "a.jpg") == (
        "labels/a.jpg"
    )
    assert local.key_of("content", tmp_path / "elsewhere.jpg") is None


def test_partial_writes_are_invisible(local: LocalStore, tmp_path: Path) -> None:
    folder = tmp_path / "storage" / "content"
    (folder / f".abc{PART_SUFFIX}").write_bytes(b"half")
    assert list(local.list("content")) == []

    class Failing:
        def __init__(self) -> None:
            self.calls = 0

        def read(self, n: int = -1) -> bytes:
            self.calls += 1
            if self.calls > 1:
                raise OSError("disk unplugged")
            return b"x" * 10

    local.put("content", "k.jpg", b"old")
    with pytest.raises(Exception, match="disk unplugged"):
        local.put("content", "k.jpg", Failing())  # type: ignore[arg-type]
    # the old object is intact and no temporary file is left behind
    assert local.get("content", "k.jpg") == b"old"
    assert sorted(p.name for p in folder.iterdir()) == [f".abc{PART_SUFFIX}", "k.jpg"]


def test_concurrent_writers_never_expose_a_mix(local: LocalStore) -> None:
    blobs = [bytes([i]) * 200_000 for i in range(4)]
    errors: list[BaseException] = []

    def write(blob: bytes) -> None:
        try:
            for _ in range(10):
                local.put("content", "shared.bin", blob)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(b,)) for b in blobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert local.get("content", "shared.bin") in blobs


def test_delete_prunes_empty_folders(local: LocalStore, tmp_path: Path) -> None:
    local.put("content", "a/b/c.jpg", b"1")
    local.put("content", "a/keep.jpg", b"1")
    local.delete("content", "a/b/c.jpg")
    assert not (tmp_path / "storage" / "content" / "a" / "b").exists()
    assert (tmp_path / "storage" / "content" / "a" / "keep.jpg").exists()


def test_etag_follows_content_not_time(local: LocalStore) -> None:
    first = local.put("content", "same.jpg", b"identical")
    again = local.put("content", "same.jpg", b"identical")
    assert first.etag == again.etag
    assert local.head("content", "same.jpg").etag == first.etag


def test_file_where_a_folder_is_needed(local: LocalStore) -> None:
    local.put("content", "a", b"1")
    with pytest.raises(InvalidKeyError, match="folder"):
        local.put("content", "a/b", b"1")
    with pytest.raises(ObjectNotFoundError):
        local.get("content", "a/b")


def test_open_store_uses_data_dir(tmp_path: Path) -> None:
    store = open_store(Settings(data_dir=tmp_path / "d"))
    assert isinstance(store, LocalStore)
    assert store.root == (tmp_path / "d" / "storage").absolute()
