"""What an operation handler receives besides its request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sightline.api.services import ApiServices


@dataclass(frozen=True)
class OperationContext:
    """The server's services and who is calling.

    ``caller`` is the access key id, or ``"anonymous"`` when authentication is off.
    """

    services: ApiServices
    operation: str
    caller: str


# A handler takes the validated request (blobs decoded to bytes) and returns the
# response document in botocore's output shape. Handlers run on the analysis pool,
# never on the event loop, so they may block.
Handler = Callable[[OperationContext, dict[str, Any]], dict[str, Any]]
