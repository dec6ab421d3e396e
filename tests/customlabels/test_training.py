"""train(): validation of images and labels, the split, the fit and the evaluation."""

from __future__ import annotations

import pytest

from sightline.config import Settings
from sightline.customlabels.features import HandcraftedExtractor
from sightline.customlabels.manifest import (
    ERROR_INVALID_IMAGE,
    ERROR_MISSING_IMAGE,
    ERROR_TOO_FEW_IMAGES,
    ManifestEntry,
    classification_line,
)
from sightline.customlabels.model import CustomLabelModel
from sightline.customlabels.training import TESTING, TRAINING, train
from sightline.errors import InvalidS3ObjectError, InvalidTrainingDataError
from tests.customlabels import synthetic


class Images:
    """An in-memory image store keyed by source-ref."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def add(self, label: str | None, data: bytes) -> ManifestEntry:
        ref = f"s3://b/{label}/{len(self.data)}.jpg"
        self.data[ref] = data
        line = len(self.data)
        return ManifestEntry(line, ref, label, classification_line(ref, label))

    def read(self, ref: str) -> bytes:
        if ref not in self.data:
            raise InvalidS3ObjectError(f"no object {ref}")
        return self.data[ref]


def small(per_class: int, seed: int = 1) -> tuple[Images, list[ManifestEntry]]:
    images = Images()
    entries = [images.add(label, data) for label, data in synthetic.dataset(per_class, seed=seed)]
    return images, entries


def test_corrupt_image_and_lonely_label_are_reported_and_left_out(settings: Settings) -> None:
    images, entries = small(12)
    corrupt = images.add("dots", synthetic.dataset(1)[0][1][:300])  # a truncated JPEG
    lonely = images.add("triangle", synthetic.dataset(1)[0][1])
    missing = ManifestEntry(999, "s3://b/gone.jpg", "dots", {})
    unlabelled = images.add(None, synthetic.dataset(1)[0][1])
    stages: list[str] = []
    out = train(
        [*entries, corrupt, lonely, missing, unlabelled],
        None,
        images.read,
        HandcraftedExtractor(),
        settings,
        progress=lambda stage, done, total: stages.append(stage),
    )
    assert out.labels == ("checker", "dots", "stripes")
    assert out.entry_errors[(TRAINING, corrupt.line)].code == ERROR_INVALID_IMAGE
    assert "truncated" in out.entry_errors[(TRAINING, corrupt.line)].message.lower()
    assert out.entry_errors[(TRAINING, 999)].code == ERROR_MISSING_IMAGE
    (label_error,) = out.dataset_errors
    assert label_error.code == ERROR_TOO_FEW_IMAGES
    assert "'triangle' has 1 usable image; at least 4 are needed" in label_error.message
    stats = out.stats[TRAINING]
    assert (stats.total, stats.invalid, stats.ignored) == (40, 2, 1)
    assert stats.error_lines == (corrupt.line, 999)
    # 20 % of each 12-image label (2.4, rounded) is held out, stratified
    assert len(out.test_refs) == 6 and len(out.train_refs) == 30
    assert {"features", "evaluating", "exporting"} <= set(stages)
    assert out.evaluation.test_images == 6
    assert len(out.evaluation.confusion) == 3
    assert all(abs(sum(row) - 1.0) < 1e-9 for row in out.evaluation.confusion)

    # The exported model computes the same probabilities from the same bytes.
    model = CustomLabelModel(out.model, settings)
    found = model.detect(images.data[entries[0].source_ref], min_confidence=0)
    assert [c.name for c in found] == sorted(
        out.labels, key=lambda n: -next(c.confidence for c in found if c.name == n)
    )
    assert abs(sum(c.confidence for c in found) - 1.0) < 1e-4


def test_explicit_test_set(settings: Settings) -> None:
    images, train_entries = small(8, seed=2)
    _, test_entries = small(3, seed=3)
    for e in test_entries:
        images.data[e.source_ref] = _.data[e.source_ref]
    # the test set misses "stripes" entirely: that label cannot be evaluated
    test_entries = [e for e in test_entries if e.label != "stripes"]
    out = train(train_entries, test_entries, images.read, HandcraftedExtractor(), settings)
    assert out.labels == ("checker", "dots")
    assert not out.auto_test
    assert all(side == TESTING for side, _ in out.test_refs)
    assert len(out.test_refs) == 6 and len(out.train_refs) == 16
    assert "'stripes' has no usable test images" in out.dataset_errors[0].message


def test_too_few_labels_stops_with_the_reason(settings: Settings) -> None:
    images, entries = small(6)
    only_two = [e for e in entries if e.label == "dots"] + [entries[0]]
    with pytest.raises(InvalidTrainingDataError) as info:
        train(only_two, None, images.read, HandcraftedExtractor(), settings)
    assert "at least 2 labels" in str(info.value)
    assert "'checker' has 1 usable image" in str(info.value)


def test_too_many_unreadable_images_stops(settings: Settings) -> None:
    images, entries = small(4)
    for e in entries[:5]:
        images.data[e.source_ref] = b"not an image at all"
    with pytest.raises(
        InvalidTrainingDataError, match=r"5 of 12 labelled images could not be used"
    ):
        train(entries, None, images.read, HandcraftedExtractor(), settings)
