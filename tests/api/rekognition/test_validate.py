from __future__ import annotations

import base64

import pytest

from sightline.api.rekognition.service import parse_target
from sightline.api.rekognition.validate import parse_request
from sightline.errors import (
    InvalidParameterError,
    SerializationError,
    UnknownOperationError,
    ValidationError,
)

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nrest").decode()


def test_valid_request_decodes_blobs_and_keeps_members() -> None:
    parsed = parse_request("DetectFaces", {"Image": {"Bytes": PNG}, "Attributes": ["ALL"]})
    assert parsed == {"Image": {"Bytes": b"\x89PNG\r\n\x1a\nrest"}, "Attributes": ["ALL"]}


def test_s3_object_members_pass_through() -> None:
    body = {"Image": {"S3Object": {"Bucket": "photos", "Name": "k.jpg", "Version": "3"}}}
    assert parse_request("DetectLabels", body) == body


def test_nulls_are_absent_members() -> None:
    assert parse_request("DetectFaces", {"Image": {"Bytes": PNG}, "Attributes": None}) == {
        "Image": {"Bytes": b"\x89PNG\r\n\x1a\nrest"}
    }


@pytest.mark.parametrize(
    ("operation", "body", "named"),
    [
        ("DetectFaces", {}, "'Image'"),  # required member missing
        ("CreateCollection", {"CollectionId": None}, "'CollectionId'"),  # null is absent
        ("DetectFaces", {"Image": {"Bytes": PNG}, "Colour": 1}, "'Colour'"),  # unknown
        ("DetectFaces", {"Image": "abc"}, "'Image' must be an object"),  # wrong type
        ("DetectFaces", {"Image": {"Bytes": "%%%"}}, "'Image.Bytes' is not valid base64"),
        ("DetectLabels", {"Image": {"Bytes": PNG}, "MaxLabels": "5"}, "'MaxLabels'"),
        ("DetectLabels", {"Image": {"Bytes": PNG}, "MaxLabels": True}, "'MaxLabels'"),
        ("SearchFaces", {"CollectionId": "c", "FaceId": 5}, "'FaceId' must be a string"),
    ],
)
def test_structural_faults_are_invalid_parameter(operation: str, body: dict, named: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        parse_request(operation, body)
    assert named in str(info.value)


@pytest.mark.parametrize(
    ("operation", "body", "expected"),
    [
        # pattern
        ("CreateCollection", {"CollectionId": "a b"}, "at 'CollectionId'"),
        # max length
        ("CreateCollection", {"CollectionId": "a" * 256}, "less than or equal to 255"),
        # enum
        ("DetectFaces", {"Image": {"Bytes": PNG}, "Attributes": ["EVERYTHING"]}, "enum value"),
        # numeric range
        ("DetectLabels", {"Image": {"Bytes": PNG}, "MinConfidence": 101}, "MinConfidence"),
        # list count
        ("DeleteFaces", {"CollectionId": "c", "FaceIds": []}, "'FaceIds'"),
        # nested string length
        (
            "DetectText",
            {"Image": {"S3Object": {"Bucket": "photos", "Name": ""}}},
            "Image.S3Object.Name",
        ),
    ],
)
def test_constraint_faults_are_validation_errors(operation: str, body: dict, expected: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_request(operation, body)
    assert expected in str(info.value)
    assert str(info.value).startswith("1 validation error detected: ")


def test_several_constraint_faults_are_counted() -> None:
    body = {"Image": {"Bytes": PNG}, "MinConfidence": -1, "MaxLabels": -2}
    with pytest.raises(ValidationError, match=r"^2 validation errors detected: "):
        parse_request("DetectLabels", body)


def test_structural_faults_win_over_constraints() -> None:
    with pytest.raises(InvalidParameterError, match="Missing required member 'Image'"):
        parse_request("DetectLabels", {"MinConfidence": 500})


def test_image_bytes_over_the_model_maximum_are_left_to_the_configured_limit() -> None:
    big = base64.b64encode(b"x" * (5 * 1024 * 1024 + 1)).decode()
    assert len(parse_request("DetectFaces", {"Image": {"Bytes": big}})["Image"]["Bytes"]) > (
        5 * 1024 * 1024
    )


def test_java_unicode_classes_in_patterns_are_understood() -> None:
    body = {"ResourceArn": "arn:aws:rekognition:us-east-1:123456789012:collection/c"}
    body["Tags"] = {"team é": "vision"}  # type: ignore[assignment]
    assert parse_request("TagResource", body)["Tags"] == {"team é": "vision"}


@pytest.mark.parametrize("body", [[], "x", 3, None])
def test_body_must_be_an_object(body: object) -> None:
    with pytest.raises(SerializationError, match="must be a JSON object"):
        parse_request("DetectFaces", body)


@pytest.mark.parametrize(
    "header",
    [None, "", "DynamoDB_20120810.GetItem", "RekognitionService.DetectUnicorns", "DetectFaces"],
)
def test_unknown_targets_are_refused(header: str | None) -> None:
    with pytest.raises(UnknownOperationError):
        parse_target(header)


def test_target_names_the_operation() -> None:
    assert parse_target("RekognitionService.CompareFaces") == "CompareFaces"
