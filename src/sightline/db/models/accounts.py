"""Web-app accounts: users and their login sessions.

A password is stored only as its argon2id hash (the PHC string carries the salt and
the cost parameters, so raising the cost later re-hashes at the next login). A
session is a random token in the browser's cookie; the table keeps only its SHA-256
(the token is 256 random bits, not a password, so a fast hash suffices) and the CSRF
token bound to it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sightline.db.base import Base, utcnow
from sightline.db.models.pipeline import BigId, UtcDateTime


class User(Base):
    """A person who signs in to the web app."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # Lower case (see sightline.accounts.users.normalize_username): names are unique
    # whatever their case.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # "admin" or "member"
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class WebSession(Base):
    """A signed-in browser: the hash of its cookie's token, until it expires."""

    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The synchronizer token every form and script POST of this session must carry.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_web_sessions_expires_at", "expires_at"),)
