"""Evaluate a trained version on its test set, and write Rekognition's summary file.

Per label (one against the rest), an image counts as predicted with the label when the
label's confidence reaches the label's *assumed threshold* (chosen on the training set's
out-of-fold scores, see :mod:`sightline.customlabels.classifier`): precision, recall and
F1 follow. Overall precision, recall and F1 are the means over labels, as Rekognition
reports them. The confusion matrix counts each test image once, under its most likely
label, and each row is a fraction of that label's test images.

The summary file has the layout of Rekognition Custom Labels' training results summary
(``Version``, ``AggregatedEvaluationResults``, ``EvaluationDetails``,
``LabelEvaluationResults``), so tools written for it read ours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class LabelMetrics:
    label: str
    precision: float
    recall: float
    f1: float
    threshold: float  # 0-1
    test_images: int


@dataclass(frozen=True)
class Evaluation:
    """A version's test-set results (fractions 0-1)."""

    labels: tuple[str, ...]
    per_label: tuple[LabelMetrics, ...]
    precision: float
    recall: float
    f1: float
    accuracy: float  # top-1, for our own reports
    confusion: tuple[tuple[float, ...], ...]  # [truth][predicted], rows sum to 1
    test_images: int
    training_images: int

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record of everything measured (stored with the version)."""
        return {
            "labels": list(self.labels),
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "accuracy": self.accuracy,
            "confusion": [list(r) for r in self.confusion],
            "test_images": self.test_images,
            "training_images": self.training_images,
            "per_label": [
                {
                    "label": m.label,
                    "precision": m.precision,
                    "recall": m.recall,
                    "f1": m.f1,
                    "threshold": m.threshold,
                    "test_images": m.test_images,
                }
                for m in self.per_label
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Evaluation:
        return cls(
            labels=tuple(d["labels"]),
            per_label=tuple(
                LabelMetrics(
                    m["label"],
                    m["precision"],
                    m["recall"],
                    m["f1"],
                    m["threshold"],
                    m["test_images"],
                )
                for m in d["per_label"]
            ),
            precision=d["precision"],
            recall=d["recall"],
            f1=d["f1"],
            accuracy=d["accuracy"],
            confusion=tuple(tuple(r) for r in d["confusion"]),
            test_images=d["test_images"],
            training_images=d["training_images"],
        )


def evaluate(
    probabilities: NDArray[np.float64],
    truth: Sequence[str],
    labels: Sequence[str],
    thresholds: Sequence[float],
    *,
    training_images: int,
) -> Evaluation:
    """Metrics of ``probabilities`` (``N x len(labels)``, columns in ``labels`` order)
    against the true label of each row."""
    probs = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(truth)
    per_label = []
    for i, label in enumerate(labels):
        actual = y == label
        predicted = probs[:, i] >= thresholds[i]
        tp = int(np.sum(actual & predicted))
        fp = int(np.sum(~actual & predicted))
        fn = int(np.sum(actual & ~predicted))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label.append(
            LabelMetrics(label, precision, recall, f1, float(thresholds[i]), int(actual.sum()))
        )
    top = np.asarray(labels)[probs.argmax(1)] if len(y) else np.asarray([], dtype=str)
    confusion = []
    for truth_label in labels:
        rows = top[y == truth_label]
        n = max(len(rows), 1)
        confusion.append(tuple(float(np.sum(rows == p)) / n for p in labels))
    return Evaluation(
        labels=tuple(labels),
        per_label=tuple(per_label),
        precision=float(np.mean([m.precision for m in per_label])),
        recall=float(np.mean([m.recall for m in per_label])),
        f1=float(np.mean([m.f1 for m in per_label])),
        accuracy=float(np.mean(top == y)) if len(y) else 0.0,
        confusion=tuple(confusion),
        test_images=len(y),
        training_images=training_images,
    )


def summary_document(
    evaluation: Evaluation, version_arn: str, finished: dt.datetime
) -> dict[str, Any]:
    """Rekognition's training results summary for ``evaluation``.

    Labels are listed by F1, best first, as Rekognition sorts them; thresholds are 0-1.
    """
    matrix = [
        {"GroundTruthLabel": truth, "PredictedLabel": predicted, "Value": value}
        for truth, row in zip(evaluation.labels, evaluation.confusion, strict=True)
        for predicted, value in zip(evaluation.labels, row, strict=True)
    ]
    ranked = sorted(evaluation.per_label, key=lambda m: (-m.f1, m.label))
    return {
        "Version": 1,
        "AggregatedEvaluationResults": {
            "ConfusionMatrix": matrix,
            "F1Score": evaluation.f1,
            "Precision": evaluation.precision,
            "Recall": evaluation.recall,
        },
        "EvaluationDetails": {
            "EvaluationEndTimestamp": finished.astimezone(dt.timezone.utc)
            .replace(tzinfo=None)
            .isoformat(),
            "Labels": list(evaluation.labels),
            "NumberOfTestingImages": evaluation.test_images,
            "NumberOfTrainingImages": evaluation.training_images,
            "ProjectVersionArn": version_arn,
        },
        "LabelEvaluationResults": [
            {
                "Label": m.label,
                "Metrics": {
                    "F1Score": m.f1,
                    "Precision": m.precision,
                    "Recall": m.recall,
                    "Threshold": m.threshold,
                },
                "NumberOfTestingImages": m.test_images,
            }
            for m in ranked
        ],
    }
