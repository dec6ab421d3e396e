"""Alembic environment: the engine comes from :func:`sightline.db.migrate.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import sightline.db.models  # noqa: F401  (registers every table on Base.metadata)
from sightline.db.base import Base

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through sightline.db.migrate.upgrade(engine)")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=engine.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
