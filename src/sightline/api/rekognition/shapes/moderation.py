"""DetectModerationLabels' response: ``ModerationLabels`` and ``ModerationModelVersion``.

``ContentTypes`` (animated / illustrated) is omitted: no installed model tells them.
"""

from __future__ import annotations

from typing import Any

from sightline.analyzers.types import ModerationLabel, ModerationResult
from sightline.api.rekognition.shapes.common import percent


def moderation_label(label: ModerationLabel) -> dict[str, Any]:
    """One ``ModerationLabel``; top-level labels carry ``ParentName: ""`` as Rekognition's do."""
    return {
        "Confidence": percent(label.confidence),
        "Name": label.name,
        "ParentName": label.parent_name,
        "TaxonomyLevel": label.taxonomy_level,
    }


def detect_moderation_labels_response(result: ModerationResult) -> dict[str, Any]:
    """The whole DetectModerationLabels response."""
    return {
        "ModerationLabels": [moderation_label(label) for label in result.labels],
        "ModerationModelVersion": result.model_version,
    }
