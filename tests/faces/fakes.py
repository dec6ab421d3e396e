"""A stand-in for the faces analyzer: coloured squares are faces, colour is identity.

It exercises the real service, store, index and shapes code paths in milliseconds, on
both databases, without loading dlib. Each bright square on a black canvas is one
face; its colour (quantised to 32 levels a channel) picks a fixed random direction in
128-d, so two squares of one colour are the same person (distance ~0.01) and two
colours are different people (distance ~1.4, far past dlib's 0.6).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import cv2
import numpy as np
from numpy.typing import NDArray

from sightline.analyzers.types import Box, Face, FaceQuality, FacesResult, Pose
from sightline.media.image import Image


class FakeFaces:
    name: ClassVar[str] = "faces"
    max_side: ClassVar[int | None] = None

    def __init__(self) -> None:
        self.embedding_model_version = "fake-colour-v1"

    def detect(self, image: Image) -> list[Face]:
        mask = (image.pixels.max(axis=2) > 20).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        faces = []
        for x, y, w, h, area in stats[1:count]:
            if area < 64:
                continue
            crop = image.pixels[y : y + h, x : x + w]
            brightness = float(crop.mean()) / 255 * 100
            faces.append(
                Face(
                    box=Box(float(x), float(y), float(x + w), float(y + h)),
                    confidence=0.99,
                    pose=Pose(0.0, 0.0, 0.0),
                    quality=FaceQuality(brightness=brightness, sharpness=80.0),
                )
            )
        faces.sort(key=lambda f: f.box.area, reverse=True)
        return faces

    def analyze(self, image: Image, options: Mapping[str, Any] | None = None) -> FacesResult:
        return FacesResult(tuple(self.detect(image)), "fake")

    def embed(self, image: Image, faces: Sequence[Face]) -> list[NDArray[np.float32]]:
        out = []
        for face in faces:
            b = face.box
            crop = image.pixels[int(b.y0) : int(b.y1), int(b.x0) : int(b.x1)].reshape(-1, 3)
            colour = crop.max(axis=0).astype(int)  # brightness-independent: the hue
            scale = colour.max() / 255.0
            levels = (np.round(colour / max(scale, 1e-3)) // 32).astype(int)
            seed = int(levels[0] * 64 + levels[1] * 8 + levels[2])
            v = np.random.default_rng(seed).standard_normal(128)
            v /= np.linalg.norm(v)
            jitter = np.random.default_rng(int(b.width)).standard_normal(128) * 0.001
            out.append((v + jitter).astype(np.float32))
        return out

    def versions(self) -> dict[str, str]:
        return {"fake": "1"}


class FakePool:
    def __init__(self) -> None:
        self.faces = FakeFaces()

    def get(self, name: str) -> Any:
        assert name == "faces", name
        return self.faces

    def max_side(self, names: list[str]) -> int | None:
        return None


RED = (250, 30, 30)
GREEN = (30, 250, 30)
BLUE = (30, 30, 250)
YELLOW = (250, 250, 30)
CYAN = (30, 250, 250)
MAGENTA = (250, 30, 250)


def canvas(*squares: tuple[int, int, int, tuple[int, int, int]], size: int = 200) -> Image:
    """A black image with squares (x, y, side, colour): each square is one face."""
    pixels = np.zeros((size, size, 3), np.uint8)
    for x, y, side, colour in squares:
        pixels[y : y + side, x : x + side] = colour
    return Image.from_array(pixels)
