"""The FastAPI app factory: settings in, an app out; no globals."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

import sightline
from sightline.api.errors import install_error_handlers
from sightline.api.rekognition.context import Handler
from sightline.api.services import ApiServices, build_services
from sightline.config import Settings
from sightline.runtime import Runtime

log = logging.getLogger(__name__)

AUTH_HEADER = "X-Sightline-Auth"


def create_app(
    settings: Settings,
    *,
    runtime: Runtime | None = None,
    services: ApiServices | None = None,
    operations: Mapping[str, Handler] | None = None,
) -> FastAPI:
    """The whole HTTP surface for ``settings``.

    ``services`` (runtime, analyzers, keys, pools) are built from ``settings`` unless
    given, over ``runtime`` when given (``serve`` shares one with its workers), and
    closed at shutdown only if built here. ``operations`` replaces the Rekognition
    operation table (tests of the protocol layer).
    """
    from sightline.api.pipeline import pipeline_router
    from sightline.api.rekognition.operations import OPERATIONS
    from sightline.api.rekognition.router import rekognition_router
    from sightline.api.rest import rest_router
    from sightline.api.web import mount_web

    owned = services is None
    services = services or build_services(settings, runtime=runtime)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if not settings.api.auth:
            _warn_auth_off(settings)
        elif not services.keys.list():
            log.warning(
                "No access keys exist yet: Rekognition requests will be refused until one is "
                "created with `sightline keys create`."
            )
        try:
            yield
        finally:
            if owned:
                services.close()

    app = FastAPI(
        title="Sightline",
        version=sightline.__version__,
        description="Self-hosted image and video analysis with a Rekognition-compatible API.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.services = services
    install_error_handlers(app)

    if not settings.api.auth:

        @app.middleware("http")
        async def announce_auth_off(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            response = await call_next(request)
            response.headers[AUTH_HEADER] = "disabled"
            return response

    @app.get("/health", tags=["status"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": sightline.__version__}

    table = OPERATIONS if operations is None else operations
    app.include_router(rekognition_router(services, table))
    app.include_router(rest_router(services, table))
    app.include_router(pipeline_router(lambda: services.runtime))
    mount_web(app, services)
    return app


def _warn_auth_off(settings: Settings) -> None:
    log.warning(
        "AUTHENTICATION IS OFF (settings.api.auth = false): anyone who can reach "
        "http://%s:%d may call every operation and read every result. Use this only "
        "for local development; every response carries '%s: disabled'.",
        settings.server.host,
        settings.server.port,
        AUTH_HEADER,
    )
