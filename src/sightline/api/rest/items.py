"""Catalog items and their results: ``/api/v1/items``."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import select

from sightline.api.rest.models import ItemModel, ItemPage, ItemResults, ItemStatusName, ResultModel
from sightline.api.services import ApiServices
from sightline.db import tx
from sightline.db.models.pipeline import Result
from sightline.errors import ResourceNotFoundError
from sightline.pipeline.catalog import ItemRow

ItemId = Annotated[str, Path(min_length=1, max_length=32, description="The item's id")]


def items_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/items", tags=["items"])
    catalog = services.runtime.catalog

    @router.get("", response_model=ItemPage, summary="List items")
    def list_items(
        bucket: Annotated[str | None, Query(max_length=255)] = None,
        prefix: Annotated[str | None, Query(max_length=1024)] = None,
        status: Annotated[list[ItemStatusName] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        after: Annotated[str | None, Query(max_length=32, description="Last id seen")] = None,
    ) -> ItemPage:
        """Items in id order, filtered by bucket, key prefix and status, a page at a time."""
        rows = catalog.items(
            bucket=bucket,
            prefix=prefix,
            statuses=[s.value for s in status or ()],
            limit=limit + 1,
            after_id=after,
        )
        page = rows[:limit]
        return ItemPage(
            items=[_item(r) for r in page], next_after=page[-1].id if len(rows) > limit else None
        )

    @router.get("/{item_id}", response_model=ItemModel, summary="One item")
    def get_item(item_id: ItemId) -> ItemModel:
        return _item(_find(services, item_id))

    @router.get("/{item_id}/results", response_model=ItemResults, summary="An item's results")
    def get_results(item_id: ItemId) -> ItemResults:
        """The item and every analysis result recorded for it (Rekognition-shaped)."""
        item = _find(services, item_id)
        table = Result.__table__
        query = select(table).where(table.c.item_id == item_id).order_by(table.c.id)
        with tx.read(services.engine) as conn:
            rows = conn.execute(query).mappings().all()
        return ItemResults(
            item=_item(item),
            results=[ResultModel.model_validate(dict(r)) for r in rows],
        )

    return router


def _find(services: ApiServices, item_id: str) -> ItemRow:
    row = services.runtime.catalog.get(item_id)
    if row is None:
        raise ResourceNotFoundError(f"No item {item_id!r}.")
    return row


def _item(row: ItemRow) -> ItemModel:
    return ItemModel.model_validate(dataclasses.asdict(row))
