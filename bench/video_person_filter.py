"""The video person filter: face analysis with and without it, on one clip, one run.

A 1280x720 clip (generated: coffee.png panning with grain, 30 s at 10 fps) shows the
astronaut for its middle third only. ``StartFaceDetection`` runs over it twice per
round, filter on and off, interleaved; each round prints both times, the share of
sampled frames the face pass ran on, and the saving. The detections must be the same
both ways (the frames the filter skips have no face).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from fractions import Fraction

import av
import cv2
import numpy as np

from sightline.analyzers.base import AnalyzerPool
from sightline.config import Settings
from sightline.video.apis import FACES, TIMESTAMPS
from sightline.video.runner import VideoOutput, analyze_video

SIZE = (1280, 720)
DURATION_S = 30
FPS = 10
VISIBLE = (10.0, 20.0)  # a third of the clip
ROUNDS = 2


def _images() -> tuple[np.ndarray, np.ndarray]:
    import skimage.data

    background = cv2.resize(np.asarray(skimage.data.coffee()), (SIZE[0] + 200, SIZE[1]))
    person = cv2.resize(np.asarray(skimage.data.astronaut()), (560, 560))
    return background, person


def write_clip(path: str) -> None:
    background, person = _images()
    rng = np.random.default_rng(0)
    with av.open(path, "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, FPS)
        stream.options = {"g": str(2 * FPS), "preset": "veryfast"}
        for i in range(DURATION_S * FPS):
            t = i / FPS
            shift = int(t * 6) % 200
            frame = np.ascontiguousarray(background[:, shift : shift + SIZE[0]])
            if VISIBLE[0] <= t < VISIBLE[1]:
                frame[100:660, 360:920] = person
            noise = rng.integers(-4, 5, frame.shape, dtype=np.int16)
            frame = np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _run(
    path: str, settings: Settings, pool: AnalyzerPool, person_filter: bool
) -> tuple[float, VideoOutput]:
    video = settings.video.model_copy(update={"person_filter": person_filter})
    configured = settings.model_copy(update={"video": video})
    start = time.perf_counter()
    output = analyze_video(path, FACES, {}, configured, pool)
    return time.perf_counter() - start, output


def main() -> None:
    cv2.setNumThreads(1)  # one core per worker process, as the executors run analyzers
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "people-third.mp4")
        write_clip(path)
        settings = Settings(data_dir=os.path.join(tmp, "data"))
        pool = AnalyzerPool(settings)
        _run(path, settings, pool, True)  # load the models outside the timing
        on_times, off_times = [], []
        for n in range(ROUNDS):
            on, filtered = _run(path, settings, pool, True)
            off, unfiltered = _run(path, settings, pool, False)
            on_times.append(on)
            off_times.append(off)
            frames = filtered.details["frames"]
            same = [r.record for r in filtered.records[TIMESTAMPS]] == [
                r.record for r in unfiltered.records[TIMESTAMPS]
            ]
            print(
                f"round {n + 1}: filter on {on:6.1f} s (face pass on {frames['analysed']}/"
                f"{frames['frames']} frames), off {off:6.1f} s; saved {1 - on / off:6.1%}; "
                f"same detections: {same}"
            )
        on_m, off_m = statistics.median(on_times), statistics.median(off_times)
        print(
            f"median: filter on {on_m:.1f} s, off {off_m:.1f} s -> face-analysis cost saved "
            f"{1 - on_m / off_m:.1%} with people in a third of the clip"
        )
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
