"""``pull``: verified, resumable, atomic installs from a local mirror."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from sightline.config import Settings
from sightline.errors import ModelDownloadError, ModelIntegrityError, ResourceNotFoundError
from sightline.models import catalog as catalog_module
from sightline.models.catalog import CatalogEntry
from sightline.models.pull import partial_path, pull
from sightline.models.registry import Registry
from tests.models.mirror import Mirror, serve

PAYLOAD = os.urandom(300_000)  # a few chunks: enough to cut one mid-file


def _entry(payload: bytes, **changes: object) -> CatalogEntry:
    entry = CatalogEntry(
        name="tiny-detector",
        task="object-detection",
        file="tiny.onnx",
        urls=("http://127.0.0.1:9/unused.onnx",),
        sha256=hashlib.sha256(payload).hexdigest(),
        size=len(payload),
        license="MIT",
        runtime="onnxruntime",
        notes="",
        layout="yolox",
        labels="coco80",
    )
    return replace(entry, **changes)  # type: ignore[arg-type]


@pytest.fixture
def entry(monkeypatch: pytest.MonkeyPatch) -> Iterator[CatalogEntry]:
    """The catalog, with one test entry whose checksum matches PAYLOAD."""
    made = _entry(PAYLOAD)
    entries = {**catalog_module.catalog(), made.name: made}
    monkeypatch.setattr(catalog_module, "catalog", lambda: entries)
    yield made


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    with serve(Mirror(files={"tiny.onnx": PAYLOAD, "other.onnx": b"x" * len(PAYLOAD)})) as m:
        yield m


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def test_good_checksum_installs(settings: Settings, entry: CatalogEntry, mirror: Mirror) -> None:
    model = pull(entry.name, settings, [mirror.url("tiny.onnx")])
    assert model.path.read_bytes() == PAYLOAD
    assert (model.sha256, model.size, model.source) == (entry.sha256, entry.size, "catalog")
    assert model.origin == mirror.url("tiny.onnx")
    root = settings.models.resolved_dir()
    assert _files(root) == [
        "tiny-detector",
        "tiny-detector/manifest.json",
        "tiny-detector/tiny.onnx",
    ]
    found = Registry(root).get(entry.name)
    assert found == model
    assert found.label_names()[0] == "person"
    # Pulling again finds it intact and downloads nothing.
    before = len(mirror.requests)
    assert pull(entry.name, settings, [mirror.url("tiny.onnx")]).installed_at == model.installed_at
    assert len(mirror.requests) == before


def test_wrong_checksum_refuses_and_leaves_nothing(
    settings: Settings, entry: CatalogEntry, mirror: Mirror
) -> None:
    with pytest.raises(ModelIntegrityError, match="SHA-256") as err:
        pull(entry.name, settings, [mirror.url("other.onnx")])
    assert "Nothing was installed" in str(err.value)
    assert _files(settings.models.resolved_dir()) == []  # not even the partial file
    assert Registry.from_settings(settings).find(entry.name) is None


def test_wrong_size_is_refused_before_downloading_the_body(
    settings: Settings, entry: CatalogEntry, mirror: Mirror
) -> None:
    mirror.files["short.onnx"] = PAYLOAD[:1000]
    with pytest.raises(ModelIntegrityError, match="1000 bytes"):
        pull(entry.name, settings, [mirror.url("short.onnx")])
    assert _files(settings.models.resolved_dir()) == []


def test_interrupted_download_resumes_with_range(
    settings: Settings, entry: CatalogEntry, mirror: Mirror
) -> None:
    mirror.cut_first["tiny.onnx"] = 100_000
    model = pull(entry.name, settings, [mirror.url("tiny.onnx")])
    assert model.path.read_bytes() == PAYLOAD
    ranges = [r for p, r in mirror.requests if p == "tiny.onnx"]
    assert ranges[0] is None
    assert len(ranges) == 2 and ranges[1] is not None
    resumed_from = int(ranges[1].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_from <= 100_000  # only the missing tail was asked for again


def test_partial_from_an_earlier_run_is_resumed(
    settings: Settings, entry: CatalogEntry, mirror: Mirror
) -> None:
    part = partial_path(Registry.from_settings(settings), entry)
    part.parent.mkdir(parents=True)
    part.write_bytes(PAYLOAD[:123_456])
    model = pull(entry.name, settings, [mirror.url("tiny.onnx")])
    assert model.path.read_bytes() == PAYLOAD
    assert mirror.requests == [("tiny.onnx", "bytes=123456-")]
    assert not part.exists()


def test_stale_partial_of_another_file_is_discarded_and_fetched_again(
    settings: Settings, entry: CatalogEntry, mirror: Mirror
) -> None:
    part = partial_path(Registry.from_settings(settings), entry)
    part.parent.mkdir(parents=True)
    part.write_bytes(b"\0" * 5000)  # not a prefix of PAYLOAD
    model = pull(entry.name, settings, [mirror.url("tiny.onnx")])
    assert model.path.read_bytes() == PAYLOAD
    assert mirror.requests == [("tiny.onnx", "bytes=5000-"), ("tiny.onnx", None)]


def test_server_ignoring_range_restarts_from_zero(
    settings: Settings, entry: CatalogEntry, mirror: Mirror
) -> None:
    mirror.ignore_range = True
    mirror.cut_first["tiny.onnx"] = 50_000
    model = pull(entry.name, settings, [mirror.url("tiny.onnx")])
    assert model.path.read_bytes() == PAYLOAD


def test_each_url_is_tried_in_turn(settings: Settings, entry: CatalogEntry, mirror: Mirror) -> None:
    urls = [mirror.url("missing.onnx"), mirror.url("other.onnx"), mirror.url("tiny.onnx")]
    model = pull(entry.name, settings, urls)
    assert model.origin == urls[2]
    assert [p for p, _ in mirror.requests] == ["missing.onnx", "other.onnx", "tiny.onnx"]


def test_network_failure_keeps_the_partial_for_the_next_run(
    settings: Settings, entry: CatalogEntry, mirror: Mirror
) -> None:
    flaky = Mirror(files={"tiny.onnx": PAYLOAD}, cut_first={"tiny.onnx": 100_000})
    flaky.gone_after_cut = True  # the link drops, then the mirror loses the file
    with serve(flaky), pytest.raises(ModelDownloadError, match="100000 of 300000 bytes"):
        pull(entry.name, settings, [flaky.url("tiny.onnx")])
    part = partial_path(Registry.from_settings(settings), entry)
    assert part.stat().st_size == 100_000
    assert Registry.from_settings(settings).find(entry.name) is None  # not installed
    # The next run resumes from the kept bytes.
    assert pull(entry.name, settings, [mirror.url("tiny.onnx")]).path.read_bytes() == PAYLOAD
    assert mirror.requests == [("tiny.onnx", "bytes=100000-")]


def test_unknown_name_names_the_catalog(settings: Settings) -> None:
    with pytest.raises(ResourceNotFoundError, match="yolox-s"):
        pull("no-such-model", settings)


def test_wrong_checksum_after_an_earlier_partial_leaves_nothing(
    settings: Settings, entry: CatalogEntry, mirror: Mirror
) -> None:
    part = partial_path(Registry.from_settings(settings), entry)
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 1000)  # a prefix of other.onnx: resumes, then fails the hash
    with pytest.raises(ModelIntegrityError):
        pull(entry.name, settings, [mirror.url("other.onnx")])
    assert _files(settings.models.resolved_dir()) == []
    # Resumed once, then fetched afresh once (the kept bytes may be stale), then refused.
    assert mirror.requests == [("other.onnx", "bytes=1000-"), ("other.onnx", None)]
