"""The whole custom-labels flow on PostgreSQL: dataset from a manifest, training, a unit
that loads the model from the database, DetectCustomLabels, a batch run, stop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sightline.config import Settings
from sightline.customlabels.batch_runner import BatchRunner
from sightline.customlabels.batches import create_batch
from sightline.customlabels.datasets import create_dataset, describe_dataset
from sightline.customlabels.host import VersionHost
from sightline.customlabels.projects import create_project
from sightline.customlabels.versions import (
    RUNNING,
    STOPPED,
    TRAINING_COMPLETED,
    create_version,
    describe_version,
    request_start,
    request_stop,
)
from sightline.runtime import Runtime
from tests.customlabels import synthetic
from tests.customlabels.fixtures import run_training


@pytest.mark.postgres
def test_flow_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url)
    rt = Runtime.open(settings)
    host = VersionHost(rt)
    try:
        _flow(rt, host)
    finally:
        host.close()
        rt.close()


def _flow(rt: Runtime, host: VersionHost) -> None:
    store = rt.store
    store.ensure_bucket("pgb")
    lines = []
    for i, (label, data) in enumerate(synthetic.dataset(6, seed=41)):
        store.put("pgb", f"train/{i}.jpg", data)
        meta = {"class-name": label, "type": "groundtruth/image-classification"}
        lines.append(
            json.dumps({"source-ref": f"s3://pgb/train/{i}.jpg", "t": 0, "t-metadata": meta})
        )
    store.put("pgb", "train.manifest", "\n".join(lines).encode())
    project = create_project(rt, "pg")
    dataset = create_dataset(rt, project, "TRAIN", manifest=("pgb", "train.manifest"))
    assert describe_dataset(rt, dataset).stats.total == 18
    arn = create_version(rt, project, "v1")
    assert run_training(rt) == "succeeded"
    assert describe_version(rt, arn).status == TRAINING_COMPLETED

    request_start(rt, arn, 1)
    assert host.start(arn) == RUNNING
    image = synthetic.dataset(1, seed=42)[1][1]
    assert len(host.detect(arn, image, min_confidence=0)) == 3
    request_stop(rt, arn)
    assert host.stop(arn) == STOPPED

    for i, (_, data) in enumerate(synthetic.dataset(1, seed=43)):
        store.put("pgb", f"inbox/{i}.jpg", data)
    create_batch(rt, "pg", arn, source_bucket="pgb", source_prefix="inbox/", final_bucket="pg-out")
    run = BatchRunner(host).run("pg")
    assert (run.status, run.processed, run.model_loads) == ("SUCCEEDED", 3, 1)
    assert not list(store.list("pgb", "inbox/"))
