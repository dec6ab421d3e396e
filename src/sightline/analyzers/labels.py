"""DetectLabels from what the installed models can see.

Sources, each used when it is installed (none is required):

- ``person`` (OpenCV HOG): **Person** with an instance per body box.
- ``faces`` (dlib): **Face** with an instance per face; a face also makes **Person**
  present (the label, not a body box, which a face does not give).
- ``text`` (RapidOCR): **Text** when at least one line is read (no instances: text is
  a scene-level label, as in Rekognition's responses).
- ``moderation`` (NudeNet): its face classes give the gender-presentation cue
  **Female** / **Male** (no instances: NudeNet boxes the face, not the person).
- Installed catalog or user models (``sightline models pull|add``): every class a
  detector finds, with instances (COCO's ``person`` joins **Person**), and a
  classifier's top classes, without instances.

Every label carries its ancestors as ``Parents`` and the ancestors are labels too, with
the confidence of their most confident descendant (Rekognition's convention); names,
parents, categories and aliases come from :mod:`sightline.analyzers.taxonomy`.
Requests are DetectLabels' members: ``MinConfidence`` (default 55), ``MaxLabels``
(default 1000), ``Features`` (GENERAL_LABELS, IMAGE_PROPERTIES) and ``Settings``
(``GeneralLabels`` inclusion/exclusion filters, ``ImageProperties.MaxDominantColors``).
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, cast

from sightline.analyzers import taxonomy
from sightline.analyzers.base import ANALYZERS, AnalyzerPool
from sightline.analyzers.properties import DEFAULT_MAX_COLORS, box_colors, image_properties
from sightline.analyzers.types import Box, Instance, Label, LabelsResult
from sightline.config import Settings
from sightline.errors import InvalidParameterError
from sightline.media.image import Image

if TYPE_CHECKING:
    from sightline.analyzers.moderation import BodyPart, ModerationAnalyzer
    from sightline.models.adapters.classifier import ImageClassifier
    from sightline.models.adapters.yolox import ObjectDetector

LABEL_MODEL_VERSION = "sightline-labels-1.0"
DEFAULT_MIN_CONFIDENCE = 55.0  # Rekognition's default
DEFAULT_MAX_LABELS = 1000
FEATURES = ("GENERAL_LABELS", "IMAGE_PROPERTIES")
_FILTERS = (
    "LabelInclusionFilters",
    "LabelExclusionFilters",
    "LabelCategoryInclusionFilters",
    "LabelCategoryExclusionFilters",
)
_GENDER = {"FACE_FEMALE": "Female", "FACE_MALE": "Male"}
_SAME_OBJECT_IOU = 0.5  # two boxes of one label overlapping this much are one object


@dataclass(frozen=True)
class LabelRequest:
    """DetectLabels' request members, validated."""

    min_confidence: float = DEFAULT_MIN_CONFIDENCE  # 0-100
    max_labels: int = DEFAULT_MAX_LABELS
    general_labels: bool = True
    image_properties: bool = False
    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()
    include_categories: frozenset[str] = frozenset()
    exclude_categories: frozenset[str] = frozenset()
    max_colors: int = DEFAULT_MAX_COLORS

    @classmethod
    def parse(cls, options: Mapping[str, Any] | None) -> LabelRequest:
        """Validate ``options``; InvalidParameterError names the member at fault."""
        options = options or {}
        min_confidence = _number(options, "MinConfidence", DEFAULT_MIN_CONFIDENCE, 0, 100)
        max_labels = _integer(options, "MaxLabels", DEFAULT_MAX_LABELS, 0, None)
        features = options.get("Features") or ["GENERAL_LABELS"]
        if not isinstance(features, list) or any(f not in FEATURES for f in features):
            raise InvalidParameterError(
                f"Features must list values from {', '.join(FEATURES)}; got {features!r}."
            )
        settings = _mapping(options, "Settings", "")
        general = _mapping(settings, "GeneralLabels", "Settings.")
        filters = {name: _names(general, name) for name in _FILTERS}
        image_settings = _mapping(settings, "ImageProperties", "Settings.")
        max_colors = _integer(
            image_settings,
            "MaxDominantColors",
            DEFAULT_MAX_COLORS,
            0,
            20,
            "Settings.ImageProperties.",
        )
        return cls(
            min_confidence=min_confidence,
            max_labels=max_labels,
            general_labels="GENERAL_LABELS" in features,
            image_properties="IMAGE_PROPERTIES" in features,
            include=filters["LabelInclusionFilters"],
            exclude=filters["LabelExclusionFilters"],
            include_categories=filters["LabelCategoryInclusionFilters"],
            exclude_categories=filters["LabelCategoryExclusionFilters"],
            max_colors=max_colors,
        )

    def keeps(self, label: Label) -> bool:
        """The GeneralLabels filters: exclusions win over inclusions."""
        if label.name in self.exclude or self.exclude_categories.intersection(label.categories):
            return False
        if self.include and label.name not in self.include:
            return False
        return not (
            self.include_categories and not self.include_categories.intersection(label.categories)
        )


@dataclass
class _Found:
    """One label's evidence while collecting: its best confidence and its boxes."""

    confidence: float = 0.0
    instances: list[Instance] = field(default_factory=list)
    aliases: tuple[str, ...] = ()

    def add(self, confidence: float, box: Box | None = None) -> None:
        self.confidence = max(self.confidence, confidence)
        if box is not None:
            self.instances.append(Instance(box=box, confidence=confidence))


class LabelAnalyzer:
    """DetectLabels on the pool's analyzers and the registry's installed models."""

    name: ClassVar[str] = "labels"
    # Text reading, the most demanding source, works on up to 2048 px; the others
    # shrink further themselves.
    max_side: ClassVar[int | None] = 2048

    def __init__(self, settings: Settings, pool: AnalyzerPool) -> None:
        self.settings = settings
        self.pool = pool
        self.sources = [
            name for name in ("person", "faces", "text", "moderation") if _installed(name)
        ]
        self.detectors, self.classifiers = _registry_models(settings)
        names = [d.name for d in self.detectors] + [c.name for c in self.classifiers]
        self._model_versions = _registry_versions(settings, names)

    def versions(self) -> dict[str, str]:
        found = {"labels": LABEL_MODEL_VERSION}
        for name in self.sources:
            found.update(self.pool.get(name).versions())
        found.update(self._model_versions)
        return found

    def analyze(self, image: Image, options: Mapping[str, Any] | None = None) -> LabelsResult:
        """Labels of ``image`` (boxes in its full-resolution frame, confidences 0-1)."""
        request = LabelRequest.parse(options)
        labels: tuple[Label, ...] = ()
        if request.general_labels:
            labels = self._labels(image, request)
        properties = None
        if request.image_properties:
            labels = tuple(self._with_colors(image, label, request) for label in labels)
            subjects = [
                inst.box.scaled(image.scale_x, image.scale_y)
                for label in labels
                if label.name in ("Person", "Face")
                for inst in label.instances
            ]
            properties = image_properties(
                image.pixels, max_colors=request.max_colors, subjects=subjects
            )
        return LabelsResult(
            labels=labels, model_version=LABEL_MODEL_VERSION, image_properties=properties
        )

    # --- collecting -------------------------------------------------------------

    def _labels(self, image: Image, request: LabelRequest) -> tuple[Label, ...]:
        found: dict[str, _Found] = {}

        def evidence(name: str) -> _Found:
            return found.setdefault(name, _Found())

        if "person" in self.sources:
            for person in self.pool.analyze("person", image).people:
                evidence("Person").add(person.confidence, person.box)
        if "faces" in self.sources:
            for face in self.pool.analyze("faces", image).faces:
                evidence("Face").add(face.confidence, face.box)
                evidence("Person").add(face.confidence)
        if "text" in self.sources:
            lines = [d for d in self.pool.analyze("text", image).detections if d.type == "LINE"]
            if lines:
                evidence("Text").add(max(d.confidence for d in lines))
        if "moderation" in self.sources:
            for part in self._body_parts(image):
                gender = _GENDER.get(part.label)
                if gender is not None:
                    evidence(gender).add(part.score)
        for detector in self.detectors:
            for detection in detector.detect(image):
                evidence(taxonomy.label_name(detection.label)).add(
                    detection.confidence, detection.box
                )
        for classifier in self.classifiers:
            for result in classifier.classify(image):
                entry = evidence(taxonomy.label_name(result.label))
                entry.add(result.confidence)
                entry.aliases = tuple(dict.fromkeys([*entry.aliases, *result.aliases]))
        return _finish(found, request)

    def _body_parts(self, image: Image) -> Sequence[BodyPart]:
        moderation = cast("ModerationAnalyzer", self.pool.get("moderation"))
        # The moderation analysis computes the same parts; share them for this image.
        return self.pool.cached(
            image, ("moderation.body_parts",), lambda: moderation.body_parts(image)
        )

    def _with_colors(self, image: Image, label: Label, request: LabelRequest) -> Label:
        if not label.instances:
            return label
        instances = tuple(
            Instance(
                box=inst.box,
                confidence=inst.confidence,
                dominant_colors=box_colors(
                    image.pixels,
                    inst.box.scaled(image.scale_x, image.scale_y),
                    max_colors=request.max_colors,
                ),
            )
            for inst in label.instances
        )
        return Label(
            name=label.name,
            confidence=label.confidence,
            instances=instances,
            parents=label.parents,
            aliases=label.aliases,
            categories=label.categories,
        )


def _finish(found: dict[str, _Found], request: LabelRequest) -> tuple[Label, ...]:
    """Add ancestors, apply MinConfidence, the filters and MaxLabels; best first."""
    confidence = {name: entry.confidence for name, entry in found.items()}
    for name, entry in list(found.items()):
        for parent in taxonomy.ancestors(name):
            confidence[parent] = max(confidence.get(parent, 0.0), entry.confidence)
    floor = request.min_confidence / 100.0
    labels = []
    for name, score in confidence.items():
        if score < floor:
            continue
        facts = taxonomy.facts(name)
        evidence = found.get(name)
        instances = _dedupe(evidence.instances, floor) if evidence else ()
        aliases = tuple(dict.fromkeys([*facts.aliases, *(evidence.aliases if evidence else ())]))
        label = Label(
            name=name,
            confidence=score,
            instances=instances,
            parents=facts.parents,
            aliases=tuple(a for a in aliases if a != name),
            categories=facts.categories,
        )
        if request.keeps(label):
            labels.append(label)
    labels.sort(key=lambda label: (-label.confidence, label.name))
    return tuple(labels[: request.max_labels])


def _dedupe(instances: Iterable[Instance], floor: float) -> tuple[Instance, ...]:
    """Instances at or above ``floor``; boxes of one object from two sources kept once."""
    kept: list[Instance] = []
    for inst in sorted(instances, key=lambda i: -i.confidence):
        if inst.confidence < floor:
            continue
        if all(inst.box.iou(other.box) < _SAME_OBJECT_IOU for other in kept):
            kept.append(inst)
    return tuple(kept)


def _installed(name: str) -> bool:
    module = ANALYZERS[name].partition(":")[0]
    return importlib.util.find_spec(module) is not None


def _registry_models(settings: Settings) -> tuple[list[ObjectDetector], list[ImageClassifier]]:
    """Installed detectors and classifiers, through the registry's adapters.

    Nothing is downloaded: with no model installed both lists are empty. A model that
    is installed but broken raises :class:`ModelError`.
    """
    from sightline.models.loaders import load_classifiers, load_detectors

    return load_detectors(settings), load_classifiers(settings)


def _registry_versions(settings: Settings, names: list[str]) -> dict[str, str]:
    """Installed model name -> ``sha256:<first 12 hex digits>`` of its file."""
    if not names:
        return {}
    from sightline.models.registry import Registry

    registry = Registry.from_settings(settings)
    return {name: f"sha256:{registry.get(name).sha256[:12]}" for name in names}


def _number(
    options: Mapping[str, Any], member: str, default: float, low: float, high: float
) -> float:
    value = options.get(member)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidParameterError(f"{member} must be a number; got {value!r}.")
    if not low <= value <= high:
        raise InvalidParameterError(
            f"{member} must be between {low:g} and {high:g}; got {value:g}."
        )
    return float(value)


def _integer(
    options: Mapping[str, Any],
    member: str,
    default: int,
    low: int,
    high: int | None,
    prefix: str = "",
) -> int:
    value = options.get(member)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterError(f"{prefix}{member} must be an integer; got {value!r}.")
    if value < low or (high is not None and value > high):
        limit = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise InvalidParameterError(f"{prefix}{member} must be {limit}; got {value}.")
    return value


def _mapping(options: Mapping[str, Any], member: str, prefix: str) -> Mapping[str, Any]:
    value = options.get(member)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidParameterError(f"{prefix}{member} must be an object; got {value!r}.")
    return value


def _names(options: Mapping[str, Any], member: str) -> frozenset[str]:
    value = options.get(member)
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidParameterError(
            f"Settings.GeneralLabels.{member} must be a list of names; got {value!r}."
        )
    if len(value) > 100:
        raise InvalidParameterError(
            f"Settings.GeneralLabels.{member} holds {len(value)} names; at most 100 are allowed."
        )
    return frozenset(value)
