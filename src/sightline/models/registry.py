"""The installed models: one folder per model under ``settings.models.resolved_dir()``.

::

    <model_dir>/
      yolox-s/
        object_detection_yolox_2022nov.onnx
        manifest.json        name, task, file, sha256, size, source, labels, license, ...
      my-detector/
        my-detector.onnx
        labels.txt           the user's class names, one per line
        manifest.json

The manifest is written last (atomically), so a folder without one -- an interrupted
pull holding only a ``.part`` file -- is not an installed model. Looking a model up never
downloads anything: a missing model raises :class:`ModelNotInstalledError` naming the
command that installs it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sightline.config import Settings
from sightline.errors import (
    InvalidParameterError,
    ModelError,
    ModelIntegrityError,
    ModelNotInstalledError,
)
from sightline.models.catalog import catalog, label_set
from sightline.models.files import atomic_write_bytes, remove_tree

MANIFEST = "manifest.json"
USER_LABELS = "labels.txt"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class InstalledModel:
    """One installed model, as its manifest describes it.

    ``labels`` names a label set shipped with Sightline (``coco80``, ``imagenet1k``,
    ``fer7``) or, ending in ``.txt``, a file in the model's folder. ``source`` is
    ``catalog`` or ``user``; ``origin`` is the URL it came from or the user's file path.
    """

    name: str
    task: str
    file: str
    sha256: str
    size: int
    source: str
    labels: str | None
    license: str | None
    installed_at: str
    layout: str | None
    origin: str
    directory: Path

    @property
    def path(self) -> Path:
        """The model file."""
        return self.directory / self.file

    def label_names(self) -> tuple[str, ...]:
        """Class names in the model's output order (empty when the model has none)."""
        if self.labels is None:
            return ()
        if self.labels.endswith(".txt"):
            return read_labels(self.directory / self.labels)
        return label_set(self.labels)

    def manifest(self) -> dict[str, Any]:
        data = asdict(self)
        del data["directory"]
        return data


def read_labels(path: Path) -> tuple[str, ...]:
    """Class names from a text file, one per line; blank lines and ``#`` comments skipped."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidParameterError(f"Cannot read the labels file {path}: {e}") from e
    names = tuple(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )
    if not names:
        raise InvalidParameterError(f"The labels file {path} holds no class names.")
    return names


def check_name(name: str) -> str:
    """A model name is a folder name: lower-case letters, digits, ``.``, ``_``, ``-``."""
    if not _NAME.match(name):
        raise InvalidParameterError(
            f"Invalid model name {name!r}: use 1-64 lower-case letters, digits, '.', '_' "
            "or '-', starting with a letter or digit."
        )
    return name


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Registry:
    """Reads and changes the model folder. Cheap to create; holds no open files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_settings(cls, settings: Settings) -> Registry:
        return cls(settings.models.resolved_dir())

    def model_dir(self, name: str) -> Path:
        return self.root / check_name(name)

    # --- reading ---------------------------------------------------------------------

    def scan(self) -> tuple[list[InstalledModel], list[str]]:
        """Installed models sorted by name, and one message per unreadable manifest."""
        models: list[InstalledModel] = []
        problems: list[str] = []
        if not self.root.is_dir():
            return models, problems
        for folder in sorted(self.root.iterdir()):
            if folder.name.startswith(".") or not (folder / MANIFEST).is_file():
                continue
            try:
                models.append(self._read(folder))
            except ModelError as e:
                problems.append(str(e))
        return models, problems

    def installed(self) -> list[InstalledModel]:
        return self.scan()[0]

    def find(self, name: str) -> InstalledModel | None:
        """The installed model ``name``, or None. A corrupt manifest raises ModelError."""
        folder = self.root / name
        if not _NAME.match(name) or not (folder / MANIFEST).is_file():
            return None
        return self._read(folder)

    def get(self, name: str) -> InstalledModel:
        """The installed model ``name``, its file checked to exist with its recorded size.

        Raises :class:`ModelNotInstalledError` naming the command that would install it.
        """
        model = self.find(name)
        if model is None:
            raise ModelNotInstalledError(_not_installed(name, self.root))
        self._check_file(model)
        return model

    def for_task(self, task: str) -> list[InstalledModel]:
        """Installed models for ``task`` (e.g. ``object-detection``), catalog ones first."""
        found = [m for m in self.installed() if m.task == task]
        return sorted(found, key=lambda m: (m.source != "catalog", m.name))

    def require_task(self, task: str) -> InstalledModel:
        """The first installed model for ``task``, or :class:`ModelNotInstalledError`."""
        found = self.for_task(task)
        if not found:
            pullable = [e.name for e in catalog().values() if e.task == task]
            how = (
                f"pull one with `sightline models pull {pullable[0]}`"
                if pullable
                else f"add one with `sightline models add FILE --task {task}`"
            )
            raise ModelNotInstalledError(
                f"No {task} model is installed in {self.root}; {how}.", task=task
            )
        self._check_file(found[0])
        return found[0]

    # --- changing --------------------------------------------------------------------

    def write_manifest(self, model: InstalledModel) -> None:
        """Commit an install: the model counts as installed once this returns."""
        data = json.dumps(model.manifest(), indent=2, sort_keys=True).encode() + b"\n"
        atomic_write_bytes(model.directory / MANIFEST, data)

    def remove(self, name: str) -> InstalledModel:
        """Uninstall ``name`` (its whole folder); returns what was removed."""
        model = self.find(name)
        if model is None:
            raise ModelNotInstalledError(
                f"Model {name!r} is not installed in {self.root}; nothing to remove."
            )
        remove_tree(model.directory)
        return model

    # --- internals -------------------------------------------------------------------

    def _read(self, folder: Path) -> InstalledModel:
        path = folder / MANIFEST
        try:
            data = json.loads(path.read_text("utf-8"))
            fields = {k: data[k] for k in InstalledModel.__dataclass_fields__ if k != "directory"}
            model = InstalledModel(**fields, directory=folder)
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ModelError(f"Unreadable model manifest {path}: {e!r}") from e
        if model.name != folder.name:
            raise ModelError(f"Model manifest {path} names {model.name!r}, not its folder.")
        return model

    @staticmethod
    def _check_file(model: InstalledModel) -> None:
        try:
            size = model.path.stat().st_size
        except OSError as e:
            raise ModelIntegrityError(
                f"Model {model.name!r}: its file {model.path} is missing; "
                f"remove and install it again."
            ) from e
        if size != model.size:
            raise ModelIntegrityError(
                f"Model {model.name!r}: {model.path} has {size} bytes, its manifest says "
                f"{model.size}; remove and install it again."
            )


def _not_installed(name: str, root: Path) -> str:
    if name in catalog():
        return (
            f"Model {name!r} is not installed in {root}; "
            f"install it with `sightline models pull {name}`."
        )
    return (
        f"Model {name!r} is not installed in {root} and is not in the catalog; "
        "`sightline models list` shows the catalog, and "
        "`sightline models add FILE --task TASK --name NAME` installs your own ONNX model."
    )
