"""DetectModerationLabels response shape."""

from __future__ import annotations

import pytest

from sightline.analyzers.types import ModerationLabel, ModerationResult
from sightline.api.rekognition.shapes.moderation import detect_moderation_labels_response
from tests.botocore_shapes import assert_valid_output


def test_detect_moderation_labels_response() -> None:
    result = ModerationResult(
        (
            ModerationLabel("Exposed Male Nipple", "Non-Explicit Nudity", 0.912, 3),
            ModerationLabel(
                "Non-Explicit Nudity", "Non-Explicit Nudity of Intimate parts and Kissing", 0.912, 2
            ),
            ModerationLabel("Non-Explicit Nudity of Intimate parts and Kissing", "", 0.912, 1),
        ),
        "nudenet-3.4.2/320n",
    )
    response = detect_moderation_labels_response(result)
    assert_valid_output("DetectModerationLabels", response)
    assert response["ModerationModelVersion"] == "nudenet-3.4.2/320n"
    first, _, top = response["ModerationLabels"]
    assert first["Confidence"] == pytest.approx(91.2)
    assert (top["ParentName"], top["TaxonomyLevel"]) == ("", 1)


def test_no_labels() -> None:
    response = detect_moderation_labels_response(ModerationResult((), "v"))
    assert response == {"ModerationLabels": [], "ModerationModelVersion": "v"}
    assert_valid_output("DetectModerationLabels", response)
