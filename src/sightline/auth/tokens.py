"""Bearer tokens for the native REST API: create, list, revoke, check.

A token reads ``slt_<token_id>_<secret>``: the id (10 base32 characters) finds the row,
and the SHA-256 of the secret (256 random bits) proves it. Only the hash is stored; the
token is shown once, at creation.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, select

from sightline.auth.keys import as_utc
from sightline.db.base import utcnow
from sightline.db.engine import session_factory
from sightline.db.models.auth import ApiToken
from sightline.errors import ResourceNotFoundError

TOKEN_PREFIX = "slt_"


@dataclass(frozen=True)
class TokenInfo:
    token_id: str
    name: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


@dataclass(frozen=True)
class NewToken:
    info: TokenInfo
    token: str


class TokenStore:
    """API tokens in the database, stored hashed."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)

    def create(self, name: str | None = None) -> NewToken:
        token_id = base64.b32encode(secrets.token_bytes(5)).decode().lower()
        secret = secrets.token_urlsafe(32)
        row = ApiToken(
            token_id=token_id,
            name=name or f"token-{token_id}",
            secret_sha256=_hash(secret),
            created_at=utcnow(),
        )
        with self._sessions.begin() as session:
            session.add(row)
        return NewToken(info=_info(row), token=f"{TOKEN_PREFIX}{token_id}_{secret}")

    def list(self, include_revoked: bool = False) -> list[TokenInfo]:
        query = select(ApiToken).order_by(ApiToken.created_at, ApiToken.token_id)
        if not include_revoked:
            query = query.where(ApiToken.revoked_at.is_(None))
        with self._sessions() as session:
            return [_info(row) for row in session.scalars(query)]

    def revoke(self, token_id: str) -> TokenInfo:
        """Revoke a token by its id (idempotent); ``slt_`` and the secret may be included.

        Raises:
            ResourceNotFoundError: no token has that id.
        """
        token_id = _split(token_id)[0] if token_id.startswith(TOKEN_PREFIX) else token_id
        with self._sessions.begin() as session:
            row = session.get(ApiToken, token_id)
            if row is None:
                raise ResourceNotFoundError(f"No API token {token_id!r}.")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return _info(row)

    def check(self, token: str) -> TokenInfo | None:
        """The active token that ``token`` proves, or None."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        token_id, secret = _split(token)
        with self._sessions() as session:
            row = session.get(ApiToken, token_id)
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.secret_sha256, _hash(secret)):
                return None
            return _info(row)


def _split(token: str) -> tuple[str, str]:
    token_id, _, secret = token[len(TOKEN_PREFIX) :].partition("_")
    return token_id, secret


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        token_id=row.token_id,
        name=row.name,
        created_at=as_utc(row.created_at),
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
    )
