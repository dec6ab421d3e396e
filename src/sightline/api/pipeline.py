"""The pipeline's HTTP surface: S3 event notifications, status, Prometheus metrics.

- ``POST /events/s3``: AWS S3 / MinIO event notifications (optionally SNS-wrapped).
  Authenticated by the shared token ``pipeline.events_token``, sent as
  ``Authorization: Bearer <token>`` (or the bare token, as MinIO's ``auth_token``
  sends it), ``X-Sightline-Token``, or ``?token=``. Each created object is probed,
  recorded and routed; the answer lists what became of each.
- ``GET /status``: :func:`sightline.pipeline.status.snapshot` as JSON.
- ``GET /metrics``: the same numbers for Prometheus.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from sightline.errors import SightlineError
from sightline.pipeline.events import ObjectEvent, parse_s3_event
from sightline.pipeline.ingest import Ingestor
from sightline.pipeline.status import PipelineCollector, snapshot
from sightline.runtime import Runtime


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "").strip()
    if auth:
        scheme, _, rest = auth.partition(" ")
        return rest.strip() if scheme.lower() == "bearer" and rest else auth
    return request.headers.get("x-sightline-token") or request.query_params.get("token")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


def ingest_events(runtime: Runtime, events: list[ObjectEvent]) -> dict[str, Any]:
    """Probe, record and route the objects named by ``events``; what became of each."""
    ingestor = Ingestor(runtime.store, runtime.catalog)
    refs = list(dict.fromkeys((e.bucket, e.key) for e in events))
    found, missing = ingestor.probe_many(refs, "s3-event")
    recorded = runtime.catalog.record(found)
    return {
        "recorded": [
            {
                "bucket": r.bucket,
                "key": r.key,
                "itemId": r.item_id,
                "new": r.new,
                "status": r.status,
                "reason": r.reason,
            }
            for r in recorded
        ],
        "missing": [{"bucket": m.bucket, "key": m.key, "reason": m.error.message} for m in missing],
    }


def pipeline_router(get_runtime: Callable[[], Runtime]) -> APIRouter:
    router = APIRouter()

    @router.post("/events/s3", tags=["ingest"], summary="Receive S3 event notifications")
    async def s3_events(request: Request) -> Response:
        runtime = get_runtime()
        secret = runtime.settings.pipeline.events_token
        if secret is None:
            return _error(
                403, "The S3 event endpoint is off: set pipeline.events_token to enable it."
            )
        given = _token(request)
        if given is None or not hmac.compare_digest(
            given.encode(), secret.get_secret_value().encode()
        ):
            return _error(403, "Missing or wrong event token.")
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError as exc:
            return _error(400, f"The body is not JSON: {exc}.")
        try:
            events, ignored = parse_s3_event(body)
            result = await run_in_threadpool(ingest_events, runtime, events)
        except SightlineError as exc:
            return _error(400, exc.message)
        return JSONResponse({"received": len(events), "ignored": ignored, **result})

    @router.get("/status", tags=["status"], summary="Queue, throughput, limits, workers")
    def status() -> dict[str, Any]:
        return snapshot(get_runtime())

    @router.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        registry = CollectorRegistry(auto_describe=False)
        registry.register(PipelineCollector(get_runtime()))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
