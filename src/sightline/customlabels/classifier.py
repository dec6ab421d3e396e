"""Fit a calibrated classifier on feature vectors and export it to ONNX.

Candidates (``settings.customlabels.classifiers``):

- ``logistic``: standardised features, multinomial logistic regression (L2, C=1);
- ``boosting``: gradient-boosted depth-2 trees (100 rounds, 80 % subsamples), which
  ignore uninformative features better than a linear model on small datasets.

Each candidate is wrapped in ``CalibratedClassifierCV`` (Platt sigmoid per class, on
the same stratified folds for every candidate; the logistic model's feature scaling is
fitted once, outside): each fold's model is fitted on the
other folds and calibrated on its own, so the calibrated probability every training
image receives from the model that did not see it is an honest out-of-fold score. The
candidate with the best out-of-fold macro F1 (then log loss) is kept, and the same
out-of-fold scores give each label its *assumed threshold* (the confidence at which
its F1 is highest), so thresholds never come from the test set they are judged on.

The kept model is converted with skl2onnx (float32 input ``features`` of shape
``N x dims``; outputs ``label`` and ``probabilities`` ``N x labels``); the conversion is
checked against scikit-learn's own probabilities before the model is accepted.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sightline.errors import ModelError

FOLDS = 3
ONNX_OPSET = 17
# Metadata keys written into every exported model.
META_EXTRACTOR = "sightline.extractor"
META_LABELS = "sightline.labels"
META_THRESHOLDS = "sightline.thresholds"
META_CLASSIFIER = "sightline.classifier"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class FittedClassifier:
    """The kept candidate and what cross-validation said about it.

    ``labels`` are in the model's output order; ``thresholds`` (0-1) are per label;
    ``oof`` is the ``N x labels`` out-of-fold probability matrix of the training set.
    """

    name: str
    model: Any  # the fitted CalibratedClassifierCV
    labels: tuple[str, ...]
    thresholds: tuple[float, ...]
    oof: NDArray[np.float64]
    scores: dict[str, dict[str, float]]  # candidate -> {"f1": ..., "log_loss": ...}

    def predict_proba(self, features: NDArray[np.float32]) -> NDArray[np.float64]:
        return np.asarray(self.model.predict_proba(features), dtype=np.float64)


def _base(name: str, seed: int) -> Any:
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    if name == "logistic":
        return LogisticRegression(C=1.0, max_iter=5000)
    if name == "boosting":
        return GradientBoostingClassifier(
            n_estimators=100, max_depth=2, subsample=0.8, learning_rate=0.1, random_state=seed
        )
    raise ValueError(f"unknown classifier {name!r}")


def _fit_candidate(
    name: str, x: NDArray[np.float32], y: NDArray[Any], folds: list[Any], seed: int
) -> tuple[Any, NDArray[np.float64]]:
    """The fitted model and its out-of-fold calibrated probabilities (columns in
    ``model.classes_`` order)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x) if name == "logistic" else None
    xs = np.asarray(scaler.transform(x), dtype=np.float32) if scaler is not None else x
    calibrated = CalibratedClassifierCV(_base(name, seed), method="sigmoid", cv=folds)
    with warnings.catch_warnings():
        # A perfectly separable fold makes lbfgs warn about convergence; the calibrated
        # output is what we measure below.
        warnings.simplefilter("ignore", category=UserWarning)
        calibrated.fit(xs, y)
    oof = np.zeros((len(y), len(calibrated.classes_)))
    for (_, held_out), fold_model in zip(folds, calibrated.calibrated_classifiers_, strict=True):
        oof[held_out] = fold_model.predict_proba(xs[held_out])
    # The scaler sits outside the calibration (fitted once on all training rows: it is
    # unsupervised), because skl2onnx mis-converts a calibrated *pipeline*; the export
    # check in to_onnx caught it.
    model = Pipeline([("scale", scaler), ("calibrated", calibrated)]) if scaler else calibrated
    return model, oof


def fit_classifier(
    features: NDArray[np.float32],
    labels: Sequence[str],
    candidates: Sequence[str],
    *,
    seed: int = 0,
    progress: Progress | None = None,
) -> FittedClassifier:
    """Fit every candidate, keep the best by out-of-fold F1, derive thresholds.

    ``labels[i]`` is the label of row ``i``; every label needs at least :data:`FOLDS`
    rows (the caller enforces it with a clear message).
    """
    from sklearn.metrics import f1_score, log_loss
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels)
    x = np.ascontiguousarray(features, dtype=np.float32)
    classes = tuple(sorted(set(labels)))
    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(x, y))
    best: tuple[float, float, str, Any, NDArray[np.float64]] | None = None
    scores: dict[str, dict[str, float]] = {}
    for name in candidates:
        if progress:
            progress(f"fitting {name} ({FOLDS}-fold calibrated)")
        model, oof = _fit_candidate(name, x, y, folds, seed)
        if tuple(str(c) for c in model.classes_) != classes:
            raise ModelError(f"{name}: classes {model.classes_} differ from {classes}")
        predicted = np.asarray(classes)[oof.argmax(1)]
        f1 = float(f1_score(y, predicted, average="macro", labels=list(classes)))
        loss = float(log_loss(y, np.clip(oof, 1e-6, 1.0), labels=list(classes)))
        scores[name] = {"f1": f1, "log_loss": loss}
        if best is None or (f1, -loss) > (best[0], -best[1]):
            best = (f1, loss, name, model, oof)
    if best is None:
        raise ModelError("No classifier candidates are configured.")
    _, _, name, model, oof = best
    thresholds = tuple(best_threshold(oof[:, i], y == c) for i, c in enumerate(classes))
    return FittedClassifier(name, model, classes, thresholds, oof, scores)


def best_threshold(scores: NDArray[np.float64], positive: NDArray[np.bool_]) -> float:
    """The confidence (0-1) at which predicting ``score >= t`` has the highest F1.

    Among equal F1, the highest threshold wins; the threshold is then put halfway to
    the next lower score, so a test image scoring like the weakest accepted training
    image is still accepted.
    """
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    pos = positive[order].astype(np.int64)
    total_pos = int(pos.sum())
    if total_pos == 0:
        return 0.5
    tp = np.cumsum(pos)
    k = np.arange(1, len(s) + 1)
    f1 = 2 * tp / (k + total_pos)
    # Only the last of equal scores is a real cut (ties are all in or all out).
    cut = np.r_[s[:-1] > s[1:], True]
    f1 = np.where(cut, f1, -1.0)
    i = int(np.argmax(f1))
    below = float(s[i + 1]) if i + 1 < len(s) else 0.0
    return float((s[i] + below) / 2)


def to_onnx(fitted: FittedClassifier, sample: NDArray[np.float32], extractor_id: str) -> bytes:
    """The model as ONNX bytes carrying its metadata, checked on ``sample`` (real rows).

    Raises:
        ModelError: the converted model disagrees with scikit-learn (a converter bug).
    """
    import onnxruntime as ort
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    probe = np.ascontiguousarray(sample[:32], dtype=np.float32)
    dims = int(probe.shape[1])
    model = fitted.model
    onx = convert_sklearn(
        model,
        initial_types=[("features", FloatTensorType([None, dims]))],
        options={id(model): {"zipmap": False}},
        target_opset={"": ONNX_OPSET, "ai.onnx.ml": 3},
    )
    for key, value in (
        (META_EXTRACTOR, extractor_id),
        (META_LABELS, json.dumps(list(fitted.labels))),
        (META_THRESHOLDS, json.dumps(list(fitted.thresholds))),
        (META_CLASSIFIER, fitted.name),
    ):
        entry = onx.metadata_props.add()
        entry.key, entry.value = key, value
    data: bytes = onx.SerializeToString()
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    got = session.run(["probabilities"], {"features": probe})[0]
    want = fitted.predict_proba(probe)
    if np.abs(np.asarray(got) - want).max() > 1e-4:
        raise ModelError(
            f"The ONNX export of the {fitted.name} classifier differs from scikit-learn "
            f"by {float(np.abs(np.asarray(got) - want).max()):.2g}; the model was not saved."
        )
    return data
