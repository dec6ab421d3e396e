"""The video migration creates exactly the tables the models describe, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from sightline.db.base import Base
from sightline.db.engine import make_engine
from sightline.db.migrate import upgrade

TABLES = {"video_jobs", "video_records"}


def _table(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item if isinstance(item, tuple) else ():
        table = part if isinstance(part, sa.Table) else getattr(part, "table", None)
        if isinstance(table, sa.Table):
            return str(table.name)
        if isinstance(part, str) and part in TABLES:
            return part
    return None


def test_migration_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        upgrade(engine)  # a second run is a no-op
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
        assert [d for d in diff if _table(d) in TABLES] == []
        inspector = inspect(engine)
        assert {ix["name"] for ix in inspector.get_indexes("video_records")} == {
            "ix_video_records_name",
            "ix_video_records_person",
        }
        unique = {u["name"] for u in inspector.get_unique_constraints("video_jobs")}
        assert "uq_video_jobs_api" in unique
    finally:
        engine.dispose()
