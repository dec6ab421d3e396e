"""The FastAPI app factory: settings in, an app out; no globals."""

from __future__ import annotations

from fastapi import FastAPI

import sightline
from sightline.config import Settings


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(
        title="Sightline",
        version=sightline.__version__,
        description="Self-hosted image and video analysis with a Rekognition-compatible API.",
    )
    app.state.settings = settings

    @app.get("/health", tags=["status"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": sightline.__version__}

    return app
