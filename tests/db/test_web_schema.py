"""The web migration creates exactly the tables the models describe, on both databases."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from sightline.db.base import Base
from sightline.db.engine import make_engine
from sightline.db.migrate import upgrade

TABLES = {"users", "web_sessions", "albums", "album_shares", "photos", "photo_face_scans"}


def _table_of(diff: Any) -> str | None:
    """The table a compare_metadata entry (a tuple, or a list of them) is about."""
    item = diff[0] if isinstance(diff, list) else diff
    for part in item if isinstance(item, tuple) else ():
        table = part if isinstance(part, sa.Table) else getattr(part, "table", None)
        if isinstance(table, sa.Table):
            return table.name
        if isinstance(part, str) and part in TABLES:  # modify_* entries name the table
            return part
    return None


def test_migration_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        upgrade(engine)  # a second run is a no-op
        assert set(inspect(engine).get_table_names()) >= TABLES
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = [d for d in compare_metadata(ctx, Base.metadata) if _table_of(d) in TABLES]
        assert diff == []
    finally:
        engine.dispose()


def test_table_of_names_the_table() -> None:
    users = Base.metadata.tables["users"]
    assert _table_of(("remove_table", users)) == "users"
    assert (
        _table_of([("modify_nullable", None, "photos", "file_name", {}, False, True)]) == "photos"
    )
    assert _table_of(("remove_table", Base.metadata.tables["tasks"])) == "tasks"
