"""Every served operation over a real server, with unmodified boto3 and real models.

Images: astronaut.png and grace_hopper.jpg (one face each), page.png (printed text).
Each response is checked against botocore's output shape and for the members a caller
relies on; Bytes and S3Object (local folder store, moto's S3 server) must agree.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sightline.analyzers.base import AnalyzerPool
from sightline.api.app import create_app
from sightline.api.services import ApiServices, build_services
from sightline.config import Settings
from sightline.runtime import Runtime
from sightline.storage.s3 import S3Store
from tests.api.live import rekognition, serve
from tests.botocore_shapes import assert_valid_output
from tests.conftest import sample_bytes

BUCKET = "photos"
pytestmark = pytest.mark.slow


@dataclass
class Live:
    url: str
    services: ApiServices
    client: Any

    def put(self, key: str, data: bytes) -> dict[str, Any]:
        self.services.store.ensure_bucket(BUCKET)
        self.services.store.put(BUCKET, key, data)
        return {"S3Object": {"Bucket": BUCKET, "Name": key}}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("operations")


def _live(settings: Settings, pool: AnalyzerPool, runtime: Runtime | None = None) -> Iterator[Live]:
    services = build_services(settings, analyzers=pool, runtime=runtime)
    key = services.keys.create(name="operations")
    with serve(create_app(settings, services=services)) as url:
        yield Live(url, services, rekognition(url, key.info.access_key_id, key.secret_access_key))
    services.close()


@pytest.fixture(scope="module")
def local(root: Path, analyzer_pool: AnalyzerPool) -> Iterator[Live]:
    """A server on the local folder store (the embedded default)."""
    settings = Settings(
        data_dir=root / "local",
        models={"model_dir": root / "models"},
        limits={"max_object_bytes": 1024 * 1024},
    )
    yield from _live(settings, analyzer_pool)


@pytest.fixture(scope="module")
def on_s3(root: Path, analyzer_pool: AnalyzerPool, s3_endpoint: str) -> Iterator[Live]:
    """A server whose object store is an S3-compatible server (moto)."""
    s3 = {
        "endpoint_url": s3_endpoint,
        "access_key_id": "testing",
        "secret_access_key": "testing",
        "path_style": True,
    }
    settings = Settings(
        data_dir=root / "s3",
        models={"model_dir": root / "models"},
        storage={"backend": "s3", "s3": s3},
    )
    runtime = Runtime.open(settings, store=S3Store(settings.storage.s3))
    yield from _live(settings, analyzer_pool, runtime)


def _one_face(response: dict[str, Any]) -> dict[str, Any]:
    assert len(response["FaceDetails"]) == 1
    face: dict[str, Any] = response["FaceDetails"][0]
    assert face["Confidence"] > 50
    assert {"BoundingBox", "Landmarks", "Pose", "Quality"} <= set(face)
    box = face["BoundingBox"]
    assert 0 < box["Width"] < 1 and 0 < box["Height"] < 1
    return face


@pytest.mark.parametrize("name", ["astronaut.png", "grace_hopper.jpg"])
def test_detect_faces(local: Live, name: str) -> None:
    response = local.client.detect_faces(Image={"Bytes": sample_bytes(name)}, Attributes=["ALL"])
    assert_valid_output("DetectFaces", _strip(response))
    face = _one_face(response)
    assert {"Smile", "EyesOpen", "MouthOpen"} <= set(face)
    assert {lm["Type"] for lm in face["Landmarks"]} >= {"eyeLeft", "eyeRight", "nose"}


def test_detect_labels(local: Live) -> None:
    response = local.client.detect_labels(
        Image={"Bytes": sample_bytes("astronaut.png")},
        Features=["GENERAL_LABELS", "IMAGE_PROPERTIES"],
        MaxLabels=20,
    )
    assert_valid_output("DetectLabels", _strip(response))
    labels = {label["Name"]: label for label in response["Labels"]}
    assert {"Person", "Face"} <= set(labels)
    assert labels["Face"]["Instances"] and labels["Face"]["Confidence"] > 50
    assert response["LabelModelVersion"]
    assert response["ImageProperties"]["DominantColors"]


def test_detect_text(local: Live) -> None:
    response = local.client.detect_text(Image={"Bytes": sample_bytes("page.png")})
    assert_valid_output("DetectText", _strip(response))
    kinds = {d["Type"] for d in response["TextDetections"]}
    assert kinds == {"LINE", "WORD"}
    words = [d for d in response["TextDetections"] if d["Type"] == "WORD"]
    assert all("ParentId" in w for w in words)
    text = " ".join(d["DetectedText"] for d in response["TextDetections"] if d["Type"] == "LINE")
    assert "region" in text.lower()
    assert response["TextModelVersion"]


def test_detect_moderation_labels(local: Live) -> None:
    response = local.client.detect_moderation_labels(
        Image={"Bytes": sample_bytes("grace_hopper.jpg")}, MinConfidence=60
    )
    assert_valid_output("DetectModerationLabels", _strip(response))
    assert response["ModerationModelVersion"]
    assert all(label["Confidence"] >= 60 for label in response["ModerationLabels"])


@pytest.mark.parametrize("store", ["local", "on_s3"])
def test_bytes_and_s3_object_give_the_same_answer(
    store: str, request: pytest.FixtureRequest
) -> None:
    live: Live = request.getfixturevalue(store)
    data = sample_bytes("grace_hopper.jpg")
    image = live.put("people/grace_hopper.jpg", data)
    by_bytes = live.client.detect_faces(Image={"Bytes": data})
    by_object = live.client.detect_faces(Image=image)
    assert _strip(by_object) == _strip(by_bytes)
    _one_face(by_object)
    labels_bytes = live.client.detect_moderation_labels(Image={"Bytes": data})
    labels_object = live.client.detect_moderation_labels(Image=image)
    assert _strip(labels_object) == _strip(labels_bytes)


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_not_an_image_is_an_invalid_image_format(local: Live) -> None:
    with pytest.raises(ClientError) as info:
        local.client.detect_faces(Image={"Bytes": b"%PDF-1.7 this is a document, not a photo"})
    assert _code(info) == "InvalidImageFormatException"
    assert "PDF" in info.value.response["Error"]["Message"]


def test_image_over_the_byte_limit_is_too_large(local: Live) -> None:
    too_big = b"\xff\xd8\xff\xe0" + os.urandom(local.services.settings.limits.max_bytes)
    with pytest.raises(ClientError) as info:
        local.client.detect_text(Image={"Bytes": too_big})
    assert _code(info) == "ImageTooLargeException"
    assert "5,242,880" in info.value.response["Error"]["Message"]


def test_object_over_the_object_limit_is_too_large(local: Live) -> None:
    image = local.put("big.jpg", b"\xff\xd8\xff\xe0" + os.urandom(1024 * 1024))
    with pytest.raises(ClientError) as info:
        local.client.detect_faces(Image=image)
    assert _code(info) == "ImageTooLargeException"
    assert "s3://photos/big.jpg" in info.value.response["Error"]["Message"]


@pytest.mark.parametrize("store", ["local", "on_s3"])
def test_missing_object_is_an_invalid_s3_object(store: str, request: pytest.FixtureRequest) -> None:
    live: Live = request.getfixturevalue(store)
    live.services.store.ensure_bucket(BUCKET)
    with pytest.raises(ClientError) as info:
        live.client.detect_faces(Image={"S3Object": {"Bucket": BUCKET, "Name": "nope.jpg"}})
    assert _code(info) == "InvalidS3ObjectException"


def test_image_with_both_sources_is_refused(local: Live) -> None:
    image = local.put("both.jpg", sample_bytes("grace_hopper.jpg"))
    image["Bytes"] = b"\xff\xd8"
    with pytest.raises(ClientError) as info:
        local.client.detect_faces(Image=image)
    assert _code(info) == "InvalidParameterException"
    assert "exactly one of Bytes" in info.value.response["Error"]["Message"]


def _strip(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def test_a_version_other_than_the_current_one_is_refused(local: Live) -> None:
    image = local.put("versioned.jpg", sample_bytes("grace_hopper.jpg"))
    image["S3Object"]["Version"] = "3HL4kqtJlcpXroDTDmJ"
    with pytest.raises(ClientError) as info:
        local.client.detect_faces(Image=image)
    assert _code(info) == "InvalidS3ObjectException"
    assert "current version" in info.value.response["Error"]["Message"]


def test_concurrent_requests_share_the_analyzers_safely(local: Live) -> None:
    # Several analysis threads call one analyzer instance at once (dlib's detector is
    # not reentrant; the analyzer serialises it): every answer must equal the serial one.
    images = [sample_bytes(n) for n in ("grace_hopper.jpg", "astronaut.png")]
    expected = [_strip(local.client.detect_faces(Image={"Bytes": d})) for d in images]
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda i: _strip(local.client.detect_faces(Image={"Bytes": images[i % 2]})),
                range(8),
            )
        )
    assert answers == [expected[i % 2] for i in range(8)]
