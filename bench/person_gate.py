"""The person gate against the face pass it saves, per 1280x720 video frame.

Video jobs will run the cheap HOG person detector (640 px working size) on every
sampled frame and the face analyzer (dlib HOG at 1280 px, one upsampling) only where
people are. Goal: the gate costs at most a quarter of a face pass. Also prints the
person analyzer's cost on a 640-px image. Frames are generated: smooth texture with a
drawn standing figure, so no sample files are needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import cv2
import numpy as np

from sightline.analyzers.faces import FaceAnalyzer
from sightline.analyzers.person import PersonAnalyzer
from sightline.config import Settings
from sightline.media.image import Image


def _frame(width: int, height: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (height // 16, width // 16, 3), dtype=np.uint8)
    frame = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    h = height // 2
    cx, top, u = width // 3, height // 4, h / 8
    ink = (30, 30, 30)
    cv2.circle(frame, (cx, int(top + 0.55 * u)), int(0.5 * u), ink, -1)
    body = [(-1.0, 1.35), (1.0, 1.35), (0.7, 4.0), (0.6, 7.9), (-0.6, 7.9), (-0.7, 4.0)]
    pts = np.array([(cx + x * u, top + y * u) for x, y in body], np.int32)
    cv2.fillPoly(frame, [pts], ink)
    return np.ascontiguousarray(frame)


def _ms_per_call(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm up caches and lazy allocations
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1000


def main() -> None:
    cv2.setNumThreads(1)  # one core per worker process, as the executors run analyzers
    settings = Settings()
    person, faces = PersonAnalyzer(settings), FaceAnalyzer(settings)
    frames = [Image.from_array(_frame(1280, 720, seed)) for seed in range(3)]
    gate = sum(_ms_per_call(lambda f=f: person.analyze(f), 5) for f in frames) / len(frames)
    face = sum(_ms_per_call(lambda f=f: faces.analyze(f), 2) for f in frames) / len(frames)
    small = Image.from_array(_frame(640, 427, 7))
    print(f"person gate, 1280x720 frame (works at 640x360): {gate:7.1f} ms")
    print(f"face pass,   1280x720 frame (works at 1280x720): {face:7.1f} ms")
    print(f"gate / face pass: {gate / face:.2f}x  (goal <= 0.25x)")
    print(
        f"person analyzer on a 640x427 image: {_ms_per_call(lambda: person.analyze(small), 5):.1f} ms"
    )


if __name__ == "__main__":
    main()
