"""Classifier fitting, thresholds and the ONNX export."""

from __future__ import annotations

import numpy as np
import pytest

from sightline.customlabels.classifier import best_threshold, fit_classifier, to_onnx
from sightline.customlabels.model import read_info


def blobs(n: int = 30, dims: int = 12, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    x, y = [], []
    for k, label in enumerate(("a", "b", "c")):
        centre = np.zeros(dims)
        centre[k] = 4.0
        x.append(rng.normal(size=(n, dims)) + centre)
        y += [label] * n
    return np.vstack(x).astype(np.float32), y


@pytest.mark.parametrize(
    ("scores", "positive", "expected"),
    [
        ([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0], 0.55),  # clean cut between 0.8 and 0.3
        ([0.9, 0.6, 0.6, 0.1], [1, 1, 0, 0], 0.35),  # tied 0.6s go in together (F1 0.8)
        ([0.2, 0.1], [0, 0], 0.5),  # no positives at all
        ([0.7], [1], 0.35),  # the lowest positive: halfway to zero
    ],
)
def test_best_threshold(scores: list[float], positive: list[int], expected: float) -> None:
    got = best_threshold(np.array(scores), np.array(positive, dtype=bool))
    assert got == pytest.approx(expected)


def test_fit_keeps_the_best_candidate_and_exports_identically() -> None:
    x, y = blobs()
    fitted = fit_classifier(x, y, ["logistic", "boosting"], seed=0)
    assert set(fitted.scores) == {"logistic", "boosting"}
    best = max(fitted.scores.values(), key=lambda s: (s["f1"], -s["log_loss"]))
    assert fitted.scores[fitted.name] == best
    assert fitted.labels == ("a", "b", "c")
    assert all(0.0 < t < 1.0 for t in fitted.thresholds)
    assert fitted.oof.shape == (90, 3)
    assert np.allclose(fitted.oof.sum(1), 1.0, atol=1e-6)

    import onnx
    import onnxruntime as ort

    data = to_onnx(fitted, x, "test-extractor")
    meta = {p.key: p.value for p in onnx.load_from_string(data).metadata_props}
    info = read_info(meta)
    assert info.labels == fitted.labels and info.extractor_id == "test-extractor"
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    got = session.run(["probabilities"], {"features": x})[0]
    np.testing.assert_allclose(got, fitted.predict_proba(x), atol=1e-5)
