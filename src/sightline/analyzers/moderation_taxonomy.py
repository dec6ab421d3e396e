"""Rekognition's content-moderation taxonomy (model 7) and NudeNet's place in it.

Pure data and one pure function, so the mapping is testable without a model.

Rekognition labels are three levels deep (L1 > L2 > L3) and a response carries every
ancestor of a detected label, each with the highest confidence among its detected
descendants. :data:`TAXONOMY` holds the nudity-related part of the tree (the part a
body-part detector can speak to); :data:`NUDENET_LABELS` maps NudeNet's classes onto
it. Classes in :data:`NUDENET_IGNORED` are not moderation labels. See
docs/decisions.md for the table and its limits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sightline.analyzers.types import ModerationLabel

EXPLICIT = "Explicit"
NON_EXPLICIT = "Non-Explicit Nudity of Intimate parts and Kissing"
SWIMWEAR = "Swimwear or Underwear"


@dataclass(frozen=True)
class TaxonomyNode:
    name: str
    parent: str  # "" for a top-level (L1) label
    level: int


def _tree(spec: dict[str, dict[str, tuple[str, ...]]]) -> dict[str, TaxonomyNode]:
    nodes: dict[str, TaxonomyNode] = {}
    for top, seconds in spec.items():
        nodes[top] = TaxonomyNode(top, "", 1)
        for second, thirds in seconds.items():
            nodes[second] = TaxonomyNode(second, top, 2)
            for third in thirds:
                nodes[third] = TaxonomyNode(third, second, 3)
    return nodes


# The nudity-related L1 categories of Rekognition's moderation model 7, in full.
TAXONOMY: dict[str, TaxonomyNode] = _tree(
    {
        EXPLICIT: {
            "Explicit Nudity": (
                "Exposed Male Genitalia",
                "Exposed Female Genitalia",
                "Exposed Buttocks or Anus",
                "Exposed Female Nipple",
            ),
            "Explicit Sexual Activity": (),
            "Sex Toys": (),
        },
        NON_EXPLICIT: {
            "Non-Explicit Nudity": (
                "Bare Back",
                "Exposed Male Nipple",
                "Partially Exposed Buttocks",
                "Partially Exposed Female Breast",
                "Implied Nudity",
            ),
            "Obstructed Intimate Parts": ("Obstructed Female Nipple", "Obstructed Male Genitalia"),
            "Kissing on the Lips": (),
        },
        SWIMWEAR: {
            "Female Swimwear or Underwear": (),
            "Male Swimwear or Underwear": (),
        },
    }
)

# NudeNet class -> the most specific Rekognition label it is evidence for.
NUDENET_LABELS: dict[str, str] = {
    "FEMALE_GENITALIA_EXPOSED": "Exposed Female Genitalia",
    "MALE_GENITALIA_EXPOSED": "Exposed Male Genitalia",
    "BUTTOCKS_EXPOSED": "Exposed Buttocks or Anus",
    "ANUS_EXPOSED": "Exposed Buttocks or Anus",
    # NudeNet has no nipple class; an exposed female breast is what it detects.
    "FEMALE_BREAST_EXPOSED": "Exposed Female Nipple",
    "MALE_BREAST_EXPOSED": "Exposed Male Nipple",
}

# NudeNet classes that are not moderation labels: faces, ordinary skin, and body
# parts under clothing (NudeNet cannot tell swimwear or underwear from other cover).
NUDENET_IGNORED: frozenset[str] = frozenset(
    {
        "FACE_FEMALE",
        "FACE_MALE",
        "FEET_EXPOSED",
        "FEET_COVERED",
        "BELLY_EXPOSED",
        "BELLY_COVERED",
        "ARMPITS_EXPOSED",
        "ARMPITS_COVERED",
        "FEMALE_BREAST_COVERED",
        "FEMALE_GENITALIA_COVERED",
        "BUTTOCKS_COVERED",
        "ANUS_COVERED",
    }
)


def moderation_labels(
    detections: Iterable[tuple[str, float]], min_confidence: float = 0.5
) -> tuple[ModerationLabel, ...]:
    """Rekognition moderation labels from ``(nudenet_class, score)`` detections.

    Each mapped detection supports its label and every ancestor; a label's confidence
    is the highest score supporting it. Labels under ``min_confidence`` (0-1) are
    dropped. Unmapped classes contribute nothing. Order: most confident first, the
    deeper label first on ties, then by name.
    """
    best: dict[str, float] = {}
    for cls, score in detections:
        name: str = NUDENET_LABELS.get(cls, "")
        while name:
            best[name] = max(best.get(name, 0.0), float(score))
            name = TAXONOMY[name].parent
    labels = [
        ModerationLabel(
            name=name,
            parent_name=TAXONOMY[name].parent,
            confidence=confidence,
            taxonomy_level=TAXONOMY[name].level,
        )
        for name, confidence in best.items()
        if confidence >= min_confidence
    ]
    labels.sort(key=lambda label: (-label.confidence, -label.taxonomy_level, label.name))
    return tuple(labels)
