"""botocore's Rekognition service model: the one source of operation names and shapes.

The server reads the same JSON model that the client's botocore uses, so request
validation and response shapes follow the installed botocore release exactly.
"""

from __future__ import annotations

from functools import lru_cache

import botocore.session
from botocore.model import OperationModel, ServiceModel

from sightline.errors import UnknownOperationError

# The JSON 1.1 protocol's header: "RekognitionService.DetectFaces".
TARGET_PREFIX = "RekognitionService"


@lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    """Rekognition's service model as shipped with the installed botocore."""
    return botocore.session.get_session().get_service_model("rekognition")


@lru_cache(maxsize=1)
def operation_names() -> frozenset[str]:
    """Every operation the service model defines (whether or not Sightline serves it)."""
    return frozenset(service_model().operation_names)


def operation_model(name: str) -> OperationModel:
    """The model of operation ``name``; :class:`UnknownOperationError` if it has none."""
    if name not in operation_names():
        raise UnknownOperationError(f"{name!r} is not a Rekognition operation.")
    return service_model().operation_model(name)


def parse_target(header: str | None) -> str:
    """The operation name in an ``X-Amz-Target`` header value.

    Raises:
        UnknownOperationError: the header is missing, has another service's prefix,
            or names no Rekognition operation.
    """
    if not header:
        raise UnknownOperationError(
            "The request has no X-Amz-Target header; Rekognition requests name their "
            f"operation as 'X-Amz-Target: {TARGET_PREFIX}.<Operation>'."
        )
    prefix, _, name = header.strip().rpartition(".")
    if prefix != TARGET_PREFIX:
        raise UnknownOperationError(
            f"X-Amz-Target {header!r} is not a Rekognition operation; expected "
            f"'{TARGET_PREFIX}.<Operation>'."
        )
    if name not in operation_names():
        raise UnknownOperationError(f"{name!r} is not a Rekognition operation.")
    return name
