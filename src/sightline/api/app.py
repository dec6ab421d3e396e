"""The FastAPI app factory: settings in, an app out; no globals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import sightline
from sightline.config import Settings
from sightline.runtime import LazyRuntime, Runtime


def create_app(settings: Settings, *, runtime: Runtime | None = None) -> FastAPI:
    """The HTTP surface for ``settings``.

    ``runtime`` (database, stores, queue) is shared with the caller when given (``serve``
    builds one for the workers and watcher too); otherwise it is opened on first use and
    closed at shutdown.
    """
    holder = LazyRuntime(settings, runtime)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            holder.close()

    app = FastAPI(
        title="Sightline",
        version=sightline.__version__,
        description="Self-hosted image and video analysis with a Rekognition-compatible API.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.runtime = holder

    @app.get("/health", tags=["status"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": sightline.__version__}

    from sightline.api.pipeline import pipeline_router

    app.include_router(pipeline_router(holder.get))
    return app
