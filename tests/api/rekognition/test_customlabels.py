"""Custom labels over the wire with an unmodified boto3 client: every response checked
against botocore's shapes, DetectCustomLabels refused until the version runs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sightline.api.app import create_app
from sightline.api.services import build_services
from tests.api.live import rekognition, serve
from tests.botocore_shapes import assert_valid_output
from tests.customlabels import synthetic
from tests.customlabels.fixtures import Trained, clone_version


@pytest.fixture
def client(trained: Trained) -> Iterator[Any]:
    settings = trained.runtime.settings
    services = build_services(settings, runtime=trained.runtime)
    key = services.keys.create(name="customlabels-test")
    with serve(create_app(settings, services=services)) as url:
        yield rekognition(url, key.info.access_key_id, key.secret_access_key)
    services.close()


def call(client: Any, operation: str, **request: Any) -> dict[str, Any]:
    method = "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")
    response: dict[str, Any] = getattr(client, method)(**request)
    response.pop("ResponseMetadata", None)
    assert_valid_output(operation, response)
    return response


def wait_for(check: Callable[[], bool], seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def version_of(client: Any, project: str, name: str) -> dict[str, Any]:
    found = call(client, "DescribeProjectVersions", ProjectArn=project, VersionNames=[name])
    (version,) = found["ProjectVersionDescriptions"]
    return version


def test_evaluation_and_running_over_the_wire(trained: Trained, client: Any) -> None:
    projects = call(client, "DescribeProjects", ProjectNames=["textures"])
    (project,) = projects["ProjectDescriptions"]
    assert project["ProjectArn"] == trained.project_arn
    assert project["Datasets"][0]["DatasetType"] == "TRAIN"

    v1 = version_of(client, trained.project_arn, "v1")
    assert v1["Status"] == "TRAINING_COMPLETED"
    assert v1["EvaluationResult"]["F1Score"] >= 0.9
    summary = v1["EvaluationResult"]["Summary"]["S3Object"]
    doc = json.loads(trained.runtime.store.get(summary["Bucket"], summary["Name"]))
    assert doc["AggregatedEvaluationResults"]["F1Score"] == v1["EvaluationResult"]["F1Score"]
    assert v1["TestingDataResult"]["Input"]["AutoCreate"] is True
    assert v1["BillableTrainingTimeInSeconds"] >= 0

    arn = clone_version(trained.runtime, trained.version_arn, "api-run")
    image = synthetic.dataset(1, seed=21)[0][1]  # a checkerboard
    with pytest.raises(ClientError) as refused:
        client.detect_custom_labels(ProjectVersionArn=arn, Image={"Bytes": image})
    assert refused.value.response["Error"]["Code"] == "ResourceNotReadyException"

    started = call(client, "StartProjectVersion", ProjectVersionArn=arn, MinInferenceUnits=1)
    assert started["Status"] == "STARTING"
    wait_for(lambda: version_of(client, trained.project_arn, "api-run")["Status"] == "RUNNING")
    found = call(client, "DetectCustomLabels", ProjectVersionArn=arn, Image={"Bytes": image})
    assert [c["Name"] for c in found["CustomLabels"]] == ["checker"]
    every = call(
        client,
        "DetectCustomLabels",
        ProjectVersionArn=arn,
        Image={"Bytes": image},
        MinConfidence=0,
        MaxResults=2,
    )
    assert len(every["CustomLabels"]) == 2 and every["CustomLabels"][0]["Name"] == "checker"
    assert every["CustomLabels"][0]["Confidence"] > every["CustomLabels"][1]["Confidence"]
    with pytest.raises(ClientError) as bad:
        client.detect_custom_labels(ProjectVersionArn=arn, Image={"Bytes": b"not an image"})
    assert bad.value.response["Error"]["Code"] == "InvalidImageFormatException"

    stopped = call(client, "StopProjectVersion", ProjectVersionArn=arn)
    assert stopped["Status"] == "STOPPING"
    wait_for(lambda: version_of(client, trained.project_arn, "api-run")["Status"] == "STOPPED")
    with pytest.raises(ClientError) as again:
        client.detect_custom_labels(ProjectVersionArn=arn, Image={"Bytes": image})
    assert again.value.response["Error"]["Code"] == "ResourceNotReadyException"
    assert call(client, "DeleteProjectVersion", ProjectVersionArn=arn)["Status"] == "DELETING"


def test_datasets_and_training_over_the_wire(trained: Trained, client: Any) -> None:
    store = trained.runtime.store
    store.ensure_bucket("wire")
    lines = []
    for i, (label, data) in enumerate(synthetic.dataset(8, seed=31)):
        store.put("wire", f"images/{i}.jpg", data)
        lines.append(
            json.dumps(
                {
                    "source-ref": f"s3://wire/images/{i}.jpg",
                    "texture": 0,
                    "texture-metadata": {
                        "class-name": label,
                        "type": "groundtruth/image-classification",
                    },
                }
            )
        )
    store.put("wire", "train.manifest", ("\n".join(lines) + "\n").encode())
    store.put("wire", "broken.manifest", (lines[0] + "\n{oops\n").encode())

    project = call(client, "CreateProject", ProjectName="wire")["ProjectArn"]
    with pytest.raises(ClientError) as bad:
        client.create_dataset(
            ProjectArn=project,
            DatasetType="TRAIN",
            DatasetSource={
                "GroundTruthManifest": {"S3Object": {"Bucket": "wire", "Name": "broken.manifest"}}
            },
        )
    assert bad.value.response["Error"]["Code"] == "InvalidManifestException"
    assert "line 2" in bad.value.response["Error"]["Message"]

    train = call(
        client,
        "CreateDataset",
        ProjectArn=project,
        DatasetType="TRAIN",
        DatasetSource={
            "GroundTruthManifest": {"S3Object": {"Bucket": "wire", "Name": "train.manifest"}}
        },
    )["DatasetArn"]
    test = call(client, "CreateDataset", ProjectArn=project, DatasetType="TEST")["DatasetArn"]
    call(client, "DistributeDatasetEntries", Datasets=[{"Arn": train}, {"Arn": test}])
    stats = call(client, "DescribeDataset", DatasetArn=test)["DatasetDescription"]["DatasetStats"]
    assert stats == {"LabeledEntries": 6, "TotalEntries": 6, "TotalLabels": 3, "ErrorEntries": 0}
    labels = call(client, "ListDatasetLabels", DatasetArn=train)["DatasetLabelDescriptions"]
    assert [(d["LabelName"], d["LabelStats"]["EntryCount"]) for d in labels] == [
        ("checker", 6),
        ("dots", 6),
        ("stripes", 6),
    ]
    entries = call(
        client, "ListDatasetEntries", DatasetArn=train, ContainsLabels=["dots"], MaxResults=4
    )
    assert len(entries["DatasetEntries"]) == 4 and "NextToken" in entries

    arn = call(
        client,
        "CreateProjectVersion",
        ProjectArn=project,
        VersionName="v1",
        OutputConfig={"S3Bucket": "wire", "S3KeyPrefix": "out/"},
    )["ProjectVersionArn"]
    wait_for(lambda: version_of(client, project, "v1")["Status"] != "TRAINING_IN_PROGRESS")
    v = version_of(client, project, "v1")
    assert v["Status"] == "TRAINING_COMPLETED", v["StatusMessage"]
    assert v["ProjectVersionArn"] == arn
    assert v["TestingDataResult"]["Input"]["AutoCreate"] is False  # the distributed TEST set
    assert v["ManifestSummary"]["S3Object"]["Name"].startswith("out/wire/v1/")

    with pytest.raises(ClientError) as in_use:
        client.delete_project(ProjectArn=project)
    assert in_use.value.response["Error"]["Code"] == "ResourceInUseException"
    call(client, "DeleteProjectVersion", ProjectVersionArn=arn)
    call(client, "DeleteDataset", DatasetArn=test)
    assert call(client, "DeleteProject", ProjectArn=project)["Status"] == "DELETING"


def test_batch_runs_over_rest(trained: Trained) -> None:
    import httpx

    from sightline.customlabels.batches import create_batch

    settings = trained.runtime.settings
    services = build_services(settings, runtime=trained.runtime)
    token = services.tokens.create("batches").token
    arn = clone_version(trained.runtime, trained.version_arn, "rest-batch")
    trained.runtime.store.ensure_bucket("rest-src")
    create_batch(trained.runtime, "rest", arn, source_bucket="rest-src", final_bucket="rest-final")
    headers = {"Authorization": f"Bearer {token}"}
    with serve(create_app(settings, services=services)) as url:
        api = f"{url}/api/v1/customlabels/batches"
        assert httpx.post(f"{api}/rest/runs", headers=headers).status_code == 202
        wait_for(lambda: bool(httpx.get(f"{api}/rest/runs", headers=headers).json()))
        (run,) = httpx.get(f"{api}/rest/runs", headers=headers).json()
        wait_for(
            lambda: httpx.get(f"{api}/rest/runs", headers=headers).json()[0]["status"] != "RUNNING"
        )
        listed = {b["name"]: b for b in httpx.get(api, headers=headers).json()}
        assert listed["rest"]["last_run"]["status"] == "EMPTY"
        assert listed["rest"]["last_run"]["model_loads"] == 0
        assert run["trigger"] == "manual"
        missing = httpx.post(f"{api}/nope/runs", headers=headers)
        assert missing.status_code == 404 and missing.json()["code"] == "ResourceNotFoundException"
    services.close()
