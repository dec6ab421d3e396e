"""The library search page: ``/search`` by tag, text, person and date range.

A GET form (a search is safe to repeat, bookmark and share as a link); results are a
grid of thumbnails linking to each photo's page. A person search may first scan the
faces of photos not scanned yet (:mod:`sightline.people.scan`); when time runs out the
page says how many are left and ``static/search.js`` runs the search again.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from sightline.albums.search import LibraryQuery
from sightline.api.web.auth import PageActor
from sightline.api.web.context import WebContext
from sightline.api.web.render import page_router, renderer
from sightline.errors import InvalidParameterError, ResourceNotFoundError
from sightline.people.registry import Person

Text = Annotated[str, Query(max_length=200)]


def parse_date(value: str, what: str) -> dt.date | None:
    """``YYYY-MM-DD`` (what a date input sends), or None when empty.

    Raises:
        InvalidParameterError: anything else.
    """
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidParameterError(f"The {what} date must look like 2024-05-31.") from exc


def search_pages(ctx: WebContext) -> APIRouter:
    router = page_router()

    @router.get("/search")
    def search(
        request: Request,
        actor: PageActor,
        tag: Text = "",
        text: Text = "",
        person: Annotated[str, Query(max_length=128)] = "",
        date_from: Annotated[str, Query(max_length=10)] = "",
        date_to: Annotated[str, Query(max_length=10)] = "",
        date_of: Annotated[str, Query(pattern="^(taken|uploaded)$")] = "taken",
    ) -> Response:
        errors: dict[str, str] = {}
        dates: dict[str, dt.date | None] = {}
        for name, value, what in (("date_from", date_from, "start"), ("date_to", date_to, "end")):
            try:
                dates[name] = parse_date(value, what)
            except InvalidParameterError as exc:
                errors[name] = exc.message
        chosen: Person | None = None
        if person:
            try:
                chosen = ctx.people.get(person)
            except ResourceNotFoundError:
                errors["person"] = "That person is not registered (any more)."
        query: LibraryQuery | None = None
        if not errors:
            try:
                query = LibraryQuery(
                    tag=tag,
                    text=text,
                    person=person,
                    date_from=dates["date_from"],
                    date_to=dates["date_to"],
                    date_of="uploaded" if date_of == "uploaded" else "taken",
                )
            except InvalidParameterError as exc:
                errors["date_to"] = exc.message
        result = None
        if query is not None and not query.empty:
            result = ctx.library.search(actor, query, chosen)
        form: dict[str, Any] = {
            "tag": tag,
            "text": text,
            "person": person,
            "date_from": date_from,
            "date_to": date_to,
            "date_of": date_of,
        }
        return renderer(request).page(
            request,
            "search.html",
            {
                "form": form,
                "errors": errors,
                "result": result,
                "tags": ctx.library.tags(actor),
                "people": ctx.people.everyone(),
            },
            status=400 if errors else 200,
        )

    return router
