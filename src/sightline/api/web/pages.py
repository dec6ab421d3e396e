"""Account pages: the first-run admin, sign in, sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from sightline.accounts.users import normalize_username
from sightline.api.web.auth import client_address, csrf, login_csrf, safe_next, web_auth
from sightline.api.web.context import WebContext
from sightline.api.web.render import page_router, renderer, see_other
from sightline.errors import ConflictError, InvalidParameterError

Text = Annotated[str, Form(max_length=1100)]


def account_pages(ctx: WebContext) -> APIRouter:
    router = page_router()

    @router.get("/")
    async def home(request: Request) -> Response:
        if await web_auth(request).session(request) is not None:
            return see_other("/albums")
        if not await run_in_threadpool(ctx.users.any_users):
            return see_other("/setup")
        return see_other("/login")

    # --- first run ----------------------------------------------------------------

    @router.get("/setup")
    async def setup_form(request: Request) -> Response:
        if await run_in_threadpool(ctx.users.any_users):
            return see_other("/login")
        return _anonymous_form(request, "setup.html", {})

    @router.post("/setup", dependencies=[Depends(login_csrf)])
    async def setup(
        request: Request, username: Text = "", password: Text = "", confirm: Text = ""
    ) -> Response:
        errors: dict[str, str] = {}
        try:
            normalize_username(username)
        except InvalidParameterError as exc:
            errors["username"] = exc.message
        if len(password) < 8:
            errors["password"] = "The password needs at least 8 characters."
        elif password != confirm:
            errors["confirm"] = "The two passwords differ."
        if errors:
            return _anonymous_form(
                request, "setup.html", {"errors": errors, "username": username}, status=400
            )
        try:
            user = await run_in_threadpool(ctx.users.create_first_admin, username, password)
        except ConflictError:
            return see_other("/login")
        except InvalidParameterError as exc:
            return _anonymous_form(
                request,
                "setup.html",
                {"errors": {"password": exc.message}, "username": username},
                status=400,
            )
        response = see_other("/albums")
        await web_auth(request).start_session(request, response, user)
        return response

    # --- sign in and out ----------------------------------------------------------

    @router.get("/login")
    async def login_form(request: Request, next: str | None = None) -> Response:
        if await web_auth(request).session(request) is not None:
            return see_other(safe_next(next))
        if not await run_in_threadpool(ctx.users.any_users):
            return see_other("/setup")
        return _anonymous_form(request, "login.html", {"next": safe_next(next)})

    @router.post("/login", dependencies=[Depends(login_csrf)])
    async def login(
        request: Request, username: Text = "", password: Text = "", next: Text = ""
    ) -> Response:
        target = safe_next(next)
        name = username.strip().lower()
        address = client_address(request)
        context = {"next": target, "username": username}
        wait = ctx.throttle.retry_after(name, address)
        if wait > 0:
            minutes = max(1, round(wait / 60))
            message = (
                f"Too many wrong passwords for {name} from your address: try again in "
                f"{minutes} minute{'s' if minutes != 1 else ''}."
            )
            return _anonymous_form(
                request, "login.html", {**context, "form_error": message}, status=429
            )
        user = await run_in_threadpool(ctx.users.authenticate, name, password)
        if user is None:
            ctx.throttle.failed(name, address)
            return _anonymous_form(
                request,
                "login.html",
                {**context, "form_error": "That user name and password do not match."},
                status=400,
            )
        ctx.throttle.succeeded(name, address)
        response = see_other(target)
        await web_auth(request).start_session(request, response, user)
        return response

    @router.post("/logout", dependencies=[Depends(csrf)])
    async def logout(request: Request) -> Response:
        response = see_other("/login")
        await web_auth(request).end_session(request, response)
        return response

    return router


def _anonymous_form(
    request: Request, template: str, context: dict[str, object], *, status: int = 200
) -> Response:
    """A sign-in or first-run form, with its double-submit token and cookie."""
    auth = web_auth(request)
    token = auth.login_token(request)
    response = renderer(request).page(
        request, template, {"errors": {}, **context, "csrf_token": token}, status=status
    )
    auth.keep_login_token(request, response, token)
    return response
