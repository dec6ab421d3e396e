"""``GET /api/v1/status``: what this server is and how busy it is."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter

import sightline
from sightline.api.rekognition.context import Handler
from sightline.api.rest.models import AnalysisPoolStatus, StatusResponse
from sightline.api.services import ApiServices


def status_router(services: ApiServices, operations: Mapping[str, Handler]) -> APIRouter:
    router = APIRouter(tags=["status"])

    @router.get("/status", response_model=StatusResponse, summary="Server status")
    def status() -> StatusResponse:
        pool = services.analysis
        return StatusResponse(
            version=sightline.__version__,
            auth=services.settings.api.auth,
            analyzers_loaded=services.analyzers.loaded(),
            rekognition_operations=sorted(operations),
            analysis=AnalysisPoolStatus(
                threads=pool.threads, admitted=pool.admitted, max_pending=pool.max_pending
            ),
        )

    return router
