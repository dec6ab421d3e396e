"""Custom labels: what training costs, what serving through an inference unit adds, and
what an idle scheduled run costs.

Side by side, on the generated 3-class texture dataset (40 images a class, 96 px):

- the classifier per image in ONNX Runtime vs scikit-learn's ``predict_proba`` on the
  same features (goal: ONNX Runtime no slower, ratio <= 1.0x);
- DetectCustomLabels through a running version's unit process (pipe round trip, decode,
  features, ONNX) vs the same model called in-process (goal: <= 1.25x);
- a scheduled run with an empty queue vs a run with 30 images (the empty run must not
  load the model: its cost is a listing and a count).

Also prints the training time and F1, and the unit's resident memory idle, loaded and
after unloading.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from tests.customlabels import synthetic

from sightline.config import Settings
from sightline.customlabels.batch_runner import BatchRunner
from sightline.customlabels.batches import create_batch
from sightline.customlabels.classifier import fit_classifier, to_onnx
from sightline.customlabels.dataset_import import import_folder
from sightline.customlabels.features import (
    HandcraftedExtractor,
    custom_label_limits,
    decode_for_features,
)
from sightline.customlabels.host import VersionHost
from sightline.customlabels.model import CustomLabelModel
from sightline.customlabels.projects import create_project
from sightline.customlabels.trainer import TrainingStage
from sightline.customlabels.versions import (
    TRAIN_KIND,
    create_version,
    describe_version,
    request_start,
    request_stop,
)
from sightline.runtime import Runtime


def _ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1000


def main() -> None:
    cv2.setNumThreads(1)
    root = Path(tempfile.mkdtemp(prefix="sightline-bench-cl-"))
    settings = Settings(data_dir=root / "data", models={"model_dir": root / "models"})
    rt = Runtime.open(settings)
    data = synthetic.dataset(40, seed=7)
    folder = root / "images"
    for n, (label, image) in enumerate(data):
        (folder / label).mkdir(parents=True, exist_ok=True)
        (folder / label / f"{n:03d}.jpg").write_bytes(image)

    project = create_project(rt, "bench")
    import_folder(rt, project, "TRAIN", folder)
    arn = create_version(rt, project, "v1")
    claim = rt.tasks.claim([TRAIN_KIND], 1, owner="bench", lease=3600)
    start = time.perf_counter()
    TrainingStage(rt).run(claim.tasks[0], "bench")
    trained = time.perf_counter() - start
    v = describe_version(rt, arn)
    print(f"training on 120 images: {trained:.1f} s ({v.classifier}), held-out F1 {v.f1:.3f}")

    # 1. the classifier: ONNX Runtime vs scikit-learn, one image at a time
    extractor = HandcraftedExtractor()
    limits = custom_label_limits(settings)
    pixels = [decode_for_features(d, limits) for _, d in data]
    features = extractor.extract_many(pixels)
    fitted = fit_classifier(features, [label for label, _ in data], ["boosting"])
    model = CustomLabelModel(to_onnx(fitted, features, extractor.id), settings)
    rows = [features[i : i + 1] for i in range(0, len(features), 4)]
    ort_ms = np.mean([_ms(lambda r=r: model.probabilities(r), 20) for r in rows])
    skl_ms = np.mean([_ms(lambda r=r: fitted.predict_proba(r), 20) for r in rows])
    print(f"classifier per image: ONNX Runtime {ort_ms:.3f} ms, scikit-learn {skl_ms:.3f} ms")
    print(f"ONNX Runtime / scikit-learn: {ort_ms / skl_ms:.2f}x  (goal <= 1.0x)")
    feat_ms = _ms(lambda: extractor.extract(pixels[0]), 50)
    print(f"features per image (decoded 96 px, computed at 128 px): {feat_ms:.2f} ms")

    # 2. DetectCustomLabels in-process vs through the running version's unit
    host = VersionHost(rt)
    version = CustomLabelModel(describe_model_bytes(rt, arn), settings)
    request_start(rt, arn, 1)
    host.start(arn)
    images = [d for _, d in data[::10]]
    local = np.mean([_ms(lambda d=d: version.detect(d), 10) for d in images])
    served = np.mean([_ms(lambda d=d: host.detect(arn, d), 10) for d in images])
    print(f"DetectCustomLabels: in-process {local:.2f} ms, through the unit {served:.2f} ms")
    print(f"unit / in-process: {served / local:.2f}x  (goal <= 1.25x)")
    request_stop(rt, arn)
    host.stop(arn)
    (memory,) = describe_version(rt, arn).memory["units"]  # type: ignore[index]
    print(
        f"unit RSS: idle {memory['idle'] / 1e6:.1f} MB, loaded {memory['loaded'] / 1e6:.1f} MB, "
        f"unloaded {memory['unloaded'] / 1e6:.1f} MB, then the process exits"
    )

    # 3. an idle scheduled run vs a run with work
    rt.store.ensure_bucket("bench-src")
    create_batch(rt, "bench", arn, source_bucket="bench-src", final_bucket="bench-final")
    runner = BatchRunner(host)
    start = time.perf_counter()
    empty = runner.run("bench")
    idle_s = time.perf_counter() - start
    for i, (_, image) in enumerate(data[:30]):
        rt.store.put("bench-src", f"{i:02d}.jpg", image)
    start = time.perf_counter()
    busy = runner.run("bench")
    busy_s = time.perf_counter() - start
    print(
        f"scheduled run, empty queue: {idle_s * 1000:.0f} ms, model loaded {empty.model_loads}x; "
        f"30 images: {busy_s:.2f} s ({30 / busy_s:.1f} images/s incl. start and stop), "
        f"model loaded {busy.model_loads}x"
    )
    print(f"empty run / busy run: {idle_s / busy_s:.3f}x  (the idle model costs nothing)")
    host.close()
    rt.close()


def describe_model_bytes(rt: Runtime, arn: str) -> bytes:
    from sqlalchemy import select

    from sightline.customlabels.db import reading
    from sightline.customlabels.versions import find_version
    from sightline.db.models.customlabels import ClVersion

    with reading(rt.engine) as s:
        _, row = find_version(s, arn)
        data = s.scalar(select(ClVersion.model).where(ClVersion.id == row.id))
    assert data is not None
    return data
