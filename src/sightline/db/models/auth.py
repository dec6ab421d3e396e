"""Credentials: SigV4 access keys (Rekognition API) and bearer tokens (REST API)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sightline.db.base import Base, utcnow


class AccessKey(Base):
    """An access key pair. The secret must be recoverable to verify signatures, so it
    is stored encrypted (Fernet) rather than hashed; see :mod:`sightline.auth.secrets`.
    """

    __tablename__ = "access_keys"

    access_key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    secret_ciphertext: Mapped[str] = mapped_column(Text)
    # Operation names or glob patterns ("Detect*"); null allows every operation.
    operations: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # Requests per second for this key; null uses settings.api.rate_per_key.
    rate_per_second: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)

    def __repr__(self) -> str:
        return f"AccessKey({self.access_key_id!r}, name={self.name!r})"


class ApiToken(Base):
    """A bearer token for the REST API, stored as the SHA-256 of its secret part.

    Tokens read ``slt_<token_id>_<secret>``; the id finds the row, the hash proves the
    secret. A fast hash is enough: the secret is 256 random bits, not a password.
    """

    __tablename__ = "api_tokens"

    token_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)

    def __repr__(self) -> str:
        return f"ApiToken({self.token_id!r}, name={self.name!r})"
