"""The operation table: Rekognition operation name -> handler, one module per family."""

from __future__ import annotations

from sightline.api.rekognition.context import Handler
from sightline.api.rekognition.operations import collections, customlabels, detect, video

OPERATIONS: dict[str, Handler] = {
    **detect.OPERATIONS,
    **customlabels.OPERATIONS,
    **collections.OPERATIONS,
    **video.OPERATIONS,
}
