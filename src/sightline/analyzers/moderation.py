"""DetectModerationLabels on NudeNet's body-part detector (the 320n model in its wheel).

NudeNet finds exposed and covered body parts and faces; :mod:`.moderation_taxonomy`
turns the parts that are moderation evidence into Rekognition labels. The raw parts,
in full-resolution pixels, are also offered to other analyzers
(:meth:`ModerationAnalyzer.body_parts`: faces and their gender cue feed DetectLabels).

The model call sits behind :class:`BodyPartDetector`, so everything after it is tested
with fake detections.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
from numpy.typing import NDArray

from sightline.analyzers.moderation_taxonomy import moderation_labels
from sightline.analyzers.types import Box, ModerationResult
from sightline.config import Settings
from sightline.errors import InvalidParameterError, ModelError, UnsupportedError
from sightline.media.image import Image

if TYPE_CHECKING:
    from sightline.analyzers.base import AnalyzerPool

# Rekognition's default when a request has no MinConfidence.
DEFAULT_MIN_CONFIDENCE = 50.0


@dataclass(frozen=True)
class BodyPart:
    """One NudeNet detection: its class (e.g. ``FACE_FEMALE``), score 0-1, and box in
    pixels of the full-resolution frame."""

    label: str
    score: float
    box: Box


class BodyPartDetector(Protocol):
    """The model seam: ``(class, score, (x, y, w, h))`` in ``bgr``'s pixels."""

    model_version: str

    def detect(self, bgr: NDArray[np.uint8]) -> list[tuple[str, float, tuple[float, ...]]]: ...

    def versions(self) -> dict[str, str]: ...


class NudeNetDetector:
    """NudeNet's ``NudeDetector`` fed arrays, on an ONNX Runtime session of our own."""

    resolution = 320

    def __init__(self, settings: Settings) -> None:
        try:
            import nudenet
            import onnxruntime as ort
            from nudenet import NudeDetector
        except ImportError as e:  # pragma: no cover - a broken install
            raise ModelError("nudenet is not installed") from e
        model = Path(nudenet.__file__).parent / "320n.onnx"
        options = ort.SessionOptions()
        options.intra_op_num_threads = settings.models.intra_op_threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only
        try:
            self._detector = NudeDetector(inference_resolution=self.resolution)
            # NudeDetector builds its session with every core and no options; ours
            # keeps to the configured threads (worker processes give the parallelism).
            self._detector.onnx_session = ort.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # ORT raises its own untyped errors
            raise ModelError(f"NudeNet's model {model} could not be loaded: {e}") from e
        self._version = version("nudenet")
        self.model_version = f"nudenet-{self._version}/320n"

    def detect(self, bgr: NDArray[np.uint8]) -> list[tuple[str, float, tuple[float, ...]]]:
        try:
            found: list[dict[str, Any]] = self._detector.detect(bgr)
        except Exception as e:
            raise ModelError(f"NudeNet failed on a {bgr.shape[1]}x{bgr.shape[0]} image: {e}") from e
        return [
            (str(d["class"]), float(d["score"]), tuple(float(v) for v in d["box"])) for d in found
        ]

    def versions(self) -> dict[str, str]:
        return {"nudenet-320n": self._version}


class ModerationAnalyzer:
    """DetectModerationLabels; returns :class:`ModerationResult` (confidences 0-1)."""

    name: ClassVar[str] = "moderation"
    # The detector sees a 320-pixel letterboxed square; we shrink with area averaging
    # first so its own linear resize has nothing left to alias.
    max_side: ClassVar[int | None] = NudeNetDetector.resolution

    def __init__(
        self,
        settings: Settings,
        pool: AnalyzerPool | None = None,
        detector: BodyPartDetector | None = None,
    ) -> None:
        self.detector: BodyPartDetector = (
            detector if detector is not None else NudeNetDetector(settings)
        )

    def versions(self) -> dict[str, str]:
        return self.detector.versions()

    def body_parts(self, image: Image) -> tuple[BodyPart, ...]:
        """Every NudeNet detection (score >= 0.2, NudeNet's own floor), boxes in the
        full-resolution frame of ``image``."""
        work = image.fit(self.max_side)
        sx, sy = 1 / work.scale_x, 1 / work.scale_y
        parts = []
        for label, score, (x, y, w, h) in self.detector.detect(work.bgr()):
            box = Box(x * sx, y * sy, (x + w) * sx, (y + h) * sy)
            parts.append(BodyPart(label, score, box.clipped(image.info.width, image.info.height)))
        return tuple(parts)

    def analyze(self, image: Image, options: Mapping[str, Any] | None = None) -> ModerationResult:
        """Moderation labels of ``image``; ``options`` are DetectModerationLabels'
        request members (``MinConfidence``, 0-100, default 50)."""
        min_confidence = _min_confidence(options or {})
        parts = self.body_parts(image)
        labels = moderation_labels(((p.label, p.score) for p in parts), min_confidence / 100)
        return ModerationResult(labels=labels, model_version=self.detector.model_version)


def _min_confidence(options: Mapping[str, Any]) -> float:
    for member, what in (
        ("ProjectVersion", "Custom moderation adapters"),
        ("HumanLoopConfig", "Human review through Amazon A2I"),
    ):
        if options.get(member) is not None:
            raise UnsupportedError(f"{what} ({member}) are not supported by Sightline.")
    value = options.get("MinConfidence")
    if value is None:
        return DEFAULT_MIN_CONFIDENCE
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidParameterError(f"MinConfidence must be a number; got {value!r}.")
    if not 0 <= value <= 100:
        raise InvalidParameterError(f"MinConfidence must be between 0 and 100; got {value:g}.")
    return float(value)
