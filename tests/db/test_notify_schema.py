"""The notify migration creates exactly the table the model describes, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from sightline.db.base import Base
from sightline.db.engine import make_engine
from sightline.db.migrate import upgrade

TABLE = "notifications"


def test_migration_matches_the_model(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        upgrade(engine)  # a second run is a no-op
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
        assert [d for d in diff if _is_ours(d)] == []
        names = {ix["name"] for ix in inspect(engine).get_indexes(TABLE)}
        assert names == {"ix_notifications_due", "ix_notifications_state_id"}
    finally:
        engine.dispose()


def _is_ours(diff: object) -> bool:
    """Whether a compare_metadata entry (a tuple, or a list of them) is about our table."""
    item = diff[0] if isinstance(diff, list) else diff
    for part in item if isinstance(item, tuple) else ():
        table = part if isinstance(part, sa.Table) else getattr(part, "table", None)
        if isinstance(table, sa.Table) and table.name == TABLE:
            return True
        if part == TABLE:  # modify_* entries name the table
            return True
    return False


def test_is_ours_names_the_table() -> None:
    table = Base.metadata.tables[TABLE]
    index = next(iter(table.indexes))
    assert _is_ours(("add_index", index))
    assert _is_ours(("remove_table", table))
    assert _is_ours([("modify_nullable", None, TABLE, "body", {}, False, True)])
    assert not _is_ours(("remove_table", Base.metadata.tables["tasks"]))
