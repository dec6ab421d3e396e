"""A trained version loaded for inference: features in numpy, the classifier in ONNX Runtime.

The ONNX file carries everything needed to run it (metadata written at export): the
extractor id, the labels in output order and each label's assumed threshold. The
extractor is looked up by that id (:func:`~sightline.customlabels.extractors.extractor_for`)
so inference computes exactly the features training did.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sightline.config import Settings
from sightline.customlabels.classifier import (
    META_CLASSIFIER,
    META_EXTRACTOR,
    META_LABELS,
    META_THRESHOLDS,
)
from sightline.customlabels.extractors import FeatureExtractor, extractor_for
from sightline.customlabels.features import custom_label_limits, decode_for_features
from sightline.errors import InvalidParameterError, ModelError


@dataclass(frozen=True)
class CustomLabel:
    """One label found in an image; ``confidence`` 0-1."""

    name: str
    confidence: float


@dataclass(frozen=True)
class ModelInfo:
    extractor_id: str
    labels: tuple[str, ...]
    thresholds: tuple[float, ...]
    classifier: str


def read_info(metadata: Mapping[str, str]) -> ModelInfo:
    """The Sightline metadata of an exported model; ModelError if it is not one of ours."""
    try:
        labels = tuple(json.loads(metadata[META_LABELS]))
        thresholds = tuple(float(t) for t in json.loads(metadata[META_THRESHOLDS]))
        return ModelInfo(metadata[META_EXTRACTOR], labels, thresholds, metadata[META_CLASSIFIER])
    except (KeyError, ValueError, TypeError) as e:
        raise ModelError(f"The model lacks Sightline's custom-label metadata ({e}).") from e


class CustomLabelModel:
    """A version's classifier and feature extractor, loaded once per worker process."""

    def __init__(self, data: bytes, settings: Settings) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = settings.models.intra_op_threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session: Any = ort.InferenceSession(
                data, sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # ORT raises its own untyped exceptions
            raise ModelError(f"ONNX Runtime cannot load the custom-label model: {e}") from e
        self.info = read_info(self._session.get_modelmeta().custom_metadata_map)
        self.extractor: FeatureExtractor = extractor_for(self.info.extractor_id, settings)
        self.limits = custom_label_limits(settings)

    @property
    def labels(self) -> tuple[str, ...]:
        return self.info.labels

    def probabilities(self, features: NDArray[np.float32]) -> NDArray[np.float32]:
        """``N x labels`` calibrated probabilities of ``N x dims`` features."""
        x = np.ascontiguousarray(features, dtype=np.float32)
        try:
            out = self._session.run(["probabilities"], {"features": x})[0]
        except Exception as e:
            raise ModelError(f"ONNX Runtime failed running the custom-label model: {e}") from e
        return np.asarray(out, dtype=np.float32)

    def classify(self, pixels: NDArray[np.uint8]) -> list[CustomLabel]:
        """Every label with its confidence, most likely first."""
        probs = self.probabilities(self.extractor.extract(pixels)[None])[0]
        order = np.argsort(-probs, kind="stable")
        return [CustomLabel(self.labels[i], float(probs[i])) for i in order]

    def detect(
        self, data: bytes, *, min_confidence: float | None = None, max_results: int | None = None
    ) -> list[CustomLabel]:
        """DetectCustomLabels on an image file's bytes.

        ``min_confidence`` is 0-100 as on the wire; when None, each label is returned
        only at or above its assumed threshold, as Rekognition does. ``max_results``
        None returns every label that passes.
        """
        if max_results is not None and max_results < 0:
            raise InvalidParameterError(f"MaxResults must be >= 0, got {max_results}.")
        found = self.classify(decode_for_features(data, self.limits))
        return self.select(found, min_confidence=min_confidence, max_results=max_results)

    def select(
        self,
        found: list[CustomLabel],
        *,
        min_confidence: float | None = None,
        max_results: int | None = None,
    ) -> list[CustomLabel]:
        threshold = dict(zip(self.labels, self.info.thresholds, strict=True))
        if min_confidence is None:
            kept = [c for c in found if c.confidence >= threshold[c.name]]
        else:
            kept = [c for c in found if c.confidence * 100.0 >= min_confidence]
        return kept if max_results is None else kept[:max_results]
