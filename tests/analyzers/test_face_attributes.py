"""DetectFaces' Attributes member: DEFAULT, ALL and specific names."""

from __future__ import annotations

from typing import Any

import pytest

from sightline.analyzers.face_attributes import NAMED_ATTRIBUTES, requested_attributes
from sightline.errors import InvalidParameterError
from tests.botocore_shapes import rekognition_model


def test_named_attributes_are_botocores_enum() -> None:
    enum = set(rekognition_model().shape_for("Attribute").enum)
    assert enum - {"DEFAULT", "ALL"} == NAMED_ATTRIBUTES


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, set()),  # member absent: DEFAULT
        ([], set()),
        (["DEFAULT"], set()),
        (["ALL"], NAMED_ATTRIBUTES),
        (["ALL", "DEFAULT"], NAMED_ATTRIBUTES),  # Rekognition: the larger set
        (["SMILE"], {"SMILE"}),
        (["DEFAULT", "EYES_OPEN", "MOUTH_OPEN"], {"EYES_OPEN", "MOUTH_OPEN"}),
        (frozenset({"SMILE"}), {"SMILE"}),  # already parsed
    ],
)
def test_requested_attributes(value: Any, expected: set[str]) -> None:
    assert requested_attributes(value) == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("ALL", "list of attribute names"),  # a bare string
        ([1], "hold strings"),
        (["smile"], "'smile'"),  # names are case-sensitive, as on the wire
    ],
)
def test_bad_attributes_are_refused(value: Any, words: str) -> None:
    with pytest.raises(InvalidParameterError, match=words):
        requested_attributes(value)
