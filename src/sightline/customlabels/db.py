"""ORM sessions inside the shared transaction helpers (:mod:`sightline.db.tx`).

A writing session runs inside ``tx.write`` (SQLite: ``BEGIN IMMEDIATE``), so a
read-then-update never deadlocks against another process; it is committed when the
block ends without error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sightline.db import tx


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    with tx.write(engine) as conn, Session(bind=conn, expire_on_commit=False) as session:
        yield session
        session.flush()


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    with tx.read(engine) as conn, Session(bind=conn, expire_on_commit=False) as session:
        yield session


def now_ms() -> int:
    return int(time.time() * 1000)
