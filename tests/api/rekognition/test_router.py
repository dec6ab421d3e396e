"""The protocol layer over a real server and unmodified boto3, with small handlers.

The operations' own behaviour is tested with real models in test_operations.py; here
the handlers are a few lines so that each test isolates one protocol rule.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from botocore import UNSIGNED
from botocore.exceptions import ClientError

from sightline.api.app import AUTH_HEADER, create_app
from sightline.api.rekognition.context import Handler, OperationContext
from sightline.api.services import ApiServices, build_services
from sightline.auth.keys import NewKey
from sightline.config import Settings
from tests.api.live import rekognition, serve, signed_post

PNG_HEADER = b"\x89PNG\r\n\x1a\n"


def detect_labels(ctx: OperationContext, request: dict[str, Any]) -> dict[str, Any]:
    # Echo what the handler received, in DetectLabels' output shape.
    size = len(request["Image"]["Bytes"])
    return {"Labels": [{"Name": f"bytes-{size}", "Confidence": 99.5}], "LabelModelVersion": "t"}


def create_collection(ctx: OperationContext, request: dict[str, Any]) -> dict[str, Any]:
    return {"StatusCode": 200, "CollectionArn": request["CollectionId"], "FaceModelVersion": "t"}


def broken(ctx: OperationContext, request: dict[str, Any]) -> dict[str, Any]:
    raise KeyError("a bug")


OPERATIONS: dict[str, Handler] = {
    "DetectLabels": detect_labels,
    "CreateCollection": create_collection,
    "DeleteCollection": broken,
}


class Server:
    def __init__(self, url: str, services: ApiServices) -> None:
        self.url = url
        self.services = services
        self.key = services.keys.create(name="test")

    def client(self, key: NewKey | None = None, **config: Any) -> Any:
        key = key or self.key
        return rekognition(self.url, key.info.access_key_id, key.secret_access_key, **config)


def _settings(settings: Settings, **api: Any) -> Settings:
    return settings.model_copy(
        update={
            "api": settings.api.model_copy(update={"key_cache_seconds": 0, **api}),
            "server": settings.server.model_copy(update={"max_body_bytes": 64 * 1024}),
        }
    )


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    settings = _settings(settings)
    services = build_services(settings)
    with serve(create_app(settings, services=services, operations=OPERATIONS)) as url:
        yield Server(url, services)
    services.close()


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_signed_round_trip_decodes_bytes_and_parses_the_response(server: Server) -> None:
    response = server.client().detect_labels(Image={"Bytes": PNG_HEADER * 3})
    assert response["Labels"] == [{"Name": "bytes-24", "Confidence": 99.5}]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(response["ResponseMetadata"]["RequestId"]) == 36
    timing = response["ResponseMetadata"]["HTTPHeaders"]["server-timing"]
    assert timing.startswith("total;dur=") and ", handler;dur=" in timing


def test_session_token_signed_by_boto3_is_accepted(server: Server) -> None:
    client = server.client(session_token="temporary")
    assert client.create_collection(CollectionId="c1")["CollectionArn"] == "c1"


def test_wrong_secret_is_an_invalid_signature(server: Server) -> None:
    client = rekognition(server.url, server.key.info.access_key_id, "wrong-secret")
    with pytest.raises(ClientError) as info:
        client.create_collection(CollectionId="c1")
    assert code(info) == "InvalidSignatureException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unknown_key_is_unrecognized(server: Server) -> None:
    client = rekognition(server.url, "SLAKNOSUCHKEY0000000", "whatever")
    with pytest.raises(ClientError) as info:
        client.create_collection(CollectionId="c1")
    assert code(info) == "UnrecognizedClientException"


def test_revoked_key_is_unrecognized(server: Server) -> None:
    key = server.services.keys.create(name="short-lived")
    client = server.client(key)
    client.create_collection(CollectionId="c1")
    server.services.keys.revoke(key.info.access_key_id)
    with pytest.raises(ClientError) as info:
        client.create_collection(CollectionId="c1")
    assert code(info) == "UnrecognizedClientException"


def test_unsigned_request_is_refused(server: Server) -> None:
    client = rekognition(server.url, None, None, signature_version=UNSIGNED)
    with pytest.raises(ClientError) as info:
        client.create_collection(CollectionId="c1")
    assert code(info) == "MissingAuthenticationTokenException"


def test_stale_date_is_refused(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    stale = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=20)
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: stale)
    with pytest.raises(ClientError) as info:
        server.client().create_collection(CollectionId="c1")
    assert code(info) == "InvalidSignatureException"
    assert "Signature expired" in info.value.response["Error"]["Message"]


def test_operation_not_allowed_for_the_key_is_denied(server: Server) -> None:
    key = server.services.keys.create(name="labels-only", operations=["Detect*"])
    client = server.client(key)
    assert client.detect_labels(Image={"Bytes": PNG_HEADER})["Labels"]
    with pytest.raises(ClientError) as info:
        client.create_collection(CollectionId="c1")
    assert code(info) == "AccessDeniedException"
    assert "rekognition:CreateCollection" in info.value.response["Error"]["Message"]


def test_missing_member_is_invalid_parameter(server: Server) -> None:
    client = server.client(parameter_validation=False)
    with pytest.raises(ClientError) as info:
        client.detect_labels()
    assert code(info) == "InvalidParameterException"
    assert "'Image'" in info.value.response["Error"]["Message"]


def test_constraint_violation_is_a_validation_exception(server: Server) -> None:
    client = server.client(parameter_validation=False)
    with pytest.raises(ClientError) as info:
        client.create_collection(CollectionId="no spaces allowed")
    assert code(info) == "ValidationException"
    assert "'CollectionId'" in info.value.response["Error"]["Message"]


def test_malformed_json_is_a_clear_400(server: Server) -> None:
    key = server.key
    response = signed_post(
        server.url,
        b'{"CollectionId": "c1",',
        target="RekognitionService.CreateCollection",
        key_id=key.info.access_key_id,
        secret=key.secret_access_key,
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    error = response.json()
    assert error["__type"] == "SerializationException"
    assert "not valid JSON" in error["message"] and "line 1" in error["message"]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("RekognitionService.DetectUnicorns", "is not a Rekognition operation"),
        ("RekognitionService.StartLabelDetection", "does not offer"),  # modelled, not served
        (None, "no X-Amz-Target"),
    ],
)
def test_unknown_operations_are_named(server: Server, target: str | None, expected: str) -> None:
    key = server.key
    response = signed_post(
        server.url,
        b"{}",
        target=target,
        key_id=key.info.access_key_id,
        secret=key.secret_access_key,
    )
    assert response.status_code == 400
    assert response.json()["__type"] == "UnknownOperationException"
    assert expected in response.json()["message"]


def test_body_over_the_limit_is_refused_before_it_is_read(server: Server) -> None:
    client = server.client()
    with pytest.raises(ClientError) as info:
        client.detect_labels(Image={"Bytes": b"x" * 100_000})  # limit: 64 KiB of body
    assert code(info) == "ImageTooLargeException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert "65,536" in info.value.response["Error"]["Message"]


def test_unexpected_handler_failure_is_an_internal_error(server: Server) -> None:
    with pytest.raises(ClientError) as info:
        server.client().delete_collection(CollectionId="c1")
    assert code(info) == "InternalServerError"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert "a bug" not in info.value.response["Error"]["Message"]


def test_wrong_content_type_is_refused(server: Server) -> None:
    response = httpx.post(
        server.url + "/",
        content=b"{}",
        headers={"Content-Type": "text/plain", "X-Amz-Target": "RekognitionService.ListUsers"},
    )
    assert response.status_code == 400
    assert "Content-Type" in response.json()["message"]


def test_key_over_its_rate_is_refused_with_provisioned_throughput(server: Server) -> None:
    key = server.services.keys.create(name="slow", rate_per_second=0.001)
    client = server.client(key)
    burst = server.services.settings.api.rate_burst
    for _ in range(burst):
        client.create_collection(CollectionId="c1")
    with pytest.raises(ClientError) as info:
        client.create_collection(CollectionId="c1")
    assert code(info) == "ProvisionedThroughputExceededException"
    # Other keys have their own buckets.
    assert server.client().create_collection(CollectionId="c1")["StatusCode"] == 200


def test_full_analysis_pool_throttles_and_never_blocks_the_event_loop(settings: Settings) -> None:
    settings = settings.model_copy(
        update={
            "server": settings.server.model_copy(update={"analysis_threads": 1}),
            "api": settings.api.model_copy(update={"max_pending": 1}),
        }
    )
    started, release = threading.Event(), threading.Event()

    def slow(ctx: OperationContext, request: dict[str, Any]) -> dict[str, Any]:
        started.set()
        release.wait(30)
        return {"StatusCode": 200}

    services = build_services(settings)
    key = services.keys.create()
    app = create_app(settings, services=services, operations={"CreateCollection": slow})
    with serve(app) as url, ThreadPoolExecutor(1) as pool:
        client = rekognition(url, key.info.access_key_id, key.secret_access_key)
        first = pool.submit(client.create_collection, CollectionId="c1")
        assert started.wait(30)
        # The event loop still answers while the only analysis thread is busy...
        assert httpx.get(url + "/health").json()["status"] == "ok"
        # ...and a request beyond the pool's capacity is refused at once.
        with pytest.raises(ClientError) as info:
            client.create_collection(CollectionId="c2")
        assert code(info) == "ThrottlingException"
        release.set()
        assert first.result(30)["StatusCode"] == 200
    services.close()


def test_auth_off_is_announced_and_serves_unsigned_requests(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(settings, auth=False)
    services = build_services(settings)
    with (
        caplog.at_level(logging.WARNING, logger="sightline.api.app"),
        serve(create_app(settings, services=services, operations=OPERATIONS)) as url,
    ):
        client = rekognition(url, None, None, signature_version=UNSIGNED)
        response = client.create_collection(CollectionId="dev")
        assert response["ResponseMetadata"]["HTTPHeaders"][AUTH_HEADER.lower()] == "disabled"
        assert httpx.get(url + "/health").headers[AUTH_HEADER] == "disabled"
    services.close()
    assert any("AUTHENTICATION IS OFF" in r.getMessage() for r in caplog.records)


def test_error_body_is_rekognition_shaped(server: Server) -> None:
    response = httpx.post(
        server.url + "/",
        content=json.dumps({"CollectionId": "c1"}),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "RekognitionService.CreateCollection",
        },
    )
    assert response.status_code == 403
    assert set(response.json()) == {"__type", "message"}
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert response.headers["x-amzn-RequestId"]
