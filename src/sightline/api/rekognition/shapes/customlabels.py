"""Custom labels: projects, datasets, versions and DetectCustomLabels, in botocore's shapes.

Times are epoch seconds (botocore's JSON timestamps); confidences 0-100; thresholds
stay 0-1 inside the summary file, as Rekognition writes them. Members with no value are
omitted, never sent as null.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sightline.api.rekognition.shapes.common import drop_none, percent
from sightline.customlabels.datasets import DatasetDescription
from sightline.customlabels.model import CustomLabel
from sightline.customlabels.projects import ProjectInfo
from sightline.customlabels.versions import VersionDescription


def project_description(info: ProjectInfo) -> dict[str, Any]:
    return drop_none(
        {
            "ProjectArn": info.arn,
            "CreationTimestamp": info.created_at,
            "Status": info.status,
            "Datasets": [
                drop_none(
                    {
                        "CreationTimestamp": d.created_at,
                        "DatasetType": d.type,
                        "DatasetArn": d.arn,
                        "Status": d.status,
                        "StatusMessage": d.status_message,
                        "StatusMessageCode": d.status_code,
                    }
                )
                for d in info.datasets
            ],
            "Feature": info.feature,
            "AutoUpdate": info.auto_update,
        }
    )


def describe_projects_response(
    projects: Sequence[ProjectInfo], next_token: str | None
) -> dict[str, Any]:
    return drop_none(
        {
            "ProjectDescriptions": [project_description(p) for p in projects],
            "NextToken": next_token,
        }
    )


def describe_dataset_response(d: DatasetDescription) -> dict[str, Any]:
    return {
        "DatasetDescription": drop_none(
            {
                "CreationTimestamp": d.created_at,
                "LastUpdatedTimestamp": d.updated_at,
                "Status": d.status,
                "StatusMessage": d.status_message,
                "StatusMessageCode": d.status_code,
                "DatasetStats": {
                    "LabeledEntries": d.stats.labeled,
                    "TotalEntries": d.stats.total,
                    "TotalLabels": d.stats.labels,
                    "ErrorEntries": d.stats.errors,
                },
            }
        )
    }


def list_dataset_labels_response(
    counts: Mapping[str, int], next_token: str | None
) -> dict[str, Any]:
    # Image-level labels have no bounding boxes: the count is a fact, zero.
    return drop_none(
        {
            "DatasetLabelDescriptions": [
                {"LabelName": name, "LabelStats": {"EntryCount": n, "BoundingBoxCount": 0}}
                for name, n in counts.items()
            ],
            "NextToken": next_token,
        }
    )


def _s3_object(bucket: str, key: str) -> dict[str, Any]:
    return {"S3Object": {"Bucket": bucket, "Name": key}}


def _assets(assets: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [dict(a) for a in assets]


def project_version_description(v: VersionDescription) -> dict[str, Any]:
    """One ProjectVersionDescription. Evaluation members appear once training ended."""
    files = v.files
    bucket = files.get("bucket", v.output_bucket)
    training: dict[str, Any] = {"Input": {"Assets": _assets(v.training_input.get("Assets", []))}}
    testing: dict[str, Any] = {
        "Input": {
            "Assets": _assets(v.testing_input.get("Assets", [])),
            "AutoCreate": bool(v.testing_input.get("AutoCreate", False)),
        }
    }
    if "training_output" in files:
        training["Output"] = {
            "Assets": [{"GroundTruthManifest": _s3_object(bucket, files["training_output"])}]
        }
        training["Validation"] = {
            "Assets": [{"GroundTruthManifest": _s3_object(bucket, files["training_validation"])}]
        }
        testing["Output"] = {
            "Assets": [{"GroundTruthManifest": _s3_object(bucket, files["testing_output"])}],
            "AutoCreate": bool(v.testing_input.get("AutoCreate", False)),
        }
        if "testing_validation" in files:
            testing["Validation"] = {
                "Assets": [{"GroundTruthManifest": _s3_object(bucket, files["testing_validation"])}]
            }
    doc: dict[str, Any] = {
        "ProjectVersionArn": v.arn,
        "CreationTimestamp": v.created_at,
        "Status": v.status,
        "StatusMessage": v.status_message,
        "OutputConfig": {"S3Bucket": v.output_bucket, "S3KeyPrefix": v.output_prefix},
        "TrainingDataResult": training,
        "TestingDataResult": testing,
        "VersionDescription": v.description,
        "Feature": "CUSTOM_LABELS",
        "MinInferenceUnits": v.min_units,
        "MaxInferenceUnits": v.max_units,
    }
    if v.training_ended_at is not None and v.training_started_at is not None:
        doc["TrainingEndTimestamp"] = v.training_ended_at
        doc["BillableTrainingTimeInSeconds"] = max(
            0, round(v.training_ended_at - v.training_started_at)
        )
    if v.f1 is not None and "summary" in files:
        doc["EvaluationResult"] = {
            "F1Score": v.f1,
            "Summary": _s3_object(bucket, files["summary"]),
        }
    if "manifest_summary" in files:
        doc["ManifestSummary"] = _s3_object(bucket, files["manifest_summary"])
    return drop_none(doc)


def describe_project_versions_response(
    versions: Sequence[VersionDescription], next_token: str | None
) -> dict[str, Any]:
    return drop_none(
        {
            "ProjectVersionDescriptions": [project_version_description(v) for v in versions],
            "NextToken": next_token,
        }
    )


def detect_custom_labels_response(labels: Sequence[CustomLabel]) -> dict[str, Any]:
    """DetectCustomLabels' answer for an image-level classifier: names and confidences
    (no Geometry: classifiers locate nothing)."""
    return {"CustomLabels": [{"Name": c.name, "Confidence": percent(c.confidence)} for c in labels]}
