"""Property-based requests generated from the served OpenAPI: no input may cause a 5xx.

Driven through Hypothesis directly (``operation.as_strategy()``) rather than the
schemathesis pytest plugin, whose lazy-fixture mode does not run on this pytest.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from sightline.api.app import create_app
from sightline.api.services import build_services
from sightline.config import Settings
from tests.api.live import serve

EXAMPLES_PER_OPERATION = 25


def test_no_generated_request_causes_a_server_error(settings: Settings) -> None:
    services = build_services(settings)
    headers = {"Authorization": f"Bearer {services.tokens.create('fuzz').token}"}
    checked: list[str] = []
    with serve(create_app(settings, services=services)) as url:
        schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
        for result in schema.get_all_operations():
            operation = result.ok()
            checked.append(operation.label)
            _fuzz(operation, url, headers)
    services.close()
    assert "GET /api/v1/status" in checked


def _fuzz(operation: Any, url: str, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(base_url=url, headers=headers, checks=[not_a_server_error])

    run()
