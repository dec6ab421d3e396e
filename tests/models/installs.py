"""Install a tiny stand-in model under a catalog entry's name, as a pull would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sightline.config import Settings
from sightline.models.catalog import catalog_entry
from sightline.models.files import sha256_file
from sightline.models.registry import InstalledModel, Registry, now_iso


def install_as_catalog(
    settings: Settings, name: str, build: Callable[[Path], Path]
) -> InstalledModel:
    """``build(path)`` writes the stand-in model file; the manifest records its checksum."""
    entry = catalog_entry(name)
    registry = Registry.from_settings(settings)
    directory = registry.model_dir(entry.name)
    directory.mkdir(parents=True)
    path = build(directory / entry.file)
    model = InstalledModel(
        name=entry.name,
        task=entry.task,
        file=entry.file,
        sha256=sha256_file(path),
        size=path.stat().st_size,
        source="catalog",
        labels=entry.labels,
        license=entry.license,
        installed_at=now_iso(),
        layout=entry.layout,
        origin="test",
        directory=directory,
    )
    registry.write_manifest(model)
    return model
