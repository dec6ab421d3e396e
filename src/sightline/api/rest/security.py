"""Bearer-token authentication for the REST API.

``Authorization: Bearer slt_...`` tokens from ``sightline tokens create``; with
``settings.api.auth`` off every request passes (and the app says so on every response).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from sightline.api.services import ApiServices
from sightline.auth.tokens import TokenInfo
from sightline.errors import MissingAuthenticationError, UnrecognizedClientError

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="A token from `sightline tokens create`, sent as 'Authorization: Bearer slt_...'.",
)


def bearer_auth(services: ApiServices) -> Callable[..., Awaitable[TokenInfo | None]]:
    """A dependency returning the caller's token (None when auth is off)."""

    async def require_token(
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> TokenInfo | None:
        if not services.settings.api.auth:
            return None
        if credentials is None:
            raise MissingAuthenticationError(
                "This endpoint needs 'Authorization: Bearer <token>'; create a token with "
                "`sightline tokens create`."
            )
        token = await run_in_threadpool(services.tokens.check, credentials.credentials)
        if token is None:
            raise UnrecognizedClientError("The bearer token is unknown, revoked or malformed.")
        return token

    return require_token
