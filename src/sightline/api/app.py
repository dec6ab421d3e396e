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
from sightline.runtime import LazyRuntime, Runtime

log = logging.getLogger(__name__)

AUTH_HEADER = "X-Sightline-Auth"


def create_app(
    settings: Settings,
    *,
    services: ApiServices | None = None,
    operations: Mapping[str, Handler] | None = None,
    runtime: Runtime | None = None,
) -> FastAPI:
    """The whole HTTP surface for ``settings``.

    ``services`` (database, analyzers, pools) are built from ``settings`` unless given,
    and closed at shutdown only if built here. ``operations`` replaces the Rekognition
    operation table (tests of the protocol layer). ``runtime`` (the pipeline's store,
    queue and catalog) is shared with the caller when given (``serve`` builds one for
    its workers and watcher); otherwise it is opened on first use over the services'
    database.
    """
    from sightline.api.pipeline import pipeline_router
    from sightline.api.rekognition.operations import OPERATIONS
    from sightline.api.rekognition.router import rekognition_router
    from sightline.api.rest import rest_router

    owned = services is None
    if services is None:
        services = build_services(settings, engine=runtime.engine if runtime else None)
    pipeline = LazyRuntime(settings, runtime, engine=services.engine)

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
            pipeline.close()
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
    app.state.runtime = pipeline
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
    app.include_router(pipeline_router(pipeline.get))
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
