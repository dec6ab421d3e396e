"""Who is signed in, and the CSRF check: the dependencies every web route uses.

Use the module's dependencies (they find the app's :class:`WebAuth` on
``app.state.web_auth``):

- Pages take :data:`PageActor` (a signed-in user, else a redirect to the sign-in page,
  or to the first-run page while no user exists).
- JSON routes take :data:`ApiActor`: a bearer token from ``sightline tokens create``
  (the operator, with an admin's rights), else the session cookie, else - only with
  ``api.auth`` off - the operator; otherwise 401.
- Every state-changing request of a session carries the session's synchronizer token,
  as the form field ``csrf_token`` or the ``X-CSRF-Token`` header:
  ``dependencies=[Depends(csrf)]`` on pages, ``[Depends(api_csrf)]`` on JSON routes
  (bearer requests are exempt: a browser never adds that header by itself). Missing
  or wrong: 403 :class:`~sightline.errors.InvalidCsrfTokenError`.
- The sign-in and first-run forms have no session yet; they carry a double-submit
  token: a random HttpOnly ``SameSite=Strict`` cookie echoed by a hidden field
  (:func:`login_csrf`).

The session cookie holds a random token (only its hash is stored), ``HttpOnly``,
``SameSite=Lax``, and ``Secure`` on https (``web.secure_cookies``).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from sightline.accounts.actor import Actor
from sightline.accounts.sessions import SessionInfo
from sightline.accounts.users import UserInfo
from sightline.api.web.context import WebContext
from sightline.errors import (
    InvalidCsrfTokenError,
    MissingAuthenticationError,
    UnrecognizedClientError,
)

SESSION_COOKIE = "sightline_session"
LOGIN_COOKIE = "sightline_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class LoginRequired(Exception):
    """Not signed in on a page: answered with a redirect to ``location``."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def safe_next(target: str | None, default: str = "/albums") -> str:
    """``target`` if it is a path on this site (no scheme, host or ``//``), else
    ``default``: a sign-in link can never send the user elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class WebAuth:
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx

    # --- who is asking ------------------------------------------------------------

    async def session(self, request: Request) -> SessionInfo | None:
        """The request's live session (looked up once per request)."""
        if hasattr(request.state, "web_session"):
            cached: SessionInfo | None = request.state.web_session
            return cached
        token = request.cookies.get(SESSION_COOKIE)
        found = await run_in_threadpool(self.ctx.sessions.lookup, token) if token else None
        request.state.web_session = found
        return found

    async def user(self, request: Request) -> UserInfo | None:
        session = await self.session(request)
        return session.user if session is not None else None

    async def page_actor(self, request: Request) -> Actor:
        """Dependency of pages: the signed-in user, else a redirect to sign in."""
        session = await self.session(request)
        if session is None:
            if not await run_in_threadpool(self.ctx.users.any_users):
                raise LoginRequired("/setup")
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(f"/login?next={quote(target, safe='/')}")
        return Actor(session.user, "session")

    async def api_actor(self, request: Request) -> Actor:
        """Dependency of the JSON API: a bearer token, a session, or (auth off) anyone.

        Raises:
            MissingAuthenticationError: neither (401).
            UnrecognizedClientError: a bearer token that is unknown or revoked (401).
        """
        cached = getattr(request.state, "web_actor", None)
        if isinstance(cached, Actor):
            return cached
        actor = await self._api_actor(request)
        request.state.web_actor = actor
        return actor

    async def _api_actor(self, request: Request) -> Actor:
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            token = await run_in_threadpool(self.ctx.services.tokens.check, credentials.strip())
            if token is None:
                raise UnrecognizedClientError("The bearer token is unknown, revoked or malformed.")
            return Actor(None, "token", token.token_id)
        session = await self.session(request)
        if session is not None:
            return Actor(session.user, "session")
        if not self.ctx.services.settings.api.auth:
            return Actor(None, "open")
        raise MissingAuthenticationError(
            "Sign in to the web app, or send 'Authorization: Bearer <token>' (create one "
            "with `sightline tokens create`)."
        )

    # --- CSRF ---------------------------------------------------------------------

    async def csrf(self, request: Request) -> None:
        """Dependency of state-changing pages: the session's token must come along."""
        session = await self.session(request)
        expected = session.csrf_token if session is not None else None
        await self._check(request, expected)

    async def api_csrf(self, request: Request) -> None:
        """Dependency of state-changing JSON routes: the CSRF check, when the caller is
        a browser session (bearer tokens are not sent by browsers on their own)."""
        actor = await self.api_actor(request)
        if actor.via == "session":
            await self.csrf(request)

    async def login_csrf(self, request: Request) -> None:
        """Dependency of the sign-in and first-run forms (no session yet)."""
        await self._check(request, request.cookies.get(LOGIN_COOKIE))

    async def _check(self, request: Request, expected: str | None) -> None:
        given = await submitted_token(request)
        if not expected or not given or not hmac.compare_digest(given, expected):
            raise InvalidCsrfTokenError(
                "This form's security token is missing or out of date (a form from an "
                "earlier session, or a request from another site): reload the page and "
                "try again."
            )

    # --- cookies ------------------------------------------------------------------

    def secure(self, request: Request) -> bool:
        mode = self.ctx.settings.secure_cookies
        return mode == "always" or (mode == "auto" and request.url.scheme == "https")

    @staticmethod
    def login_token(request: Request) -> str:
        """The double-submit token of the sign-in forms: the browser's, or a new one
        (set it with :meth:`keep_login_token`)."""
        token = request.cookies.get(LOGIN_COOKIE)
        return token if token and len(token) <= 64 else secrets.token_urlsafe(24)

    def keep_login_token(self, request: Request, response: Response, token: str) -> None:
        if request.cookies.get(LOGIN_COOKIE) != token:
            response.set_cookie(
                LOGIN_COOKIE,
                token,
                httponly=True,
                samesite="strict",
                secure=self.secure(request),
                path="/",
            )

    async def start_session(self, request: Request, response: Response, user: UserInfo) -> None:
        """Sign ``user`` in: a fresh session (never one the browser brought along)."""
        new = await run_in_threadpool(self.ctx.sessions.create, user)
        response.set_cookie(
            SESSION_COOKIE,
            new.token,
            max_age=int(self.ctx.settings.session_hours * 3600),
            httponly=True,
            samesite="lax",
            secure=self.secure(request),
            path="/",
        )
        response.delete_cookie(LOGIN_COOKIE, path="/")
        request.state.web_session = new.info

    async def end_session(self, request: Request, response: Response) -> None:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await run_in_threadpool(self.ctx.sessions.end, token)
        response.delete_cookie(SESSION_COOKIE, path="/")
        request.state.web_session = None


async def submitted_token(request: Request) -> str | None:
    """The CSRF token a request carries: the header, else the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(_FORMS):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


# --- dependencies -------------------------------------------------------------------


def web_auth(request: Request) -> WebAuth:
    """The app's :class:`WebAuth` (set by :func:`sightline.api.web.mount_web`)."""
    found = getattr(request.app.state, "web_auth", None)
    if not isinstance(found, WebAuth):
        raise RuntimeError("the web app is not mounted on this FastAPI app")
    return found


async def page_actor(request: Request) -> Actor:
    return await web_auth(request).page_actor(request)


async def api_actor(request: Request) -> Actor:
    return await web_auth(request).api_actor(request)


async def csrf(request: Request) -> None:
    await web_auth(request).csrf(request)


async def api_csrf(request: Request) -> None:
    await web_auth(request).api_csrf(request)


async def login_csrf(request: Request) -> None:
    await web_auth(request).login_csrf(request)


PageActor = Annotated[Actor, Depends(page_actor)]
ApiActor = Annotated[Actor, Depends(api_actor)]
