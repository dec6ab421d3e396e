"""Bulk inserts that skip conflicts, at the driver's speed, on SQLite and PostgreSQL.

SQLAlchemy's per-row parameter processing costs more than the database itself when a
backfill writes a million rows; this sends one ``INSERT ... ON CONFLICT DO NOTHING``
through the driver's ``executemany`` with values already in the column's storage form
(JSON as text, cast to ``jsonb`` on PostgreSQL; UTC timestamps as SQLite stores them).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, DateTime, Table
from sqlalchemy.types import TypeDecorator


@functools.lru_cache(maxsize=64)
def _sqlite_stamp(value: dt.datetime | None) -> str | None:
    # Cached: a batch stamps every row with the same few instants.
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list) and len(value) < 8 and all(isinstance(v, str) for v in value):
        return _short_list(tuple(value))  # e.g. analyses: the same few lists, over and over
    return _ENCODER.encode(value)


@functools.lru_cache(maxsize=256)
def _short_list(value: tuple[str, ...]) -> str:
    return _ENCODER.encode(list(value))


def insert_ignore(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict: Sequence[str] = (),
) -> None:
    """Insert ``rows`` (all with the same keys) into ``table``, skipping any row that
    conflicts with a unique constraint (``conflict`` names its columns when needed)."""
    if not rows:
        return
    pg = conn.dialect.name == "postgresql"
    quote = conn.dialect.identifier_preparer.quote
    columns = list(rows[0])
    marks: list[str] = []
    converters: list[Callable[[Any], Any] | None] = []
    for name in columns:
        kind = table.c[name].type
        impl = kind.impl if isinstance(kind, TypeDecorator) else kind
        if isinstance(impl, JSON):
            marks.append("%s::jsonb" if pg else "?")
            converters.append(_json_text)
        elif isinstance(impl, DateTime) and not pg:
            marks.append("?")
            converters.append(_sqlite_stamp)
        else:
            marks.append("%s" if pg else "?")
            converters.append(None)
    target = f"({', '.join(quote(c) for c in conflict)}) " if conflict else ""
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(marks)}) ON CONFLICT {target}DO NOTHING"
    )
    getter = itemgetter(*columns)
    convert = [(i, f) for i, f in enumerate(converters) if f is not None]
    params: list[tuple[Any, ...]] = []
    for row in rows:
        values = list(getter(row)) if len(columns) > 1 else [getter(row)]
        for i, f in convert:
            values[i] = f(values[i])
        params.append(tuple(values))
    conn.exec_driver_sql(sql, params)
