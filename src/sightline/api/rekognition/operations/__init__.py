"""The operation table: Rekognition operation name -> handler, one module per family."""

from __future__ import annotations

from sightline.api.rekognition.context import Handler

OPERATIONS: dict[str, Handler] = {}
