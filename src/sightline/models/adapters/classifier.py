"""ImageNet-style whole-image classifiers on ONNX Runtime (layout ``imagenet``).

Input 1x3xHxW RGB: the image's shorter side resized to H / 0.875 (256 for 224), the
centre H x W cropped, scaled to 0-1, then normalised with ImageNet's mean and standard
deviation. Output 1xC scores: logits (softmax applied) or probabilities (kept). The
catalog's MobileNetV2 reads 224x224 and scores the 1000 ImageNet-1k classes.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

from sightline.config import Settings
from sightline.errors import ModelError
from sightline.media.image import Image
from sightline.models.adapters.base import Classification, split_synonyms
from sightline.models.adapters.geometry import as_probabilities
from sightline.models.registry import InstalledModel
from sightline.models.sessions import ModelSession, input_hw, load_session

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
CROP_FRACTION = 0.875  # 224 of 256: the evaluation crop ImageNet models are scored with

CLASSIFIER_LAYOUTS = ("imagenet",)


class ImageClassifier:
    """A classifier behind a :class:`ModelSession`; ``labels`` in output order."""

    def __init__(
        self,
        session: ModelSession,
        labels: Sequence[str],
        *,
        name: str = "classifier",
        top_k: int = 5,
        min_confidence: float = 0.01,
    ) -> None:
        self.session = session
        self.name = name
        self.labels = tuple(labels)
        self.top_k = top_k
        self.min_confidence = min_confidence
        self.input_name = session.get_inputs()[0].name
        self.input_hw = input_hw(session, (224, 224))
        classes = classes_in(session.get_outputs()[0].shape)
        if classes is not None and classes != len(self.labels):
            raise ModelError(
                f"Model {name!r} scores {classes} classes but has {len(self.labels)} labels."
            )

    @classmethod
    def from_installed(cls, model: InstalledModel, settings: Settings) -> ImageClassifier:
        """Load an installed ``image-classification`` model with its labels."""
        return cls(load_session(model.path, settings), model.label_names(), name=model.name)

    def pre_process(self, pixels: NDArray[np.uint8]) -> NDArray[np.float32]:
        """RGB ``H x W x 3`` -> the normalised ``1x3xHxW`` centre crop."""
        th, tw = self.input_hw
        h, w = pixels.shape[:2]
        short = max(th, tw) / CROP_FRACTION
        f = short / min(h, w)
        nh, nw = max(th, round(h * f)), max(tw, round(w * f))
        interp = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
        resized = cv2.resize(pixels, (nw, nh), interpolation=interp)
        y0, x0 = (nh - th) // 2, (nw - tw) // 2
        crop = resized[y0 : y0 + th, x0 : x0 + tw].astype(np.float32) / 255.0
        crop = (crop - IMAGENET_MEAN) / IMAGENET_STD
        return np.ascontiguousarray(crop.transpose(2, 0, 1)[None], dtype=np.float32)

    def forward(self, blob: NDArray[np.float32]) -> NDArray[np.float32]:
        out = self.session.run(None, {self.input_name: blob})[0]
        return np.asarray(out, dtype=np.float32)

    def post_process(self, output: NDArray[np.float32]) -> list[Classification]:
        """Scores -> the ``top_k`` classes at or above ``min_confidence``, best first."""
        scores = output.reshape(-1)
        if scores.size != len(self.labels):
            raise ModelError(
                f"Model {self.name!r} returned {scores.size} scores, expected {len(self.labels)}."
            )
        probs = as_probabilities(scores)
        order = np.argsort(-probs, kind="stable")[: self.top_k]
        found = []
        for i in order:
            if probs[i] < self.min_confidence:
                break
            label, aliases = split_synonyms(self.labels[int(i)])
            found.append(Classification(int(i), label, float(probs[i]), aliases))
        return found

    def classify(self, image: Image) -> list[Classification]:
        """The most likely classes of the whole image, best first."""
        return self.post_process(self.forward(self.pre_process(image.pixels)))


def classes_in(shape: Sequence[object]) -> int | None:
    """Class count of a ``1 x C`` (or ``1 x C x 1 x 1``) output; None when dynamic."""
    dims = list(shape)
    if not dims or len(dims) > 4 or any(d != 1 for d in dims[2:] if isinstance(d, int)):
        raise ModelError(f"A classifier output is 1 x classes, this model gives {dims}.")
    c = dims[1] if len(dims) > 1 else dims[0]
    return c if isinstance(c, int) else None


def validate_classifier(session: ModelSession, hw: tuple[int, int]) -> int:
    """Run a blank image through ``session``; the class count of its real output."""
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise ModelError(f"A classifier takes one image input; this model takes {len(inputs)}.")
    out = np.asarray(session.run(None, {inputs[0].name: np.zeros((1, 3, *hw), np.float32)})[0])
    classes = classes_in(out.shape)
    if classes is None or classes < 2:
        raise ModelError(f"A classifier output is 1 x classes (>= 2), got {list(out.shape)}.")
    return classes
