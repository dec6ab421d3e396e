"""Pipeline overhead per image: ingest to stored result vs calling the analyzer directly.

Goal (issue 3): <= 5 ms of overhead per image.

Both paths run in this process on the same generated JPEGs with the same analyzer
instance (models loaded before timing):

- direct: ``decode_image`` + ``analyze`` + the response shape, per image;
- pipeline: ``upload`` into the local store (catalog row, routing, task) and then a
  worker loop draining the queue (claim, read, decode, analyse, write
  ``response.json``, store the result, settle item and task), on the embedded
  default (SQLite + folders).

The overhead is the difference per image. Time spent inside ``analyze`` is also
measured in the pipeline run, so the pipeline's own cost can be read without the
analyzer's run-to-run noise.

    python -m bench pipeline                   # faces on 200 images
    BENCH_ANALYSIS=moderation BENCH_IMAGES=100 python -m bench pipeline
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage

from sightline.analyzers.base import AnalyzerPool
from sightline.config import Settings
from sightline.media.decode import decode_image
from sightline.pipeline.analyzer_set import AnalyzerSet
from sightline.pipeline.ingest import upload
from sightline.pipeline.stages import build_stages
from sightline.pipeline.worker import WorkerLoop
from sightline.runtime import Runtime
from sightline.storage import LocalStore


def images(n: int, width: int = 640, height: int = 480) -> list[bytes]:
    rng = np.random.default_rng(7)
    out = []
    for i in range(n):
        pixels = np.empty((height, width, 3), np.uint8)
        pixels[:] = rng.integers(0, 256, 3, dtype=np.uint8)
        for _ in range(6):  # a few blocks, so each image differs and compresses like a photo
            x, y = rng.integers(0, width - 80), rng.integers(0, height - 80)
            pixels[y : y + 80, x : x + 80] = rng.integers(0, 256, 3, dtype=np.uint8)
        pixels[i % height, :] = 255
        buf = io.BytesIO()
        PILImage.fromarray(pixels).save(buf, "JPEG", quality=85)
        out.append(buf.getvalue())
    return out


class Timed:
    """Wraps an analyzer to add up the time spent inside ``analyze``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0

    def analyze(self, image: Any, options: Any = None) -> Any:
        started = time.perf_counter()
        try:
            return self.inner.analyze(image, options)
        finally:
            self.seconds += time.perf_counter() - started

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def main() -> None:
    analysis = os.environ.get("BENCH_ANALYSIS", "faces")
    n = int(os.environ.get("BENCH_IMAGES", "200"))
    data = images(n)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings(data_dir=root / "data", models={"model_dir": root / "models"})
        pool = AnalyzerPool(settings)
        analyzers = AnalyzerSet(settings, pool)
        spec = analyzers.spec(analysis)
        analyzer = analyzers.analyzer(analysis)
        _, side = analyzers.decode_plan([analysis])
        # Warm up: models loaded, first-call costs paid, outside the timings.
        for blob in data[:3]:
            analyzers.run(blob, [analysis])

        started = time.perf_counter()
        for blob in data:
            image = decode_image(
                blob, settings.limits, max_side=side, max_bytes=settings.limits.max_object_bytes
            )
            result = analyzer.analyze(image, spec.options)
            analyzers.document(analyzer, analysis, result, image.info, spec.options)
        direct = time.perf_counter() - started

        rt = Runtime.open(settings, store=LocalStore(root / "data" / "storage"))
        rt.ensure_buckets()
        stages = build_stages(rt, pool, ["image"])
        timed = Timed(analyzer)
        stages["image"].analyzers.override(analysis, timed)  # the same instance, timed
        started = time.perf_counter()
        for i, blob in enumerate(data):
            upload(rt.store, rt.catalog, "content", f"{analysis}/img-{i:04}.jpg", blob)
        ingested = time.perf_counter()
        loop = WorkerLoop(rt.tasks, stages, owner="bench", batch_size=8, idle_poll=0.001)
        loop.run(until_idle=True)
        pipeline = time.perf_counter() - started
        done = rt.catalog.counts()
        rt.close()
    assert done == {"SUCCEEDED": n}, done
    over = (pipeline - direct) / n * 1000
    inside = (pipeline - timed.seconds) / n * 1000
    print(f"analysis: {analysis} on {n} generated 640x480 JPEGs")
    print(f"direct   (decode + analyze + shape)      : {direct / n * 1000:7.2f} ms/image")
    print(
        f"pipeline (ingest -> stored result)       : {pipeline / n * 1000:7.2f} ms/image "
        f"(ingest {(ingested - started) / n * 1000:.2f} ms)"
    )
    print(
        f"overhead, pipeline - direct              : {over:7.2f} ms/image "
        f"(goal <= 5 ms: {'met' if over <= 5 else 'NOT met'})"
    )
    print(
        f"pipeline time outside the analyzer       : {inside:7.2f} ms/image "
        f"(decode, storage, database, JSON)"
    )
    print(f"ratio pipeline / direct                  : {pipeline / direct:7.3f}")


if __name__ == "__main__":
    main()
