"""Transactions that behave the same on SQLite and PostgreSQL.

A write transaction on SQLite starts with ``BEGIN IMMEDIATE``: the write lock is taken
up front, so two processes never both read and then deadlock trying to upgrade to
writing (which SQLite reports as "database is locked" without waiting). PostgreSQL
ignores the option and relies on row locks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """A connection inside a write transaction, committed on exit, rolled back on error."""
    with engine.connect() as conn:
        conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            yield conn


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A connection inside a read-only (deferred) transaction."""
    with engine.connect() as conn, conn.begin():
        yield conn
