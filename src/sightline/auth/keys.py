"""Access keys for the Rekognition API: create, list, revoke, look up.

An access key id reads ``SLAK`` + 16 characters of base32 (20 in all, like AWS's
``AKIA...`` ids, so tools that expect that length accept it, but never mistaken for an
AWS key); the secret is 40 characters of url-safe base64 (240 random bits), shown once
at creation and stored encrypted.
"""

from __future__ import annotations

import base64
import datetime as dt
import fnmatch
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, select

from sightline.api.rekognition.service import operation_names
from sightline.auth.secrets import SecretCipher
from sightline.db.base import utcnow
from sightline.db.engine import session_factory
from sightline.db.models.auth import AccessKey
from sightline.errors import InvalidParameterError, ResourceNotFoundError

KEY_PREFIX = "SLAK"


@dataclass(frozen=True)
class KeyInfo:
    """An access key as listed: everything but the secret."""

    access_key_id: str
    name: str
    operations: tuple[str, ...] | None  # None: every operation
    rate_per_second: float | None  # None: the server's default
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    def allows(self, operation: str) -> bool:
        """Whether this key may call ``operation`` (names or glob patterns)."""
        if self.operations is None:
            return True
        return any(fnmatch.fnmatchcase(operation, p) for p in self.operations)


@dataclass(frozen=True)
class ActiveKey:
    """A usable (not revoked) key with its decrypted secret, for verification."""

    info: KeyInfo
    secret: str


@dataclass(frozen=True)
class NewKey:
    """A key just created: the only time its secret is available in the clear."""

    info: KeyInfo
    secret_access_key: str


class AccessKeyStore:
    """Access keys in the database, their secrets encrypted with ``cipher``."""

    def __init__(self, engine: Engine, cipher: SecretCipher) -> None:
        self._sessions = session_factory(engine)
        self._cipher = cipher

    def create(
        self,
        name: str | None = None,
        operations: Sequence[str] | None = None,
        rate_per_second: float | None = None,
    ) -> NewKey:
        """A new key pair allowed ``operations`` (None or empty: all of them).

        Raises:
            InvalidParameterError: a pattern matches no Rekognition operation, or the
                rate is not positive.
        """
        allowed = check_operations(operations) if operations else None
        if rate_per_second is not None and rate_per_second <= 0:
            raise InvalidParameterError(
                f"The rate must be a positive number of requests per second, not {rate_per_second}."
            )
        key_id = KEY_PREFIX + base64.b32encode(secrets.token_bytes(10)).decode()
        secret = secrets.token_urlsafe(30)
        row = AccessKey(
            access_key_id=key_id,
            name=name or f"key-{key_id[-6:].lower()}",
            secret_ciphertext=self._cipher.encrypt(secret),
            operations=list(allowed) if allowed else None,
            rate_per_second=rate_per_second,
            created_at=utcnow(),
        )
        with self._sessions.begin() as session:
            session.add(row)
        return NewKey(info=_info(row), secret_access_key=secret)

    def list(self, include_revoked: bool = False) -> list[KeyInfo]:
        """Keys, oldest first."""
        query = select(AccessKey).order_by(AccessKey.created_at, AccessKey.access_key_id)
        if not include_revoked:
            query = query.where(AccessKey.revoked_at.is_(None))
        with self._sessions() as session:
            return [_info(row) for row in session.scalars(query)]

    def revoke(self, access_key_id: str) -> KeyInfo:
        """Mark a key revoked (idempotent); its requests are refused from then on.

        Raises:
            ResourceNotFoundError: no key has that id.
        """
        with self._sessions.begin() as session:
            row = session.get(AccessKey, access_key_id)
            if row is None:
                raise ResourceNotFoundError(f"No access key {access_key_id!r}.")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return _info(row)

    def lookup(self, access_key_id: str) -> ActiveKey | None:
        """The active key with that id and its secret; None if unknown or revoked."""
        with self._sessions() as session:
            row = session.get(AccessKey, access_key_id)
            if row is None or row.revoked_at is not None:
                return None
            return ActiveKey(info=_info(row), secret=self._cipher.decrypt(row.secret_ciphertext))


def check_operations(patterns: Sequence[str]) -> tuple[str, ...]:
    """``patterns`` cleaned, each matching at least one Rekognition operation.

    Raises:
        InvalidParameterError: naming each pattern that matches nothing.
    """
    names = operation_names()
    cleaned = tuple(dict.fromkeys(p.strip() for p in patterns if p.strip()))
    unknown = [p for p in cleaned if not any(fnmatch.fnmatchcase(n, p) for n in names)]
    if unknown:
        raise InvalidParameterError(
            f"{', '.join(repr(p) for p in unknown)} "
            f"{'matches' if len(unknown) == 1 else 'match'} no Rekognition operation; use "
            "operation names such as DetectFaces or patterns such as 'Detect*'."
        )
    return cleaned


def _info(row: AccessKey) -> KeyInfo:
    return KeyInfo(
        access_key_id=row.access_key_id,
        name=row.name,
        operations=tuple(row.operations) if row.operations else None,
        rate_per_second=row.rate_per_second,
        created_at=as_utc(row.created_at),
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
    )


def as_utc(value: dt.datetime) -> dt.datetime:
    """``value`` with UTC attached if naive."""
    # SQLite returns naive datetimes; every stored time is UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
