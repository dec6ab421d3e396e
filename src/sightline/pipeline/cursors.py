"""Named, resumable positions kept in the database (listings, backfills)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Engine, Table, delete, select

from sightline.db import tx
from sightline.db.base import utcnow
from sightline.db.models.pipeline import Cursor

C = cast(Table, Cursor.__table__)


def get_cursor(engine: Engine, name: str) -> dict[str, Any] | None:
    with tx.read(engine) as conn:
        value = conn.execute(select(C.c.value).where(C.c.name == name)).scalar()
    return dict(value) if value is not None else None


def put_cursor(engine: Engine, name: str, value: dict[str, Any]) -> None:
    with tx.write(engine) as conn:
        conn.execute(delete(C).where(C.c.name == name))
        conn.execute(C.insert().values(name=name, value=value, updated_at=utcnow()))


def drop_cursor(engine: Engine, name: str) -> None:
    with tx.write(engine) as conn:
        conn.execute(delete(C).where(C.c.name == name))
