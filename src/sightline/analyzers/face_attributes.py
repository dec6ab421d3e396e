"""DetectFaces' ``Attributes`` request member, parsed once for analyzer and shapes.

Rekognition always returns the DEFAULT set (BoundingBox, Confidence, Pose, Quality,
Landmarks). ``["ALL"]`` adds every attribute; newer Rekognition also accepts specific
names (``["EYES_OPEN", "SMILE"]``, with or without ``"DEFAULT"``) to add just those.
Names we accept but have no model for (AGE_RANGE, GENDER, BEARD, ...) add nothing:
an attribute without a model behind it is omitted, never invented.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sightline.errors import InvalidParameterError

# Every named attribute in botocore's ``Attribute`` enum, besides DEFAULT and ALL.
NAMED_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "AGE_RANGE",
        "BEARD",
        "EMOTIONS",
        "EYE_DIRECTION",
        "EYEGLASSES",
        "EYES_OPEN",
        "GENDER",
        "MOUTH_OPEN",
        "MUSTACHE",
        "FACE_OCCLUDED",
        "SMILE",
        "SUNGLASSES",
    }
)
# The attributes this analyzer measures from landmark geometry.
GEOMETRY_ATTRIBUTES: frozenset[str] = frozenset({"EYES_OPEN", "MOUTH_OPEN", "SMILE"})


def requested_attributes(value: Any) -> frozenset[str]:
    """The named attributes asked for beyond DEFAULT; ``ALL`` expands to every name.

    ``value`` is the request's ``Attributes`` member: None (DEFAULT), a list of names,
    or a set already returned by this function.

    Raises:
        InvalidParameterError: not a list of strings, or an unknown name.
    """
    if value is None:
        return frozenset()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidParameterError(
            f"Attributes must be a list of attribute names, got {type(value).__name__}."
        )
    names: set[str] = set()
    for item in value:
        if not isinstance(item, str):
            raise InvalidParameterError(
                f"Attributes must hold strings; got {type(item).__name__} {item!r}."
            )
        if item == "ALL":
            names |= NAMED_ATTRIBUTES
        elif item in NAMED_ATTRIBUTES:
            names.add(item)
        elif item != "DEFAULT":
            allowed = ", ".join(["DEFAULT", "ALL", *sorted(NAMED_ATTRIBUTES)])
            raise InvalidParameterError(
                f"Unknown face attribute {item!r} in Attributes; choose from {allowed}."
            )
    return frozenset(names)
