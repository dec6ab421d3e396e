from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sightline.api.app import create_app
from sightline.api.services import ApiServices, build_services
from sightline.config import Settings
from tests.api.live import serve


@pytest.fixture
def services(settings: Settings) -> Iterator[ApiServices]:
    services = build_services(settings)
    yield services
    services.close()


def test_status_needs_a_bearer_token(settings: Settings, services: ApiServices) -> None:
    with (
        serve(create_app(settings, services=services)) as url,
        httpx.Client(base_url=url) as client,
    ):
        missing = client.get("/api/v1/status")
        assert missing.status_code == 401
        assert missing.json()["code"] == "MissingAuthenticationTokenException"
        forged = client.get("/api/v1/status", headers={"Authorization": "Bearer slt_x_y"})
        assert forged.status_code == 401
        assert forged.json()["code"] == "UnrecognizedClientException"

        token = services.tokens.create("t").token
        ok = client.get("/api/v1/status", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        body = ok.json()
        assert body["auth"] is True
        assert body["analysis"]["threads"] == settings.server.analysis_threads
        assert body["analysis"]["admitted"] == 0

        services.tokens.revoke(token)
        assert (
            client.get("/api/v1/status", headers={"Authorization": f"Bearer {token}"}).status_code
            == 401
        )


def test_status_is_open_when_auth_is_off(settings: Settings) -> None:
    settings = settings.model_copy(update={"api": settings.api.model_copy(update={"auth": False})})
    services = build_services(settings)
    with (
        serve(create_app(settings, services=services)) as url,
        httpx.Client(base_url=url) as client,
    ):
        response = client.get("/api/v1/status")
        assert response.status_code == 200 and response.json()["auth"] is False
    services.close()


def test_openapi_describes_the_rest_api(settings: Settings, services: ApiServices) -> None:
    with (
        serve(create_app(settings, services=services)) as url,
        httpx.Client(base_url=url) as client,
    ):
        spec = client.get("/openapi.json").json()
        assert "/api/v1/status" in spec["paths"]
        assert "/" not in spec["paths"]  # the Rekognition endpoint is boto3's, not OpenAPI's
        assert "ApiToken" in spec["components"]["securitySchemes"]
        assert client.get("/docs").status_code == 200


def test_a_shared_runtime_is_left_to_its_owner(settings: Settings) -> None:
    from sightline.runtime import Runtime

    runtime = Runtime.open(settings)
    closed: list[bool] = []
    runtime.close = lambda: closed.append(True)  # type: ignore[method-assign]
    with serve(create_app(settings, runtime=runtime)) as url:
        assert httpx.get(f"{url}/health").status_code == 200
    assert closed == []  # the app stopped without closing what serve still uses
    runtime.engine.dispose()
