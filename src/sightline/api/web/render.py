"""Pages from Jinja2 templates, with what every page needs in its context.

Every template sees ``user`` (the signed-in :class:`UserInfo` or None),
``csrf_token`` (the session's synchronizer token), ``nav`` (the header's links, marked
current for the page), ``path``, and the helpers ``static(name)`` (a versioned URL of
a file under ``static/``), ``datetime(value)``, ``epoch(seconds)``, ``duration(seconds)``,
``clock(ms)`` and ``filesize(n)``. Responses carry a
strict Content-Security-Policy: scripts, styles and images from this site only, no
inline script or style, no framing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

import sightline
from sightline.albums.status import PhotoState
from sightline.api.web.context import WebContext
from sightline.errors import SightlineError
from sightline.video.timeline import clock

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

# How each photo state reads on a page (static/gallery.js has the same words).
STATE_LABELS = {
    PhotoState.UPLOADED.value: "Uploaded",
    PhotoState.PROCESSING.value: "Processing",
    PhotoState.COMPLETED.value: "Completed",
    PhotoState.FAILED.value: "Failed",
}

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def datetime_text(value: dt.datetime | None) -> str:
    """``2024-05-01 14:03 UTC``: stored times are UTC and shown so."""
    if value is None:
        return ""
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def epoch_text(value: float | None) -> str:
    """Epoch seconds (the queue's and the video jobs' times) as :func:`datetime_text`."""
    if value is None:
        return ""
    return datetime_text(dt.datetime.fromtimestamp(value, dt.timezone.utc))


def duration_text(seconds: float | None) -> str:
    """``45 s``, ``3 min 05 s``, ``2 h 04 min``."""
    if seconds is None:
        return ""
    total = max(0, round(seconds))
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def filesize(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"  # unreachable


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html", "svg")),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = lambda name: f"/static/{name}?v={sightline.__version__}"
    env.globals["STATE_LABELS"] = STATE_LABELS
    env.filters["datetime"] = datetime_text
    env.filters["filesize"] = filesize
    env.filters["epoch"] = epoch_text
    env.filters["duration"] = duration_text
    env.filters["clock"] = clock
    return env


class Renderer:
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx
        self.env = environment()

    def page(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status: int = 200,
    ) -> HTMLResponse:
        """Render ``template`` for ``request`` (``context`` adds to or overrides the
        common values)."""
        session = getattr(request.state, "web_session", None)
        user = session.user if session is not None else None
        path = request.url.path
        values: dict[str, Any] = {
            "request": request,
            "user": user,
            "csrf_token": session.csrf_token if session is not None else "",
            "nav": [
                (link, path.startswith(link.prefix))
                for link in self.ctx.nav
                if user is not None and (user.is_admin or not link.admin_only)
            ],
            "path": path,
            **(context or {}),
        }
        body = self.env.get_template(template).render(values)
        out = HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)
        out.headers["Cache-Control"] = "no-store"
        return out

    def error_page(self, request: Request, exc: SightlineError, status: int) -> Response:
        """The HTML answer to an error raised on a page (the app's error handler calls
        this for requests the web routers marked)."""
        return self.page(
            request,
            "error.html",
            {"status": status, "message": exc.message, "title": _TITLES.get(status, "Error")},
            status=status,
        )


_TITLES = {
    400: "That did not work",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    409: "Not now",
    413: "Too large",
    429: "Too many attempts",
}


def renderer(request: Request) -> Renderer:
    """The app's :class:`Renderer` (set by :func:`sightline.api.web.mount_web`)."""
    found = getattr(request.app.state, "web_renderer", None)
    if not isinstance(found, Renderer):
        raise RuntimeError("the web app is not mounted on this FastAPI app")
    return found


async def mark_page(request: Request) -> None:
    """Errors raised while answering this request render as an HTML page."""
    request.state.error_page = renderer(request).error_page


def page_router() -> APIRouter:
    """A router for HTML pages: left out of the OpenAPI, errors shown as pages."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(mark_page)])


def see_other(url: str) -> RedirectResponse:
    """The answer to a successful form post (Post/Redirect/Get)."""
    return RedirectResponse(url, status_code=303)
