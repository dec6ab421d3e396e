"""``POST /``: the Rekognition JSON 1.1 endpoint.

One request, in order (cheapest refusals first, nothing analysed before auth):

1. read the body, refusing it past ``server.max_body_bytes`` (413);
2. authenticate the SigV4 signature over the body (off only if ``api.auth`` is false);
3. resolve ``X-Amz-Target`` to an operation, check the key may call it;
4. take a token from the caller's bucket (``ProvisionedThroughputExceededException``);
5. on the analysis pool (``ThrottlingException`` when it is full): parse the JSON,
   validate it against botocore's model, run the handler, encode the response.

Every failure is a :class:`~sightline.errors.SightlineError` turned into the wire
format once, by the app's exception handler (:mod:`sightline.api.errors`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sightline.api.rekognition import wire
from sightline.api.rekognition.context import Handler, OperationContext
from sightline.api.rekognition.service import parse_target
from sightline.api.rekognition.validate import parse_request
from sightline.api.services import ApiServices
from sightline.auth.sigv4 import SignedRequest
from sightline.errors import (
    InternalError,
    ProvisionedThroughputExceededError,
    SerializationError,
    SightlineError,
    UnknownOperationError,
)

log = logging.getLogger(__name__)

SERVICE = "rekognition"
PROTOCOL = "rekognition"
_CONTENT_TYPES = ("application/x-amz-json-1.1", "application/x-amz-json-1.0", "application/json")


@dataclass(frozen=True)
class Caller:
    """Who sent a request: a key id (or "anonymous") and the rate that applies."""

    id: str
    bucket: str
    rate: float


def rekognition_router(services: ApiServices, operations: Mapping[str, Handler]) -> APIRouter:
    """The endpoint serving ``operations`` (operation name -> handler)."""
    router = APIRouter()
    settings = services.settings

    @router.post("/", include_in_schema=False)
    async def rekognition(request: Request) -> Response:
        started = time.perf_counter()
        request.state.protocol = PROTOCOL
        request.state.request_id = request_id = wire.new_request_id()
        _check_content_type(request.headers.get("content-type"))
        body = await wire.read_body(request, settings.server.max_body_bytes)
        operation, caller = await _identify(services, request, body)
        handler = operations.get(operation)
        if handler is None:
            raise UnknownOperationError(
                f"Sightline does not offer the Rekognition operation {operation}; this server "
                f"serves: {', '.join(sorted(operations))}."
            )
        wait = services.limiter.acquire(caller.bucket, caller.rate, settings.api.rate_burst)
        if wait > 0:
            raise ProvisionedThroughputExceededError(
                f"{caller.id} is over its rate of {caller.rate:g} requests per second; retry in "
                f"{wait:.2f} s or raise the key's rate (`sightline keys create --rate`)."
            )
        context = OperationContext(services=services, operation=operation, caller=caller.id)
        payload, handler_seconds = await services.analysis.run(_execute, handler, context, body)
        response = wire.success(payload, request_id)
        # Where the time went, for clients and benchmarks (the W3C Server-Timing header).
        response.headers["Server-Timing"] = (
            f"total;dur={(time.perf_counter() - started) * 1e3:.2f}, "
            f"handler;dur={handler_seconds * 1e3:.2f}"
        )
        return response

    return router


async def _identify(services: ApiServices, request: Request, body: bytes) -> tuple[str, Caller]:
    """The operation and its authenticated caller; auth runs off the event loop."""
    settings = services.settings.api
    if not settings.auth:
        operation = parse_target(request.headers.get("x-amz-target"))
        client = request.client.host if request.client else "unknown"
        return operation, Caller("anonymous", f"client:{client}", settings.rate_per_key)

    def authenticate() -> tuple[str, Caller]:
        # Hashing a body of several MB and the key lookup would stall the event loop.
        signed = SignedRequest(
            method=request.method,
            raw_path=request.scope.get("raw_path", b"/").decode("latin-1") or "/",
            query=request.scope.get("query_string", b"").decode("latin-1"),
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
            body_sha256=hashlib.sha256(body).hexdigest(),
        )
        key = services.verifier.authenticate(signed, SERVICE)
        operation = parse_target(request.headers.get("x-amz-target"))
        services.verifier.authorize(key, operation)
        rate = settings.rate_per_key if key.rate_per_second is None else key.rate_per_second
        return operation, Caller(key.access_key_id, f"key:{key.access_key_id}", rate)

    return await run_in_threadpool(authenticate)


def _execute(handler: Handler, context: OperationContext, body: bytes) -> tuple[bytes, float]:
    """The encoded response and the seconds the handler itself took."""
    params = parse_request(context.operation, wire.parse_json(body))
    started = time.perf_counter()
    try:
        result = handler(context, params)
    except SightlineError:
        raise
    except Exception as exc:
        log.exception("%s failed for %s", context.operation, context.caller)
        raise InternalError(
            f"{context.operation} failed inside Sightline ({type(exc).__name__}); the server "
            "log has the details."
        ) from exc
    return wire.encode(result), time.perf_counter() - started


def _check_content_type(value: str | None) -> None:
    if value is None:
        return
    media = value.split(";")[0].strip().lower()
    if media not in _CONTENT_TYPES:
        raise SerializationError(
            f"Content-Type {value!r} is not accepted; Rekognition requests are "
            f"'{_CONTENT_TYPES[0]}'."
        )
