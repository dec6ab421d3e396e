"""``sightline models add FILE``: install the user's own ONNX detector or classifier.

The file is checked before anything is copied: ONNX Runtime must load it, a blank image
must run through it, its real output must fit the chosen layout, and the class count
must match the labels (a labels file, or COCO-80 / ImageNet-1k when the count says so).
Then the file, its labels and the manifest are written into a hidden staging folder
that one rename turns into the model's folder, so a model is never half-added.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from sightline.config import Settings
from sightline.errors import InvalidParameterError, ModelError, ResourceAlreadyExistsError
from sightline.media.image import Image
from sightline.models.catalog import catalog, label_set
from sightline.models.files import atomic_copy, atomic_write_bytes, fsync_dir, remove_tree
from sightline.models.registry import (
    USER_LABELS,
    InstalledModel,
    Registry,
    check_name,
    now_iso,
    read_labels,
)

# task -> layouts a user model may declare (the first is the default)
USER_TASKS: dict[str, tuple[str, ...]] = {
    "object-detection": ("yolox", "yolov5", "yolov8"),
    "image-classification": ("imagenet",),
}
# class counts that imply a shipped label set when no labels file is given
_KNOWN_SETS = {("object-detection", 80): "coco80", ("image-classification", 1000): "imagenet1k"}
_DEFAULT_HW = {"object-detection": (640, 640), "image-classification": (224, 224)}


def default_name(file: Path) -> str:
    """A model name from a file name: ``My Detector.onnx`` -> ``my-detector``."""
    stem = re.sub(r"[^a-z0-9._-]+", "-", file.stem.lower()).strip("-._")
    return stem[:64] or "model"


def add_model(
    file: Path,
    task: str,
    settings: Settings,
    *,
    labels: Path | None = None,
    name: str | None = None,
    layout: str | None = None,
) -> InstalledModel:
    """Validate ``file`` as a ``task`` model and install it; return its record.

    Raises :class:`InvalidParameterError` naming what is wrong with the file, the task,
    the layout or the labels, and :class:`ResourceAlreadyExistsError` when the name is
    taken.
    """
    layouts = USER_TASKS.get(task)
    if layouts is None:
        raise InvalidParameterError(
            f"Cannot add a model for task {task!r}; choose from {', '.join(USER_TASKS)}."
        )
    layout = layout or layouts[0]
    if layout not in layouts:
        raise InvalidParameterError(
            f"Layout {layout!r} does not fit task {task}; choose from {', '.join(layouts)}."
        )
    name = check_name(name or default_name(file))
    if name in catalog():
        raise InvalidParameterError(
            f"{name!r} is a catalog model's name; choose another with --name."
        )
    registry = Registry.from_settings(settings)
    if registry.find(name) is not None:
        raise ResourceAlreadyExistsError(
            f"A model named {name!r} is already installed; remove it first with "
            f"`sightline models remove {name}` or choose another --name."
        )
    if not file.is_file():
        raise InvalidParameterError(f"No model file at {file}.")
    names = read_labels(labels) if labels is not None else None

    try:
        label_ref = _validate(file, task, layout, names, settings)
    except ModelError as e:
        raise InvalidParameterError(f"{file} is not a usable {task} model: {e}") from e
    return _install(registry, file, name, task, layout, names, label_ref)


def _validate(
    file: Path, task: str, layout: str, names: tuple[str, ...] | None, settings: Settings
) -> str:
    """Run the file as the adapter will; the manifest's ``labels`` value."""
    from sightline.models.adapters.classifier import ImageClassifier, validate_classifier
    from sightline.models.adapters.yolox import ObjectDetector, validate_detector
    from sightline.models.sessions import OrtSession, input_hw

    session = OrtSession(file, settings)
    hw = input_hw(session, _DEFAULT_HW[task])
    if task == "object-detection":
        classes = validate_detector(session, layout, hw)
    else:
        classes = validate_classifier(session, hw)

    if names is None:
        known = _KNOWN_SETS.get((task, classes))
        if known is None:
            raise InvalidParameterError(
                f"{file} scores {classes} classes; pass --labels FILE with their {classes} "
                "names, one per line, in output order."
            )
        names, label_ref = label_set(known), known
    else:
        if len(names) != classes:
            raise InvalidParameterError(
                f"{file} scores {classes} classes but the labels file has {len(names)} names."
            )
        label_ref = USER_LABELS

    # The whole adapter path, once, on a blank image: decode and geometry must run too.
    blank = Image.from_array(np.zeros((hw[0], hw[1], 3), np.uint8))
    if task == "object-detection":
        ObjectDetector(session, names, layout=layout, name=file.name).detect(blank)
    else:
        ImageClassifier(session, names, name=file.name).classify(blank)
    return label_ref


def _install(
    registry: Registry,
    file: Path,
    name: str,
    task: str,
    layout: str,
    names: tuple[str, ...] | None,
    label_ref: str,
) -> InstalledModel:
    final = registry.model_dir(name)
    staging = registry.root / f".adding-{name}-{os.getpid()}"
    registry.root.mkdir(parents=True, exist_ok=True)
    staging.mkdir()
    try:
        target = f"{name}.onnx"
        sha = atomic_copy(file, staging / target)
        if names is not None and label_ref == USER_LABELS:
            atomic_write_bytes(staging / USER_LABELS, ("\n".join(names) + "\n").encode())
        model = InstalledModel(
            name=name,
            task=task,
            file=target,
            sha256=sha,
            size=(staging / target).stat().st_size,
            source="user",
            labels=label_ref,
            license=None,
            installed_at=now_iso(),
            layout=layout,
            origin=str(file.resolve()),
            directory=staging,
        )
        registry.write_manifest(model)
        try:
            os.rename(staging, final)  # the commit: the folder appears whole
        except OSError as e:
            raise ResourceAlreadyExistsError(
                f"A model named {name!r} appeared while adding it; nothing was changed."
            ) from e
        fsync_dir(registry.root)
    except BaseException:
        remove_tree(staging)
        raise
    return replace(model, directory=final)
