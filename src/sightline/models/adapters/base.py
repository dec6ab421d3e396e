"""What adapters return: one canonical type per task, in full-resolution pixels.

Every adapter runs ``pre_process -> forward -> post_process``: the first and last are
pure numpy (and testable without a model), ``forward`` is one call on a
:class:`~sightline.models.sessions.ModelSession`. Boxes and points are in the
full-resolution, upright frame of the :class:`~sightline.media.image.Image` passed in,
whatever scale the model worked at; confidences are 0-1.
"""

from __future__ import annotations

from dataclasses import dataclass

from sightline.analyzers.types import Box, Point


@dataclass(frozen=True)
class Detection:
    """One object found by a detector. ``label`` is the model's own class name."""

    box: Box
    confidence: float
    class_id: int
    label: str


@dataclass(frozen=True)
class Classification:
    """One class of a whole-image classifier.

    ``label`` is the class's common name; ``aliases`` its other names (ImageNet classes
    carry WordNet synonyms: ``tabby, tabby cat`` gives ``tabby`` and ``("tabby cat",)``).
    """

    class_id: int
    label: str
    confidence: float
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class FaceDetection:
    """A face from a landmark-giving detector (YuNet).

    ``landmarks`` are the 5 template points: image-left eye, image-right eye, nose tip,
    image-left mouth corner, image-right mouth corner (for an upright face: the subject's
    right eye first, YuNet's order).
    """

    box: Box
    confidence: float
    landmarks: tuple[Point, ...]


def split_synonyms(name: str) -> tuple[str, tuple[str, ...]]:
    """``"tabby, tabby cat"`` -> ``("tabby", ("tabby cat",))``."""
    parts = [p.strip() for p in name.split(",") if p.strip()]
    if not parts:
        return name, ()
    return parts[0], tuple(parts[1:])
