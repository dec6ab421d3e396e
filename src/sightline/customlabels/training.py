"""Train one version: read and validate images, extract features, split, fit, evaluate.

The steps, each reported through ``progress``:

1. every labelled entry's image is read and decoded; one that cannot be read or decoded
   becomes an entry error (``ERROR_INVALID_SOURCE_REF`` / ``ERROR_INVALID_IMAGE``, with
   the reason) and is left out;
2. labels with too few usable images are left out, each with a dataset error naming the
   label and its counts (``min_label_images`` in total when the test set is automatic;
   at least :data:`~sightline.customlabels.classifier.FOLDS` training and one test image
   when it is explicit);
3. training stops with :class:`InvalidTrainingDataError` and a precise reason when fewer
   than two labels remain or when more than ``max_error_fraction`` of the labelled
   entries were unusable;
4. the automatic test set, if any, is split off the usable entries (stratified, seeded);
5. the classifier is fitted (:mod:`~sightline.customlabels.classifier`), evaluated on
   the test set (:mod:`~sightline.customlabels.evaluation`) and exported to ONNX.

Unlabelled entries are ignored (counted, never trained on).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sightline.config import Settings
from sightline.customlabels.classifier import FOLDS, fit_classifier, to_onnx
from sightline.customlabels.evaluation import Evaluation, evaluate
from sightline.customlabels.extractors import FeatureExtractor
from sightline.customlabels.features import custom_label_limits, decode_for_features
from sightline.customlabels.manifest import (
    ERROR_INVALID_IMAGE,
    ERROR_MISSING_IMAGE,
    ERROR_TOO_FEW_IMAGES,
    EntryError,
    ManifestEntry,
)
from sightline.customlabels.split import stratified_split
from sightline.errors import (
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidImageFormatError,
    InvalidS3ObjectError,
    InvalidTrainingDataError,
)

TRAINING, TESTING = "training", "testing"
# Threads reading and decoding images: storage reads wait on I/O, and OpenCV and
# libjpeg release the GIL while they work.
READ_THREADS = 4

Reader = Callable[[str], bytes]
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class SideStats:
    """One manifest's validation statistics (the manifest summary's vocabulary)."""

    total: int = 0
    valid: int = 0
    invalid: int = 0
    ignored: int = 0  # unlabelled lines
    error_lines: tuple[int, ...] = ()


@dataclass
class TrainingOutcome:
    """Everything a finished training produced."""

    model: bytes
    extractor_id: str
    classifier: str
    labels: tuple[str, ...]
    thresholds: tuple[float, ...]
    scores: dict[str, dict[str, float]]
    evaluation: Evaluation
    train_refs: list[tuple[str, int]]  # (side, line) of each entry trained on
    test_refs: list[tuple[str, int]]
    auto_test: bool
    entry_errors: dict[tuple[str, int], EntryError] = field(default_factory=dict)
    dataset_errors: list[EntryError] = field(default_factory=list)
    stats: dict[str, SideStats] = field(default_factory=dict)
    seconds: float = 0.0


def train(
    training: Sequence[ManifestEntry],
    testing: Sequence[ManifestEntry] | None,
    read: Reader,
    extractor: FeatureExtractor,
    settings: Settings,
    *,
    progress: Progress | None = None,
) -> TrainingOutcome:
    """Train on ``training``; evaluate on ``testing``, or on a split of ``training`` when
    it is None. Entries that already carry an error are skipped (and counted).

    Raises:
        InvalidTrainingDataError: the data cannot train a model; the message says why.
    """
    started = time.monotonic()
    cfg = settings.customlabels
    auto = testing is None
    sides = [(TRAINING, list(training))] + ([] if auto else [(TESTING, list(testing or []))])
    entry_errors: dict[tuple[str, int], EntryError] = {}
    labelled: list[tuple[str, ManifestEntry]] = []
    for side, entries in sides:
        for e in entries:
            if e.error is not None:
                entry_errors[(side, e.line)] = e.error
            elif e.label is not None:
                labelled.append((side, e))

    features, failures = _extract(labelled, read, extractor, settings, progress)
    entry_errors.update(failures)
    usable = [(side, e) for side, e in labelled if (side, e.line) not in failures]
    stats = {side: _stats(side, entries, entry_errors) for side, entries in sides}
    unusable = len(labelled) - len(usable)
    if labelled and unusable / len(labelled) > cfg.max_error_fraction:
        raise InvalidTrainingDataError(
            f"{unusable} of {len(labelled)} labelled images could not be used (first: "
            f"{_first(failures)}); training stops above {cfg.max_error_fraction:.0%}."
        )

    kept, dataset_errors = _usable_labels(usable, auto, cfg.min_label_images)
    usable = [(side, e) for side, e in usable if e.label in kept]
    if len(kept) < 2:
        reasons = "; ".join(err.message for err in dataset_errors) or "no labelled images"
        raise InvalidTrainingDataError(
            f"Training needs at least 2 labels with enough usable images; "
            f"{len(kept)} remain ({reasons})."
        )
    if auto:
        keyed = [((side, e.line), e.label or "") for side, e in usable]
        train_keys, test_keys = stratified_split(keyed, cfg.test_fraction, cfg.split_seed)
    else:
        train_keys = [(s, e.line) for s, e in usable if s == TRAINING]
        test_keys = [(s, e.line) for s, e in usable if s == TESTING]
    label_of = {(side, e.line): e.label or "" for side, e in usable}

    x_train = np.stack([features[k] for k in train_keys])
    y_train = [label_of[k] for k in train_keys]
    if progress:
        progress("fitting", 0, len(cfg.classifiers))
    done = 0

    def fitting(message: str) -> None:
        nonlocal done
        if progress:
            progress(message, done, len(cfg.classifiers))
        done += 1

    fitted = fit_classifier(
        x_train, y_train, cfg.classifiers, seed=cfg.split_seed, progress=fitting
    )
    if progress:
        progress("evaluating", 0, len(test_keys))
    x_test = np.stack([features[k] for k in test_keys])
    evaluation = evaluate(
        fitted.predict_proba(x_test),
        [label_of[k] for k in test_keys],
        fitted.labels,
        fitted.thresholds,
        training_images=len(train_keys),
    )
    if progress:
        progress("exporting", 0, 1)
    model = to_onnx(fitted, x_train, extractor.id)
    return TrainingOutcome(
        model=model,
        extractor_id=extractor.id,
        classifier=fitted.name,
        labels=fitted.labels,
        thresholds=fitted.thresholds,
        scores=fitted.scores,
        evaluation=evaluation,
        train_refs=train_keys,
        test_refs=test_keys,
        auto_test=auto,
        entry_errors=entry_errors,
        dataset_errors=dataset_errors,
        stats=stats,
        seconds=time.monotonic() - started,
    )


def _extract(
    labelled: list[tuple[str, ManifestEntry]],
    read: Reader,
    extractor: FeatureExtractor,
    settings: Settings,
    progress: Progress | None,
) -> tuple[dict[tuple[str, int], NDArray[np.float32]], dict[tuple[str, int], EntryError]]:
    limits = custom_label_limits(settings)
    features: dict[tuple[str, int], NDArray[np.float32]] = {}
    failures: dict[tuple[str, int], EntryError] = {}

    def one(item: tuple[str, ManifestEntry]) -> NDArray[np.float32] | EntryError:
        _, entry = item
        try:
            data = read(entry.source_ref)
        except InvalidS3ObjectError as e:
            return EntryError(ERROR_MISSING_IMAGE, f"line {entry.line}: {entry.source_ref}: {e}")
        try:
            pixels = decode_for_features(data, limits)
        except (InvalidImageFormatError, ImageTooLargeError, ImageTooSmallError) as e:
            return EntryError(ERROR_INVALID_IMAGE, f"line {entry.line}: {entry.source_ref}: {e}")
        return extractor.extract(pixels)

    total = len(labelled)
    if progress:
        progress("features", 0, total)
    with ThreadPoolExecutor(READ_THREADS) as pool:
        for n, (item, got) in enumerate(zip(labelled, pool.map(one, labelled), strict=True), 1):
            key = (item[0], item[1].line)
            if isinstance(got, EntryError):
                failures[key] = got
            else:
                features[key] = got
            if progress:
                progress("features", n, total)
    return features, failures


def _usable_labels(
    usable: list[tuple[str, ManifestEntry]], auto: bool, minimum: int
) -> tuple[set[str], list[EntryError]]:
    counts: dict[str, Counter[str]] = {}
    for side, e in usable:
        counts.setdefault(e.label or "", Counter())[side] += 1
    kept: set[str] = set()
    errors: list[EntryError] = []
    for label, c in sorted(counts.items()):
        n_train, n_test = c[TRAINING], c[TESTING]
        total = n_train + n_test
        if total < minimum:
            why = f"{total} usable image{'s' if total != 1 else ''}; at least {minimum} are needed"
        elif not auto and n_train < FOLDS:
            why = f"{n_train} usable training images; at least {FOLDS} are needed"
        elif not auto and n_test < 1:
            why = "no usable test images; the explicit test set must hold every label"
        else:
            kept.add(label)
            continue
        errors.append(
            EntryError(ERROR_TOO_FEW_IMAGES, f"label {label!r} has {why}; it is left out.")
        )
    return kept, errors


def _stats(
    side: str, entries: list[ManifestEntry], errors: dict[tuple[str, int], EntryError]
) -> SideStats:
    bad = sorted(e.line for e in entries if (side, e.line) in errors)
    ignored = sum(1 for e in entries if e.label is None and e.error is None)
    return SideStats(
        total=len(entries),
        valid=len(entries) - len(bad) - ignored,
        invalid=len(bad),
        ignored=ignored,
        error_lines=tuple(bad),
    )


def _first(failures: dict[Any, EntryError]) -> str:
    return next(iter(failures.values())).message if failures else "none"
