"""Parallel workflow branches in threads against one after another, in one worker.

The question (decisions.md, Workflows): should a ``parallel`` step run its branches in
threads of the worker process, or in sequence? Two definitions on real images, each
run with both engines alternately, side by side: ``image-album`` (labels and
thumbnails) and a wide one (labels, faces, text, moderation, thumbnails). Analyzers
run with ``cv2.setNumThreads(1)``, as in worker processes. Prints the mean wall time
per image and the threads/sequence ratio, with the load average (other work on the
machine shrinks what threads can win).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import cv2

from sightline.analyzers.base import AnalyzerPool
from sightline.config import Settings
from sightline.pipeline.ingest import upload
from sightline.pipeline.workflows.actions import ACTIONS
from sightline.pipeline.workflows.engine import WorkflowEngine
from sightline.pipeline.workflows.stage import WorkflowStage
from sightline.runtime import Runtime
from sightline.storage import MemoryStore

WIDE = """
name = "wide"
start_at = "extract-metadata"

[steps.extract-metadata]
type = "task"
action = "extract-metadata"
next = "analyse"

[steps.analyse]
type = "parallel"
next = "store-results"
{branches}

[steps.store-results]
type = "task"
action = "store-results"
end = true
"""
BRANCH = """
[[steps.analyse.branches]]
start_at = "{name}"
[steps.analyse.branches.steps.{name}]
type = "task"
action = "{name}"
end = true
"""
WIDE_ACTIONS = [
    "detect-labels",
    "detect-faces",
    "detect-text",
    "detect-moderation-labels",
    "thumbnail",
]
IMAGES = ["astronaut.png", "coffee.png", "page.png"]


def _sample(name: str) -> bytes:
    import skimage.data

    return (Path(skimage.data.__file__).parent / name).read_bytes()


def main() -> None:
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as tmp:
        wide = Path(tmp) / "wide.toml"
        wide.write_text(WIDE.format(branches="".join(BRANCH.format(name=n) for n in WIDE_ACTIONS)))
        settings = Settings(
            data_dir=Path(tmp) / "data",
            pipeline={
                "workflows": {"wide": wide},
                "rules": [
                    {"prefix": "album/", "workflow": "image-album"},
                    {"prefix": "wide/", "workflow": "wide"},
                ],
            },
        )
        rt = Runtime.open(settings, store=MemoryStore())
        rt.ensure_buckets()
        pool = AnalyzerPool(settings)
        stages = {
            mode: WorkflowStage(
                rt, pool, actions=dict(ACTIONS), engine=WorkflowEngine(ACTIONS, threads=threads)
            )
            for mode, threads in (("threads", True), ("sequence", False))
        }
        print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores shared)")
        for prefix in ("album/", "wide/"):
            times: dict[str, list[float]] = {"threads": [], "sequence": []}
            for round_ in range(3):
                for image in IMAGES:
                    for mode in ("threads", "sequence") if round_ % 2 else ("sequence", "threads"):
                        key = f"{prefix}{mode}-{round_}-{image}"
                        upload(rt.store, rt.catalog, "content", key, _sample(image))
                        (task,) = rt.tasks.claim(["workflow"], 1, owner="bench", lease=600).tasks
                        start = time.perf_counter()
                        outcome = stages[mode].run(task, "bench")
                        elapsed = time.perf_counter() - start
                        assert outcome == "succeeded", outcome
                        if round_:  # the first round loads the models
                            times[mode].append(elapsed)
            t, s = statistics.mean(times["threads"]), statistics.mean(times["sequence"])
            print(
                f"{prefix:7} threads {t * 1000:7.0f} ms/image   sequence {s * 1000:7.0f} ms/image"
                f"   threads/sequence {t / s:.2f}x"
            )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        rt.close()


if __name__ == "__main__":
    main()
