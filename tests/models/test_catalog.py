"""The packaged catalog mirrors the shared facts; built-ins report installed versions."""

from __future__ import annotations

from importlib import metadata

import pytest

from sightline.errors import ResourceNotFoundError
from sightline.models.catalog import BUILTINS, builtin, catalog, catalog_entry, label_set


def test_catalog_entries_are_complete() -> None:
    entries = catalog()
    assert list(entries)[:5] == ["yunet", "sface", "yolox-s", "mobilenetv2", "fer-mobilefacenet"]
    for e in entries.values():
        assert len(e.sha256) == 64 and int(e.sha256, 16) >= 0
        assert e.size > 0 and e.urls and all(u.startswith("https://") for u in e.urls)
        assert e.license in {"MIT", "Apache-2.0"}
    assert catalog_entry("yolox-s").layout == "yolox"
    assert catalog_entry("yolox-s").size == 35858002
    assert not catalog_entry("lpd-yunet").supported  # pullable, nothing reads it yet


def test_unknown_entry_lists_the_catalog() -> None:
    with pytest.raises(ResourceNotFoundError, match="mobilenetv2"):
        catalog_entry("resnet-9000")


@pytest.mark.parametrize(
    ("name", "count", "first", "last"),
    [
        ("coco80", 80, "person", "toothbrush"),
        ("imagenet1k", 1000, "tench, Tinca tinca", "toilet tissue, toilet paper, bathroom tissue"),
        ("fer7", 7, "angry", "surprised"),
    ],
)
def test_label_sets(name: str, count: int, first: str, last: str) -> None:
    names = label_set(name)
    assert (len(names), names[0], names[-1]) == (count, first, last)


def test_builtins_report_installed_distribution_versions() -> None:
    assert [b.name for b in BUILTINS] == ["dlib-face", "rapidocr", "nudenet", "opencv-hog"]
    nudenet = builtin("nudenet")
    assert nudenet is not None and nudenet.installed
    assert nudenet.versions() == {"nudenet": metadata.version("nudenet")}
    dlib = builtin("dlib-face")
    assert dlib is not None and "face_recognition_models" in dlib.versions()
    assert metadata.version("face_recognition_models") in dlib.version
