"""Facial expressions (catalog model ``fer-mobilefacenet``) as Rekognition emotions.

Input: the face aligned by a similarity transform of its 5 landmarks onto the ArcFace
112x112 template, RGB, ``(x / 255 - 0.5) / 0.5``, 1x3x112x112. Output: 7 scores in the
order angry, disgust, fearful, happy, neutral, sad, surprised.

Mapping onto Rekognition's emotion types: angry -> ANGRY, disgust -> DISGUSTED,
fearful -> FEAR, happy -> HAPPY, neutral -> CALM (Rekognition has no NEUTRAL; CALM is
its expression of no emotion), sad -> SAD, surprised -> SURPRISED. Rekognition's
CONFUSED has no class in this model, so it is never reported.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from sightline.analyzers.types import Emotion, Point
from sightline.config import Settings
from sightline.errors import ModelError
from sightline.media.image import Image
from sightline.models.adapters.geometry import align_face, as_probabilities
from sightline.models.catalog import label_set
from sightline.models.registry import InstalledModel
from sightline.models.sessions import ModelSession, load_session

REKOGNITION_EMOTIONS: dict[str, str] = {
    "angry": "ANGRY",
    "disgust": "DISGUSTED",
    "fearful": "FEAR",
    "happy": "HAPPY",
    "neutral": "CALM",
    "sad": "SAD",
    "surprised": "SURPRISED",
}


class ExpressionRecognizer:
    """Emotion scores of an aligned face behind a :class:`ModelSession`."""

    def __init__(
        self,
        session: ModelSession,
        labels: Sequence[str] = (),
        *,
        name: str = "fer",
        version: str = "",
    ) -> None:
        self.session = session
        self.name = name
        self.version = version or name  # what results are keyed by: name and checksum
        self.labels = tuple(labels) or label_set("fer7")
        unknown = [label for label in self.labels if label not in REKOGNITION_EMOTIONS]
        if unknown:
            raise ModelError(f"Model {name!r} has expressions with no Rekognition type: {unknown}.")
        self.input_name = session.get_inputs()[0].name

    @classmethod
    def from_installed(cls, model: InstalledModel, settings: Settings) -> ExpressionRecognizer:
        return cls(
            load_session(model.path, settings),
            model.label_names(),
            name=model.name,
            version=f"{model.name}:{model.sha256[:12]}",
        )

    def pre_process(
        self, pixels: NDArray[np.uint8], points: Sequence[Point]
    ) -> NDArray[np.float32]:
        """RGB pixels and the face's 5 points (in their frame) -> the 1x3x112x112 blob."""
        crop = align_face(pixels, points).astype(np.float32)
        blob = (crop / 255.0 - 0.5) / 0.5
        return np.ascontiguousarray(blob.transpose(2, 0, 1)[None], dtype=np.float32)

    def forward(self, blob: NDArray[np.float32]) -> NDArray[np.float32]:
        return np.asarray(self.session.run(None, {self.input_name: blob})[0], dtype=np.float32)

    def post_process(self, scores: NDArray[np.float32]) -> tuple[Emotion, ...]:
        """Scores -> Rekognition emotions with confidences 0-1, most likely first."""
        flat = scores.reshape(-1)
        if flat.size != len(self.labels):
            raise ModelError(
                f"Model {self.name!r} returned {flat.size} scores, expected {len(self.labels)}."
            )
        probs = as_probabilities(flat)
        found = [
            Emotion(REKOGNITION_EMOTIONS[n], float(p))
            for n, p in zip(self.labels, probs, strict=True)
        ]
        return tuple(sorted(found, key=lambda e: -e.confidence))

    def emotions(self, image: Image, points: Sequence[Point]) -> tuple[Emotion, ...]:
        """Emotions of the face with 5 ``points`` (full-resolution frame, template order)."""
        local = [Point(p.x * image.scale_x, p.y * image.scale_y) for p in points]
        return self.post_process(self.forward(self.pre_process(image.pixels, local)))
