"""The faces migration creates exactly the tables the models describe, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sightline.db.base import Base
from sightline.db.engine import make_engine
from sightline.db.migrate import upgrade

FACE_TABLES = {"face_collections", "faces", "face_users", "face_persons"}


def test_migration_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        ours = [d for d in diff if _table_of(d) in FACE_TABLES]
        assert ours == []
    finally:
        engine.dispose()


def _table_of(diff: object) -> str | None:
    """The table a compare_metadata entry is about (entries are tuples or lists of them)."""
    item = diff[0] if isinstance(diff, list) else diff
    for part in item if isinstance(item, tuple) else ():
        if isinstance(part, sa.Table):
            return str(part.name)
        table = getattr(part, "table", None)  # Index, Column, Constraint
        if isinstance(table, sa.Table):
            return str(table.name)
        if isinstance(part, str) and part in FACE_TABLES:  # modify_* entries name it
            return part
    return None


def test_table_of_names_the_table() -> None:
    table = Base.metadata.tables["faces"]
    index = next(i for i in table.indexes if i.name == "ix_faces_user_pk")
    assert _table_of(("add_index", index)) == "faces"
    assert _table_of(("remove_table", table)) == "faces"
    assert _table_of([("modify_nullable", None, "face_users", "user_id", {}, False, True)]) == (
        "face_users"
    )
