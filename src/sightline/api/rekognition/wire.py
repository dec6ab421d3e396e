"""The JSON 1.1 wire format: bodies in and out, errors as Rekognition sends them.

Errors go out as ``{"__type": "<Code>", "message": "..."}`` with the code and HTTP status
that :func:`sightline.errors.wire_error` gives; botocore reads ``__type`` into
``ClientError.response["Error"]["Code"]``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sightline.errors import RequestTooLargeError, SerializationError, SightlineError, wire_error

CONTENT_TYPE = "application/x-amz-json-1.1"
REQUEST_ID_HEADER = "x-amzn-RequestId"


def new_request_id() -> str:
    return str(uuid.uuid4())


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing it as soon as it is known to exceed ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before a byte is read; a
    chunked body is refused when the running total passes the limit.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit, at_least=True)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: int, limit: int, at_least: bool = False) -> RequestTooLargeError:
    amount = f"more than {limit:,}" if at_least else f"{size:,}"
    return RequestTooLargeError(
        f"The request body is {amount} bytes; this server accepts at most {limit:,} bytes "
        "(settings.server.max_body_bytes)."
    )


def parse_json(body: bytes) -> Any:
    """The decoded JSON body; an empty body is an empty object, as botocore sends ``{}``.

    Raises:
        SerializationError: not UTF-8 JSON, with the position of the first fault.
    """
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except UnicodeDecodeError as exc:
        raise SerializationError(
            f"The request body is not UTF-8 text (byte {exc.start}); send JSON."
        ) from exc
    except json.JSONDecodeError as exc:
        raise SerializationError(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} "
            f"column {exc.colno} (character {exc.pos})."
        ) from exc


def encode(result: dict[str, Any]) -> bytes:
    """A response document as JSON: bytes as base64, datetimes as epoch seconds."""
    return json.dumps(result, default=_default, separators=(",", ":")).encode()


def _default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def success(body: bytes, request_id: str) -> Response:
    return Response(
        content=body,
        status_code=200,
        media_type=CONTENT_TYPE,
        headers={REQUEST_ID_HEADER: request_id},
    )


def error(exc: SightlineError, request_id: str) -> Response:
    """The wire response for ``exc``: code and status from the one table."""
    entry = wire_error(exc)
    return Response(
        content=json.dumps({"__type": entry.code, "message": exc.message}).encode(),
        status_code=entry.status,
        media_type=CONTENT_TYPE,
        headers={REQUEST_ID_HEADER: request_id, "x-amzn-ErrorType": entry.code},
    )
