"""Projects, datasets and training through the service layer, on the session's trained
version: F1 on the held-out split, the evaluation stored and written, problems reported."""

from __future__ import annotations

import json

import pytest

from sightline.customlabels.datasets import describe_dataset, list_entries
from sightline.customlabels.projects import create_project, delete_project, describe_projects
from sightline.customlabels.versions import (
    TRAINING_COMPLETED,
    TRAINING_FAILED,
    create_version,
    describe_version,
    describe_versions,
)
from sightline.errors import InvalidParameterError, ResourceInUseError
from tests.customlabels.fixtures import Trained, run_training


def test_trained_version_reaches_f1_on_held_out_split(trained: Trained) -> None:
    v = describe_version(trained.runtime, trained.version_arn)
    assert v.status == TRAINING_COMPLETED, v.status_message
    assert v.f1 is not None and v.f1 >= 0.9, v.evaluation
    ev = v.evaluation
    assert ev is not None
    assert ev["labels"] == ["checker", "dots", "stripes"]
    assert ev["test_images"] == 24 and ev["training_images"] == 96
    assert {m["label"] for m in ev["per_label"]} == {"checker", "dots", "stripes"}
    for m in ev["per_label"]:
        assert 0.0 < m["threshold"] < 1.0 and m["test_images"] == 8
    assert len(ev["confusion"]) == 3
    # the summary file is in the output bucket, in Rekognition's layout
    summary = json.loads(trained.runtime.store.get(v.files["bucket"], v.files["summary"]))
    assert summary["AggregatedEvaluationResults"]["F1Score"] == pytest.approx(v.f1)
    assert summary["EvaluationDetails"]["ProjectVersionArn"] == trained.version_arn
    assert summary["EvaluationDetails"]["NumberOfTestingImages"] == 24
    assert len(summary["AggregatedEvaluationResults"]["ConfusionMatrix"]) == 9
    assert [r["Label"] for r in summary["LabelEvaluationResults"]] == sorted(
        ev["labels"], key=lambda n: (-next(m["f1"] for m in ev["per_label"] if m["label"] == n), n)
    )


def test_corrupt_image_and_lonely_label_are_reported(trained: Trained) -> None:
    v = describe_version(trained.runtime, trained.version_arn)
    ev = v.evaluation
    assert ev is not None
    (entry_error,) = ev["entry_errors"]
    assert entry_error["code"] == "ERROR_INVALID_IMAGE"
    assert "corrupt.jpg" in entry_error["message"]
    (label_error,) = ev["dataset_errors"]
    assert "'triangle' has 1 usable image; at least 4 are needed" in label_error["message"]
    assert "2 problem(s) were left out" in (v.status_message or "")
    summary = json.loads(trained.runtime.store.get(v.files["bucket"], v.files["manifest_summary"]))
    stats = summary["statistics"]["training"]
    assert stats["total_json_lines"] == 122 and stats["invalid_json_lines"] == 1
    assert summary["errors"][0]["code"] == "ERROR_INSUFFICIENT_IMAGES_PER_LABEL"
    # the dataset itself shows the unreadable image (found at import) and the labels
    d = describe_dataset(trained.runtime, trained.dataset_arn)
    assert (d.stats.total, d.stats.labeled, d.stats.labels, d.stats.errors) == (122, 122, 4, 1)
    assert d.label_counts == {"checker": 40, "dots": 41, "stripes": 40, "triangle": 1}
    bad, _ = list_entries(trained.runtime, trained.dataset_arn, has_errors=True)
    assert len(bad) == 1 and "corrupt.jpg" in json.loads(bad[0])["source-ref"]


def test_describe_and_paginate(trained: Trained) -> None:
    projects, token = describe_projects(trained.runtime)
    assert [p.name for p in projects] == ["textures"] and token is None
    assert projects[0].datasets[0].type == "TRAIN"
    page, token = list_entries(trained.runtime, trained.dataset_arn, max_results=50)
    assert len(page) == 50 and token is not None
    rest, _ = list_entries(trained.runtime, trained.dataset_arn, next_token=token, max_results=100)
    assert len(rest) == 72
    versions, _ = describe_versions(trained.runtime, trained.project_arn, names=["v1"])
    assert [v.arn for v in versions] == [trained.version_arn]


def test_a_project_with_versions_cannot_be_deleted(trained: Trained) -> None:
    with pytest.raises(ResourceInUseError, match="delete them with DeleteProjectVersion"):
        delete_project(trained.runtime, trained.project_arn)
    with pytest.raises(ResourceInUseError, match="already has a version named 'v1'"):
        create_version(trained.runtime, trained.project_arn, "v1")


def test_training_without_data_fails_clearly(trained: Trained) -> None:
    rt = trained.runtime
    empty = create_project(rt, "empty")
    with pytest.raises(InvalidParameterError, match="has no training data"):
        create_version(rt, empty, "v1")
    # a manifest whose images cannot train a model: the version fails with the reason
    rt.store.ensure_bucket("manifests")
    line = {"source-ref": "s3://manifests/missing.jpg", "a": 0, "a-metadata": {"class-name": "x"}}
    rt.store.put("manifests", "one.manifest", (json.dumps(line) + "\n").encode())
    arn = create_version(rt, empty, "v2", training_assets=[("manifests", "one.manifest")])
    assert run_training(rt) == "failed"
    v = describe_version(rt, arn)
    assert v.status == TRAINING_FAILED
    assert "1 of 1 labelled images could not be used" in (v.status_message or "")
