"""The app's exception handlers: each error turned into its protocol's wire form once.

Rekognition requests (``POST /``) answer ``{"__type", "message"}`` with the code and
status of :data:`sightline.errors.WIRE_ERRORS`; REST requests answer ``{"code",
"message"}`` with the same code, and the HTTP status a REST client expects where
Rekognition's differs (404 for a missing resource rather than 400). Web pages (requests
whose ``request.state.error_page`` a page router set) answer an HTML page with that
same status and message. Unexpected exceptions
are logged with a traceback and answered as ``InternalServerError`` (500) without
internals.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sightline.api.rekognition import wire
from sightline.api.rekognition.router import PROTOCOL
from sightline.errors import InternalError, SightlineError, wire_error

log = logging.getLogger(__name__)

# Rekognition answers these 400 (or 403); REST clients expect their HTTP meaning.
REST_STATUS: dict[str, int] = {
    "ResourceNotFoundException": 404,
    "ResourceAlreadyExistsException": 409,
    "ResourceInUseException": 409,
    "MissingAuthenticationTokenException": 401,
    "UnrecognizedClientException": 401,
    "AccessDeniedException": 403,
    "ThrottlingException": 429,
    "ProvisionedThroughputExceededException": 429,
    "LimitExceededException": 429,
}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SightlineError, _sightline_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


def rest_status(exc: SightlineError) -> int:
    """The HTTP status of ``exc`` for REST clients and web pages."""
    entry = wire_error(exc)
    return REST_STATUS.get(entry.code, entry.status)


async def _sightline_error(request: Request, exc: SightlineError) -> Response:
    if getattr(request.state, "protocol", None) == PROTOCOL:
        return wire.error(exc, getattr(request.state, "request_id", wire.new_request_id()))
    page = getattr(request.state, "error_page", None)
    if callable(page):
        response: Response = page(request, exc, rest_status(exc))
        return response
    return JSONResponse(
        {"code": wire_error(exc).code, "message": exc.message}, status_code=rest_status(exc)
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    internal = InternalError(
        f"Internal error ({type(exc).__name__}); the server log has the details."
    )
    return await _sightline_error(request, internal)
