"""Login sessions: a random token in the browser, its SHA-256 in the database.

The token (256 random bits, url-safe) is the cookie's value and is never stored; the
row holds its hash, the user, the expiry and the session's CSRF token (the
synchronizer token every form and script POST must echo). A session ends at its
expiry, at logout, and when its user is disabled or changes password.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select

from sightline.accounts.users import UserInfo, user_info
from sightline.db.base import utcnow
from sightline.db.engine import session_factory
from sightline.db.models.accounts import User, WebSession

# Longer than any token we issue; a longer cookie is not ours and is not hashed.
_MAX_TOKEN = 128


@dataclass(frozen=True)
class SessionInfo:
    """A live session: who, its CSRF token, until when."""

    user: UserInfo
    csrf_token: str
    expires_at: dt.datetime
    token_sha256: str


@dataclass(frozen=True)
class NewSession:
    """A session just started: the only time its token exists outside the browser."""

    token: str
    info: SessionInfo


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    """Sessions lasting ``lifetime`` from sign-in."""

    def __init__(self, engine: Engine, lifetime: dt.timedelta) -> None:
        self._sessions = session_factory(engine)
        self.lifetime = lifetime

    def create(self, user: UserInfo) -> NewSession:
        """Start a session for ``user`` (and drop every expired session)."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        row = WebSession(
            token_sha256=token_hash(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + self.lifetime,
        )
        with self._sessions.begin() as session:
            session.execute(delete(WebSession).where(WebSession.expires_at <= now))
            session.add(row)
        return NewSession(
            token, SessionInfo(user, row.csrf_token, row.expires_at, row.token_sha256)
        )

    def lookup(self, token: str) -> SessionInfo | None:
        """The live session of ``token``: None when unknown, expired, or its user is
        disabled."""
        if not token or len(token) > _MAX_TOKEN:
            return None
        query = (
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.token_sha256 == token_hash(token))
        )
        with self._sessions() as session:
            found = session.execute(query).first()
        if found is None:
            return None
        row, user = found
        if row.expires_at <= utcnow() or user.disabled_at is not None:
            return None
        return SessionInfo(user_info(user), row.csrf_token, row.expires_at, row.token_sha256)

    def end(self, token: str) -> None:
        """Log out: forget the session of ``token`` (nothing happens if unknown)."""
        with self._sessions.begin() as session:
            session.execute(delete(WebSession).where(WebSession.token_sha256 == token_hash(token)))

    def end_all(self, user_id: int) -> int:
        """End every session of a user; how many there were."""
        with self._sessions.begin() as session:
            result = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
            return int(getattr(result, "rowcount", 0) or 0)
