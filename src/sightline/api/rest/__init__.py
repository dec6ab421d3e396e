"""The native REST API under ``/api/v1`` (OpenAPI at ``/docs``), bearer-authenticated."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Depends

from sightline.api.rekognition.context import Handler
from sightline.api.rest.collections import collections_router
from sightline.api.rest.customlabels import customlabels_router
from sightline.api.rest.items import items_router
from sightline.api.rest.models import ERROR_RESPONSES
from sightline.api.rest.security import bearer_auth
from sightline.api.rest.status import status_router
from sightline.api.rest.uploads import uploads_router
from sightline.api.rest.video import video_router
from sightline.api.rest.workflows import workflows_router
from sightline.api.services import ApiServices

PREFIX = "/api/v1"


def rest_router(services: ApiServices, operations: Mapping[str, Handler]) -> APIRouter:
    """Every REST route, each behind the bearer-token check."""
    router = APIRouter(
        prefix=PREFIX, dependencies=[Depends(bearer_auth(services))], responses=ERROR_RESPONSES
    )
    router.include_router(status_router(services, operations))
    router.include_router(customlabels_router(services))
    router.include_router(items_router(services))
    router.include_router(uploads_router(services))
    router.include_router(collections_router(services))
    router.include_router(workflows_router(services))
    router.include_router(video_router(services))
    return router
