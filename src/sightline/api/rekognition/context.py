"""What an operation handler receives besides its request."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sightline.api.rekognition.images import load_image
from sightline.api.services import ApiServices
from sightline.media.image import Image


@dataclass(frozen=True)
class OperationContext:
    """The server's services and who is calling.

    ``caller`` is the access key id, or ``"anonymous"`` when authentication is off.
    """

    services: ApiServices
    operation: str
    caller: str

    def image(self, member: Mapping[str, Any], max_side: int | None, name: str = "Image") -> Image:
        """The request's ``name`` image (Bytes or S3Object), decoded to ``max_side``."""
        return load_image(
            member,
            self.services.store,
            self.services.settings.limits,
            max_side=max_side,
            name=name,
        )


# A handler takes the validated request (blobs decoded to bytes) and returns the
# response document in botocore's output shape. Handlers run on the analysis pool,
# never on the event loop, so they may block.
Handler = Callable[[OperationContext, dict[str, Any]], dict[str, Any]]
