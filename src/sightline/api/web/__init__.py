"""The web app: server-rendered pages (Jinja2), small plain-JS modules, no build step.

:func:`mount_web` adds to an app:

- pages (:mod:`.pages`: first run, sign in/out; :mod:`.album_pages`: albums, gallery,
  photo; :mod:`.people_pages`: people and face search; :mod:`.search_pages`: the
  library search; :mod:`.video_pages`: videos and timelines; :mod:`.dashboard`: the
  admin dashboard, also as JSON), HTML only, errors rendered as pages (:mod:`.render`);
- the albums JSON API ``/api/v1/albums`` and its live status stream
  (:mod:`sightline.api.rest.albums`, :mod:`.events`);
- ``/static`` (CSS and the JS modules).

Extending it: build services into :class:`~.context.WebContext`, add a
:class:`~.context.NavLink` to ``ctx.nav``, write routes with ``page_router()``, take
``PageActor``/``ApiActor`` and add ``Depends(csrf)``/``Depends(api_csrf)`` to every
state-changing route (:mod:`.auth`), and extend ``base.html`` (blocks ``title``,
``head``, ``nav_extra``, ``content``, ``scripts``).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from sightline.api.services import ApiServices
from sightline.api.web.auth import LoginRequired, WebAuth
from sightline.api.web.context import NavLink, WebContext, build_context
from sightline.api.web.render import STATIC, Renderer

__all__ = ["NavLink", "WebContext", "mount_web"]


def mount_web(app: FastAPI, services: ApiServices) -> WebContext:
    """Add the web app's pages, JSON API and static files to ``app``."""
    from sightline.api.rest.albums import albums_api
    from sightline.api.web.album_pages import album_pages
    from sightline.api.web.dashboard import dashboard_api, dashboard_pages
    from sightline.api.web.pages import account_pages
    from sightline.api.web.people_pages import people_pages
    from sightline.api.web.search_pages import search_pages
    from sightline.api.web.video_pages import video_pages

    ctx = build_context(services)
    app.state.web = ctx
    app.state.web_auth = WebAuth(ctx)
    app.state.web_renderer = Renderer(ctx)
    app.add_exception_handler(LoginRequired, _to_login)  # type: ignore[arg-type]
    app.include_router(account_pages(ctx))
    app.include_router(album_pages(ctx))
    app.include_router(people_pages(ctx))
    app.include_router(search_pages(ctx))
    app.include_router(video_pages(ctx))
    app.include_router(dashboard_pages(ctx))
    app.include_router(dashboard_api(ctx))
    app.include_router(albums_api(ctx))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return ctx


async def _to_login(request: Request, exc: LoginRequired) -> Response:
    return RedirectResponse(exc.location, status_code=303)
