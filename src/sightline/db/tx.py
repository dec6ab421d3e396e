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
def write(engine: Engine, *, durable: bool = True) -> Iterator[Connection]:
    """A connection inside a write transaction, committed on exit, rolled back on error.

    ``durable=False`` lets PostgreSQL acknowledge the commit before its WAL reaches disk
    (``synchronous_commit = off`` for this transaction only): a database crash may then
    forget the last few such commits, never corrupt anything. The queue uses it for
    claims, heartbeats and completions, whose loss at-least-once delivery already
    covers (a forgotten claim or completion means the task runs again). SQLite in WAL
    mode with ``synchronous=NORMAL`` behaves so already.
    """
    with engine.connect() as conn:
        conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            if not durable and conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            yield conn


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A connection inside a read-only (deferred) transaction."""
    with engine.connect() as conn, conn.begin():
        yield conn
