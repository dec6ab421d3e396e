"""Video clips encoded in code with PyAV for the video tests; sample scenes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from tests.conftest import rgb

Pixels = NDArray[np.uint8]

CHELSEA = rgb("chelsea.png")  # 300 x 451
ROCKET = rgb("rocket.jpg")  # 427 x 640
CLIP_SIZE = (320, 180)


def write_clip(
    path: Path,
    scene_at: Callable[[float], Pixels],
    seconds: float,
    codec: str,
    *,
    fps: int = 30,
    faststart: bool = False,
) -> None:
    """Encode ``scene_at(t)`` (RGB at :data:`CLIP_SIZE`) for ``seconds`` at ``fps``.

    ``faststart`` writes the MP4 index first, so a cut-off file still opens.
    """
    width, height = CLIP_SIZE
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(scene_at(i / fps), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


def brief_scene(t: float) -> Pixels:
    """0.5 s black, chelsea until 2.0 s, a hard cut to rocket until 3.5 s, 0.5 s black."""
    width, height = CLIP_SIZE
    if t < 0.5 or t >= 3.5:
        return np.zeros((height, width, 3), np.uint8)
    image = CHELSEA if t < 2.0 else ROCKET
    return np.asarray(cv2.resize(image, CLIP_SIZE, interpolation=cv2.INTER_AREA), np.uint8)
