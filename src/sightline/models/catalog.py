"""What Sightline knows about models before anything is installed.

Two kinds of model exist before the user adds their own:

- **Built-ins** ship their weights inside PyPI packages (dlib with
  ``face_recognition_models``, RapidOCR, NudeNet, OpenCV's HOG people detector). They are
  never downloaded; their versions are the installed distributions' versions.
- **Catalog models** are downloaded on request with ``sightline models pull NAME``. Their
  facts (file name, URLs, SHA-256, size, licence) live in ``catalog.json`` next to this
  module, copied from the project's shared catalog; Sightline adds ``layout`` (the adapter
  that reads the model's tensors) and ``labels`` (a class-name set in ``data/``).

Nothing here touches the network or loads a runtime.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources
from typing import Any

from sightline.errors import ModelError, ResourceNotFoundError

# Tasks the adapters understand. User models may only be added for the first two.
TASKS = (
    "object-detection",
    "image-classification",
    "face-detection",
    "face-embedding",
    "face-expression",
    "person-detection",
    "license-plate-detection",
)


@dataclass(frozen=True)
class CatalogEntry:
    """One downloadable model: where to get it and how to check it."""

    name: str
    task: str
    file: str
    urls: tuple[str, ...]
    sha256: str
    size: int
    license: str
    runtime: str
    notes: str
    layout: str | None  # adapter that reads it; None: pullable, but nothing uses it yet
    labels: str | None  # a label set in data/ (e.g. "coco80"), or None

    @property
    def supported(self) -> bool:
        return self.layout is not None


@dataclass(frozen=True)
class BuiltinModel:
    """A model whose weights come with a PyPI package.

    ``packages`` lists, per component, the distribution names that can provide it (the
    first one installed wins), e.g. dlib is published as ``dlib`` and ``dlib-bin``.
    """

    name: str
    tasks: tuple[str, ...]
    packages: tuple[tuple[str, ...], ...]
    description: str

    def versions(self) -> dict[str, str]:
        """Distribution name -> installed version; a missing distribution is left out."""
        found: dict[str, str] = {}
        for alternatives in self.packages:
            for dist in alternatives:
                try:
                    found[dist] = metadata.version(dist)
                except metadata.PackageNotFoundError:
                    continue
                break
        return found

    @property
    def version(self) -> str:
        """One string for results and logs, e.g. ``dlib-bin 20.0.1+face_recognition_models 0.3.0``."""
        found = self.versions()
        return "+".join(f"{d} {v}" for d, v in found.items()) or "not installed"

    @property
    def installed(self) -> bool:
        return len(self.versions()) == len(self.packages)


BUILTINS: tuple[BuiltinModel, ...] = (
    BuiltinModel(
        name="dlib-face",
        tasks=("face-detection", "face-landmarks", "face-embedding"),
        packages=(("dlib-bin", "dlib"), ("face_recognition_models",)),
        description="dlib HOG face detector, 68/5-point landmarks, ResNet 128-d embeddings",
    ),
    BuiltinModel(
        name="rapidocr",
        tasks=("text-detection", "text-recognition"),
        packages=(("rapidocr-onnxruntime", "rapidocr"),),
        description="RapidOCR (PP-OCR detection, direction and recognition ONNX models)",
    ),
    BuiltinModel(
        name="nudenet",
        tasks=("moderation",),
        packages=(("nudenet",),),
        description="NudeNet 320n detector (exposure classes, face and gender cues)",
    ),
    BuiltinModel(
        name="opencv-hog",
        tasks=("person-detection",),
        packages=(("opencv-python-headless", "opencv-python", "opencv-contrib-python"),),
        description="OpenCV HOG + linear SVM people detector (Dalal-Triggs)",
    ),
)


def builtin(name: str) -> BuiltinModel | None:
    return next((b for b in BUILTINS if b.name == name), None)


@cache
def catalog() -> dict[str, CatalogEntry]:
    """The downloadable catalog, by model name, in the file's order."""
    text = resources.files("sightline.models").joinpath("catalog.json").read_text("utf-8")
    try:
        raw = json.loads(text)
        return {m["name"]: _entry(m) for m in raw["models"]}
    except (KeyError, TypeError, ValueError) as e:  # a packaging bug, not user input
        raise ModelError(f"The packaged model catalog (catalog.json) is malformed: {e}") from e


def catalog_entry(name: str) -> CatalogEntry:
    """The catalog entry ``name``; :class:`ResourceNotFoundError` names the choices."""
    entry = catalog().get(name)
    if entry is None:
        raise ResourceNotFoundError(
            f"No catalog model named {name!r}; the catalog has {', '.join(catalog())} "
            "(`sightline models list` shows them)."
        )
    return entry


def _entry(m: dict[str, Any]) -> CatalogEntry:
    return CatalogEntry(
        name=str(m["name"]),
        task=str(m["task"]),
        file=str(m["file"]),
        urls=tuple(str(u) for u in m["urls"]),
        sha256=str(m["sha256"]).lower(),
        size=int(m["size"]),
        license=str(m["license"]),
        runtime=str(m.get("runtime", "")),
        notes=str(m.get("notes", "")),
        layout=m.get("layout"),
        labels=m.get("labels"),
    )


@cache
def label_set(name: str) -> tuple[str, ...]:
    """A class-name set shipped in ``data/``: ``coco80``, ``imagenet1k``, ``fer7``.

    Each line is one class, in the model's output order. ImageNet lines hold the WordNet
    synonyms of the class separated by ", " (the first is the common name).
    """
    path = resources.files("sightline.models").joinpath(f"data/{name}.txt")
    if not path.is_file():
        raise ModelError(f"No shipped label set named {name!r}.")
    return tuple(line.strip() for line in path.read_text("utf-8").splitlines() if line.strip())
