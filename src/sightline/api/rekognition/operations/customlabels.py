"""Custom labels over the wire: projects, datasets, versions and DetectCustomLabels.

Handlers translate request members to :mod:`sightline.customlabels` calls and results to
botocore's shapes (:mod:`sightline.api.rekognition.shapes.customlabels`). Start and stop
requests are recorded and the version host is nudged; the response is the new status
(``STARTING``, ``STOPPING``), as Rekognition answers, and DescribeProjectVersions shows
``RUNNING`` / ``STOPPED`` once the units have loaded or unloaded the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sightline.api.rekognition.context import Handler, OperationContext
from sightline.api.rekognition.images import image_bytes
from sightline.api.rekognition.shapes.customlabels import (
    describe_dataset_response,
    describe_project_versions_response,
    describe_projects_response,
    detect_custom_labels_response,
    list_dataset_labels_response,
)
from sightline.customlabels import datasets, projects, versions
from sightline.customlabels.service import CustomLabelsService
from sightline.errors import InvalidParameterError, UnsupportedError
from sightline.runtime import Runtime


def _service(ctx: OperationContext) -> CustomLabelsService:
    return ctx.services.customlabels()


def _runtime(ctx: OperationContext) -> Runtime:
    return _service(ctx).runtime


def _s3(obj: Mapping[str, Any], name: str) -> tuple[str, str]:
    bucket, key = obj.get("Bucket"), obj.get("Name")
    if not bucket or not key:
        raise InvalidParameterError(f"{name} needs both Bucket and Name.")
    if obj.get("Version") is not None:
        raise UnsupportedError(f"{name}.Version: Sightline reads the current version of objects.")
    return str(bucket), str(key)


def _assets(member: Mapping[str, Any] | None, name: str) -> list[tuple[str, str]]:
    out = []
    for i, asset in enumerate((member or {}).get("Assets") or []):
        manifest = asset.get("GroundTruthManifest") or {}
        out.append(
            _s3(manifest.get("S3Object") or {}, f"{name}.Assets[{i}].GroundTruthManifest.S3Object")
        )
    return out


def create_project(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    arn = projects.create_project(
        _runtime(ctx),
        r["ProjectName"],
        feature=r.get("Feature"),
        auto_update=r.get("AutoUpdate"),
        tags=r.get("Tags"),
    )
    return {"ProjectArn": arn}


def describe_projects(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    found, token = projects.describe_projects(
        _runtime(ctx),
        names=r.get("ProjectNames"),
        features=r.get("Features"),
        max_results=r.get("MaxResults"),
        next_token=r.get("NextToken"),
    )
    return describe_projects_response(found, token)


def delete_project(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    return {"Status": projects.delete_project(_runtime(ctx), r["ProjectArn"])}


def create_dataset(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    source = r.get("DatasetSource") or {}
    manifest = (source.get("GroundTruthManifest") or {}).get("S3Object")
    arn = datasets.create_dataset(
        _runtime(ctx),
        r["ProjectArn"],
        r["DatasetType"],
        manifest=_s3(manifest, "DatasetSource.GroundTruthManifest.S3Object") if manifest else None,
        copy_from=source.get("DatasetArn"),
    )
    return {"DatasetArn": arn}


def describe_dataset(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    return describe_dataset_response(datasets.describe_dataset(_runtime(ctx), r["DatasetArn"]))


def list_dataset_entries(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    lines, token = datasets.list_entries(
        _runtime(ctx),
        r["DatasetArn"],
        labels=r.get("ContainsLabels"),
        labeled=r.get("Labeled"),
        source_contains=r.get("SourceRefContains"),
        has_errors=r.get("HasErrors"),
        max_results=r.get("MaxResults"),
        next_token=r.get("NextToken"),
    )
    out: dict[str, Any] = {"DatasetEntries": lines}
    if token:
        out["NextToken"] = token
    return out


def list_dataset_labels(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    counts = datasets.describe_dataset(_runtime(ctx), r["DatasetArn"]).label_counts
    names = sorted(counts)
    start = int(r["NextToken"]) if str(r.get("NextToken") or "").isdigit() else 0
    size = r.get("MaxResults") or 100
    page = names[start : start + size]
    token = str(start + size) if start + size < len(names) else None
    return list_dataset_labels_response({n: counts[n] for n in page}, token)


def distribute_dataset_entries(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    arns = [d["Arn"] for d in r["Datasets"]]
    by_type = {a.split("/dataset/")[1].split("/")[0]: a for a in arns if "/dataset/" in a}
    if set(by_type) != {"train", "test"}:
        raise InvalidParameterError("Datasets must be one project's TRAIN and TEST dataset ARNs.")
    datasets.distribute(_runtime(ctx), by_type["train"], by_type["test"])
    return {}


def update_dataset_entries(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    datasets.update_entries(_runtime(ctx), r["DatasetArn"], r["Changes"]["GroundTruth"])
    return {}


def delete_dataset(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    datasets.delete_dataset(_runtime(ctx), r["DatasetArn"])
    return {}


def create_project_version(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    if r.get("KmsKeyId"):
        raise UnsupportedError("KmsKeyId: Sightline does not encrypt training outputs with KMS.")
    if r.get("FeatureConfig"):
        raise UnsupportedError("FeatureConfig applies to content-moderation adapters only.")
    output = r["OutputConfig"]
    testing = r.get("TestingData") or {}
    service = _service(ctx)
    arn = versions.create_version(
        service.runtime,
        r["ProjectArn"],
        r["VersionName"],
        output_bucket=output.get("S3Bucket"),
        output_prefix=output.get("S3KeyPrefix", ""),
        training_assets=_assets(r.get("TrainingData"), "TrainingData"),
        testing_assets=_assets(testing, "TestingData"),
        auto_test=bool(testing.get("AutoCreate", False)),
        description=r.get("VersionDescription"),
        tags=r.get("Tags"),
    )
    service.train_queued()
    return {"ProjectVersionArn": arn}


def describe_project_versions(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    found, token = versions.describe_versions(
        _runtime(ctx),
        r["ProjectArn"],
        names=r.get("VersionNames"),
        max_results=r.get("MaxResults"),
        next_token=r.get("NextToken"),
    )
    return describe_project_versions_response(found, token)


def start_project_version(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    service = _service(ctx)
    status = versions.request_start(
        service.runtime, r["ProjectVersionArn"], r["MinInferenceUnits"], r.get("MaxInferenceUnits")
    )
    service.nudge()
    return {"Status": status}


def stop_project_version(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    service = _service(ctx)
    status = versions.request_stop(service.runtime, r["ProjectVersionArn"])
    service.nudge()
    return {"Status": status}


def delete_project_version(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    return {"Status": versions.delete_version(_runtime(ctx), r["ProjectVersionArn"])}


def detect_custom_labels(ctx: OperationContext, r: dict[str, Any]) -> dict[str, Any]:
    service = _service(ctx)
    # The unit decodes (with the model's own limits); here only the bytes are fetched.
    data, _ = image_bytes(r["Image"], ctx.services.store, ctx.services.settings.limits)
    found = service.host.detect(
        r["ProjectVersionArn"],
        data,
        min_confidence=r.get("MinConfidence"),
        max_results=r.get("MaxResults"),
    )
    return detect_custom_labels_response(found)


OPERATIONS: dict[str, Handler] = {
    "CreateProject": create_project,
    "DescribeProjects": describe_projects,
    "DeleteProject": delete_project,
    "CreateDataset": create_dataset,
    "DescribeDataset": describe_dataset,
    "ListDatasetEntries": list_dataset_entries,
    "ListDatasetLabels": list_dataset_labels,
    "DistributeDatasetEntries": distribute_dataset_entries,
    "UpdateDatasetEntries": update_dataset_entries,
    "DeleteDataset": delete_dataset,
    "CreateProjectVersion": create_project_version,
    "DescribeProjectVersions": describe_project_versions,
    "StartProjectVersion": start_project_version,
    "StopProjectVersion": stop_project_version,
    "DeleteProjectVersion": delete_project_version,
    "DetectCustomLabels": detect_custom_labels,
}
