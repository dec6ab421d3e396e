"""The registry: what is installed, lookups by name and task, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sightline.errors import (
    InvalidParameterError,
    ModelIntegrityError,
    ModelNotInstalledError,
)
from sightline.models.registry import InstalledModel, Registry, check_name, now_iso


def _install(registry: Registry, name: str, task: str, source: str = "user") -> InstalledModel:
    directory = registry.model_dir(name)
    directory.mkdir(parents=True)
    (directory / f"{name}.onnx").write_bytes(b"onnx")
    model = InstalledModel(
        name=name,
        task=task,
        file=f"{name}.onnx",
        sha256="0" * 64,
        size=4,
        source=source,
        labels=None,
        license=None,
        installed_at=now_iso(),
        layout="yolox",
        origin="/tmp/x.onnx",
        directory=directory,
    )
    registry.write_manifest(model)
    return model


def test_lookup_by_name_and_task(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    mine = _install(registry, "mine", "object-detection")
    cat = _install(registry, "yolox-s", "object-detection", source="catalog")
    _install(registry, "cls", "image-classification")
    (tmp_path / "half-pulled").mkdir()  # an interrupted pull: no manifest
    (tmp_path / "half-pulled" / "x.onnx.part").write_bytes(b"xx")
    assert [m.name for m in registry.installed()] == ["cls", "mine", "yolox-s"]
    assert registry.get("mine") == mine
    assert registry.for_task("object-detection") == [cat, mine]  # catalog models first
    assert registry.require_task("image-classification").name == "cls"
    assert registry.find("half-pulled") is None


def test_manifest_round_trips(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    model = _install(registry, "mine", "object-detection")
    data = json.loads((model.directory / "manifest.json").read_text())
    assert set(data) >= {"name", "task", "file", "sha256", "size", "source", "labels"}
    assert "directory" not in data


def test_missing_catalog_model_names_the_pull_command(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalledError, match="sightline models pull yolox-s"):
        Registry(tmp_path).get("yolox-s")
    with pytest.raises(ModelNotInstalledError, match="sightline models pull fer-mobilefacenet"):
        Registry(tmp_path).require_task("face-expression")


def test_missing_unknown_model_names_list_and_add(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalledError, match="sightline models add FILE"):
        Registry(tmp_path).get("my-own")


def test_changed_file_is_an_integrity_error(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    model = _install(registry, "mine", "object-detection")
    model.path.write_bytes(b"truncated?")
    with pytest.raises(ModelIntegrityError, match="10 bytes, its manifest says 4"):
        registry.get("mine")


def test_corrupt_manifest_is_reported_not_fatal_to_listing(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    _install(registry, "good", "object-detection")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "manifest.json").write_text("{not json")
    models, problems = registry.scan()
    assert [m.name for m in models] == ["good"]
    assert len(problems) == 1 and "bad/manifest.json" in problems[0]


def test_remove(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    _install(registry, "mine", "object-detection")
    assert registry.remove("mine").name == "mine"
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ModelNotInstalledError, match="nothing to remove"):
        registry.remove("mine")


@pytest.mark.parametrize(
    "name",
    [
        "",  # empty
        "../escape",  # path traversal
        "Upper",  # folder names are lower-case
        ".hidden",  # hidden folders are the registry's own
        "x" * 65,  # too long
    ],
)
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidParameterError, match="Invalid model name"):
        check_name(name)
