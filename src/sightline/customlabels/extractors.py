"""Feature extractors by id: the one place that says which features a model was trained on.

Every trained model records its extractor's id (ONNX metadata ``sightline.extractor``).
Training picks an extractor with :func:`choose_extractor`; inference asks
:func:`extractor_for` for the recorded id and gets the same code back, or a clear
error when it is not available here (a backbone model that was removed, a model trained
by a newer Sightline).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from sightline.config import Settings
from sightline.customlabels.features import HANDCRAFTED_ID, HandcraftedExtractor
from sightline.errors import ModelNotInstalledError


class FeatureExtractor(Protocol):
    """Pixels in, one fixed-length float32 vector out, deterministically."""

    @property
    def id(self) -> str:
        """Names the exact computation; stored with every model trained on it."""
        ...

    @property
    def dims(self) -> int: ...

    def extract(self, pixels: NDArray[np.uint8]) -> NDArray[np.float32]:
        """Features of one upright RGB ``H x W x 3`` image: ``(dims,)`` float32."""
        ...

    def extract_many(self, images: list[NDArray[np.uint8]]) -> NDArray[np.float32]:
        """``N x dims`` features of ``images``."""
        ...


def choose_extractor(settings: Settings) -> FeatureExtractor:
    """The extractor new versions train on (``settings.customlabels.extractor``):
    ``auto`` takes the pulled backbone when there is one, else the handcrafted features.

    Raises:
        ModelNotInstalledError: ``mobilenetv2`` is asked for but not pulled.
    """
    from sightline.customlabels.backbone import (
        BACKBONE,
        BackboneExtractor,
        installed_backbone,
    )

    choice = settings.customlabels.extractor
    if choice == "handcrafted":
        return HandcraftedExtractor()
    model = installed_backbone(settings)
    if model is not None:
        return BackboneExtractor(model, settings)
    if choice == "auto":
        return HandcraftedExtractor()
    raise ModelNotInstalledError(
        f"customlabels.extractor is {BACKBONE}, which is not installed; pull it with "
        f"`sightline models pull {BACKBONE}` or set the extractor to auto or handcrafted."
    )


def extractor_for(extractor_id: str, settings: Settings) -> FeatureExtractor:
    """The extractor a model was trained with, by its recorded id.

    Raises:
        ModelNotInstalledError: no extractor with that id is available here.
    """
    if extractor_id == HANDCRAFTED_ID:
        return HandcraftedExtractor()
    from sightline.customlabels.backbone import SUFFIX, backbone_for

    if SUFFIX + ":" in extractor_id:
        return backbone_for(extractor_id, settings)
    raise ModelNotInstalledError(
        f"The model was trained on features {extractor_id!r}, which this installation "
        f"cannot compute; known: {HANDCRAFTED_ID!r} and pulled backbones."
    )
